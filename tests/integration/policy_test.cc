// Access control end to end over the fake hypervisor: xl stanzas written as
// xenshm-xl-create does, enforced by xenshmd's core with the policy Evaluator.
#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "backend/policy/evaluator.h"
#include "backend/policy/policy_codec.h"
#include "backend/policy/xl_config.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kA = 1, kB = 2, kC = 3;

policy::DomainPolicy Stanza(const std::string& items) {
  auto parsed =
      policy::ParseGuestConfig("xenshm = [ " + items + " ]\n", "guest.cfg");
  EXPECT_TRUE(parsed) << parsed.error().ToString();
  return **parsed;
}

class Policy : public ::testing::Test {
 protected:
  Policy()
      : policy_(policy::Dom0Policy{},
                [this](std::string_view line) { log_.emplace_back(line); }),
        system_(&policy_) {}

  // What xenshm-xl-create does: the policy node exists before the domain
  // can run.
  void StartWithStanza(DomainId domain, const std::string& items) {
    Platform& dom0 = system_.OpenProcess(kDom0);
    ASSERT_TRUE(
        policy::WriteDomainPolicy(*dom0.xenstore, domain, Stanza(items)).ok());
    system_.hypervisor().CreateDomain(domain);
  }

  bool DaemonLogged(const std::string& text) {
    for (const auto& line : system_.log()) {
      if (line.find(text) != std::string::npos) return true;
    }
    return false;
  }

  std::vector<std::string> log_;
  policy::Evaluator policy_;
  FakeXenSystem system_;
};

TEST_F(Policy, ReadWriteReadOnlyAndDeniedGuests) {
  StartWithStanza(kA, R"("allow=moo*", "groups=video", "mode=0640")");
  StartWithStanza(kB, R"("allow=moo", "groups=video", "ro=moo")");
  StartWithStanza(kC, R"("deny=moo*")");
  auto a = system_.NewClient(kA).Attach("moo", kPageSize);
  ASSERT_TRUE(a) << a.error().ToString();
  std::strcpy(static_cast<char*>((*a)->data()), "from A");

  AttachOptions read_only;
  read_only.access = Access::kReadOnly;
  Client& b_client = system_.NewClient(kB);
  auto b = b_client.Attach("moo", kPageSize, read_only);
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_FALSE((*b)->writable());
  EXPECT_STREQ(static_cast<const char*>((*b)->data()), "from A");
  // B asking for read-write is refused by its ro rule.
  auto b_rw = system_.NewClient(kB).Attach("moo", kPageSize);
  ASSERT_FALSE(b_rw);
  EXPECT_EQ(b_rw.error().code(), Code::kNoPermission);

  auto c = system_.NewClient(kC).Attach("moo", kPageSize, read_only);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), Code::kNoPermission);
  EXPECT_NE(c.error().message().find("deny moo*"), std::string::npos)
      << c.error().message();
  EXPECT_TRUE(DaemonLogged("domain 3 handle 0: attach refused: no-permission"));
  EXPECT_TRUE(DaemonLogged("deny moo*"));

  // C cannot read the region's registry nodes; members can.
  Platform& c_process = system_.OpenProcess(kC);
  EXPECT_FALSE(c_process.xenstore->Read(kNoTransaction,
                                        schema::RegistryPath("moo") + "/size"));
  Platform& b_process = system_.OpenProcess(kB);
  EXPECT_TRUE(b_process.xenstore->Read(kNoTransaction,
                                       schema::RegistryPath("moo") + "/size"));
}

TEST_F(Policy, ReadOnlyPeerWritesFault) {
  StartWithStanza(kA, R"("allow=moo")");
  StartWithStanza(kB, R"("allow=moo", "ro=moo")");
  auto a = system_.NewClient(kA).Attach("moo", kPageSize);
  ASSERT_TRUE(a);
  AttachOptions read_only;
  read_only.access = Access::kReadOnly;
  auto b = system_.NewClient(kB).Attach("moo", kPageSize, read_only);
  ASSERT_TRUE(b);
  void* data = (*b)->data();
  // The fake runs threads: re-exec the test rather than fork a threaded
  // process (gtest's advice, and what keeps it safe under TSan).
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(static_cast<volatile char*>(data)[0] = 1, "");
}

TEST_F(Policy, ModeAndGroupDecideWhoMayJoin) {
  // A creates moo 0640 in group video: B (video) may read, not write; C
  // (no group) may not even read.
  StartWithStanza(kA, R"("groups=video", "mode=0640")");
  StartWithStanza(kB, R"("groups=video")");
  StartWithStanza(kC, R"("allow=*")");
  auto a = system_.NewClient(kA).Attach("moo", kPageSize);
  ASSERT_TRUE(a) << a.error().ToString();
  AttachOptions read_only;
  read_only.access = Access::kReadOnly;
  EXPECT_TRUE(system_.NewClient(kB).Attach("moo", kPageSize, read_only));
  auto b_rw = system_.NewClient(kB).Attach("moo", kPageSize);
  ASSERT_FALSE(b_rw);
  EXPECT_EQ(b_rw.error().code(), Code::kNoPermission);
  auto c = system_.NewClient(kC).Attach("moo", kPageSize, read_only);
  ASSERT_FALSE(c);
  EXPECT_EQ(c.error().code(), Code::kNoPermission);
}

TEST_F(Policy, PreCreatedRegionExistsBeforeAnyAttachWithItsModeAndGroup) {
  StartWithStanza(kA, R"("groups=video", "create=cam0,size=64K,mode=0660")");
  Platform& dom0 = system_.OpenProcess(kDom0);
  const std::string path = schema::RegistryPath("cam0");
  auto registry = [&](const std::string& node) {
    return dom0.xenstore->Read(kNoTransaction, path + "/" + node)
        .value_or("(none)");
  };
  // xenshmd writes the nodes one by one; "owner" comes last.
  ASSERT_TRUE(Eventually([&] { return registry("owner") != "(none)"; }));
  EXPECT_EQ(registry("size"), "65536");
  EXPECT_EQ(registry("mode"), "0660");
  EXPECT_EQ(registry("gid"), "video");
  EXPECT_EQ(registry("owner"), "1");

  // It survives a join and the last detach; it goes when its domain dies.
  AttachOptions existing;
  existing.mode = AttachMode::kAttachOnly;
  {
    auto a = system_.NewClient(kA).Attach("cam0", kPageSize, existing);
    ASSERT_TRUE(a) << a.error().ToString();
    EXPECT_EQ((*a)->size(), 65536u);
  }
  auto again = system_.NewClient(kA).Attach("cam0", kPageSize, existing);
  ASSERT_TRUE(again) << again.error().ToString();
  again->reset();
  system_.hypervisor().DestroyDomain(kA);
  EXPECT_TRUE(Eventually([&] {
    return !dom0.xenstore->Read(kNoTransaction, path + "/size").has_value();
  }));
  EXPECT_TRUE(Eventually([&] { return system_.counts().regions == 0; }));
}

TEST_F(Policy, PreCreatedRegionsDoNotBlockACleanRestart) {
  StartWithStanza(kA, R"("create=cam0,size=64K")");
  Platform& dom0 = system_.OpenProcess(kDom0);
  const std::string size = schema::RegistryPath("cam0") + "/size";
  ASSERT_TRUE(
      Eventually([&] { return dom0.xenstore->Read(kNoTransaction, size); }));
  // Nobody is attached: a stopping xenshmd destroys it, the next creates it
  // again (a crashed one would leave it, and the next would refuse).
  ASSERT_TRUE(system_.RestartDaemon(/*reset=*/false, /*clean=*/true).ok());
  EXPECT_TRUE(
      Eventually([&] { return dom0.xenstore->Read(kNoTransaction, size); }));
  EXPECT_TRUE(Eventually([&] { return system_.counts().regions == 1; }));
  EXPECT_TRUE(DaemonLogged("'cam0' destroyed"));
}

TEST_F(Policy, ADomainWithoutStanzaOrDefaultMayAttachNothing) {
  system_.hypervisor().CreateDomain(kA);  // plain xl create: no policy node
  auto a = system_.NewClient(kA).Attach("moo", kPageSize);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().ToString(),
            "no-permission: domain 1 may not attach 'moo': it has no xenshm "
            "policy (start it with xenshm-xl-create and an xl `xenshm = "
            "[...]` stanza, or set a `default` for domains without one in "
            "/etc/xenshm/policy.cfg)");
  EXPECT_EQ(system_.counts().regions, 0u);
  EXPECT_TRUE(DaemonLogged("domain 1 handle 0: attach refused: no-permission"));
}

TEST_F(Policy, ThePolicyFilesDefaultLetsDomainsWithoutStanzaIn) {
  policy::Dom0Policy dom0;
  dom0.fallback = Stanza(R"("allow=public*")");
  policy_.SetDom0Policy(dom0);
  system_.hypervisor().CreateDomain(kA);
  EXPECT_TRUE(system_.NewClient(kA).Attach("public-1", kPageSize));
  auto other = system_.NewClient(kA).Attach("moo", kPageSize);
  ASSERT_FALSE(other);
  EXPECT_EQ(other.error().code(), Code::kNoPermission);
}

TEST_F(Policy, UnreadablePolicyNodeFailsClosed) {
  Platform& dom0 = system_.OpenProcess(kDom0);
  ASSERT_TRUE(
      dom0.xenstore
          ->Write(kNoTransaction, policy::PolicyPath(kA), "not a policy")
          .ok());
  system_.hypervisor().CreateDomain(kA);
  auto a = system_.NewClient(kA).Attach("moo", kPageSize);
  ASSERT_FALSE(a);
  EXPECT_EQ(a.error().code(), Code::kNoPermission);
}

TEST_F(Policy, DomainDeathRemovesItsPolicy) {
  StartWithStanza(kA, R"("allow=moo")");
  ASSERT_TRUE(system_.NewClient(kA).Attach("moo", kPageSize));
  system_.hypervisor().DestroyDomain(kA);
  Platform& dom0 = system_.OpenProcess(kDom0);
  EXPECT_TRUE(Eventually([&] {
    return !dom0.xenstore->Read(kNoTransaction, policy::PolicyPath(kA))
                .has_value();
  }));
}

}  // namespace
}  // namespace xenshm::testing
namespace xenshm::testing {
namespace {

// xenshmd (re)started while domains with stanzas already run reads their
// policies before answering them.
TEST_F(Policy, ADaemonStartedAfterItsDomainsReadsTheirStanzas) {
  StartWithStanza(kA, R"("allow=hon*")");
  StartWithStanza(kB, R"("allow=*")");
  ASSERT_TRUE(system_.RestartDaemon(false).ok());
  auto a = system_.NewClient(kA).Attach("hon1", kPageSize);
  ASSERT_TRUE(a) << a.error().ToString();
  auto denied = system_.NewClient(kA).Attach("other", kPageSize);
  ASSERT_FALSE(denied);
  EXPECT_EQ(denied.error().code(), Code::kNoPermission);
  auto b = system_.NewClient(kB).Attach("other", kPageSize);
  EXPECT_TRUE(b) << b.error().ToString();
}

}  // namespace
}  // namespace xenshm::testing
