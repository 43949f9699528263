// Nothing leaks to outsiders (docs/security.md): a domain its policy refuses
// a name gets the same answer, status node and message node, whether or not
// the region exists, and no answer tells a domain the owner, group or mode
// of a region it may not use. xenshmd's core with the policy Evaluator over
// the fake hypervisor; requests are written raw and the answer read from
// the backend nodes, as a hostile guest would.
#include <gtest/gtest.h>

#include <map>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "backend/policy/evaluator.h"
#include "backend/policy/policy_codec.h"
#include "backend/policy/xl_config.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "tests/integration/raw_request.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kOwner = 1;      // may use secret*; creates it 0600
constexpr DomainId kDenied = 2;     // deny=secret*
constexpr DomainId kNoStanza = 3;   // no policy at all
constexpr DomainId kReadOnly = 4;   // allow=secret*, ro=secret*
constexpr DomainId kOtherBits = 5;  // allow=*: its names allow, mode does not

policy::DomainPolicy Stanza(const std::string& items) {
  auto parsed =
      policy::ParseGuestConfig("xenshm = [ " + items + " ]\n", "guest.cfg");
  EXPECT_TRUE(parsed) << parsed.error().ToString();
  return **parsed;
}

class Outsider : public ::testing::Test {
 protected:
  Outsider()
      : policy_(
            policy::Dom0Policy{},
            [this](std::string_view line) { policy_log_.emplace_back(line); }),
        system_(&policy_) {}

  void SetUp() override {
    Start(kOwner, R"("allow=secret*", "groups=keys", "mode=0600")");
    Start(kDenied, R"("deny=secret*")");
    system_.hypervisor().CreateDomain(kNoStanza);
    Start(kReadOnly, R"("allow=secret*", "ro=secret*")");
    Start(kOtherBits, R"("allow=*")");
  }

  // What xenshm-xl-create does: the policy node exists before the domain
  // can run.
  void Start(DomainId domain, const std::string& items) {
    Platform& dom0 = system_.OpenProcess(kDom0);
    ASSERT_TRUE(
        policy::WriteDomainPolicy(*dom0.xenstore, domain, Stanza(items)).ok());
    system_.hypervisor().CreateDomain(domain);
  }

  // A request for `name` written raw from `domain` on a fresh handle.
  Answer Ask(DomainId domain, const std::string& name, schema::AttachMode mode,
             schema::Access access) {
    return AskRaw(*system_.OpenProcess(domain).xenstore, domain,
                  next_handle_[domain]++, {name, kPageSize, mode, access});
  }

  // Every kind of request an outsider can make for `name`.
  std::vector<Answer> AskEveryWay(DomainId domain, const std::string& name) {
    std::vector<Answer> answers;
    for (schema::AttachMode mode : {schema::AttachMode::kCreateOrAttach,
                                    schema::AttachMode::kAttachOnly}) {
      for (schema::Access access :
           {schema::Access::kReadOnly, schema::Access::kReadWrite}) {
        answers.push_back(Ask(domain, name, mode, access));
      }
    }
    return answers;
  }

  // What `domain` reads of the registry node of `name` (a Status: code and
  // message).
  std::string RegistryRead(DomainId domain, const std::string& name) {
    auto read = system_.OpenProcess(domain).xenstore->Read(
        kNoTransaction, schema::RegistryPath(name) + "/size");
    return read ? "read " + *read : read.error().ToString();
  }

  std::vector<std::string> policy_log_;
  policy::Evaluator policy_;
  FakeXenSystem system_;
  std::map<DomainId, uint32_t> next_handle_;
};

TEST_F(Outsider, SameAnswerWhetherOrNotTheRegionExists) {
  // kReadOnly is an outsider only for rw: its ro rule refuses rw before
  // the region is looked at (for ro it may join, or learn it is missing).
  struct Who {
    DomainId domain;
    bool only_rw;
  };
  const std::vector<Who> outsiders = {
      {kDenied, false}, {kNoStanza, false}, {kReadOnly, true}};
  std::map<DomainId, std::vector<Answer>> before;
  std::map<DomainId, std::string> registry_before;
  for (const Who& who : outsiders) {
    before[who.domain] = AskEveryWay(who.domain, "secret");
    registry_before[who.domain] = RegistryRead(who.domain, "secret");
  }
  // dom0's programs without a `xenshm` stanza, through libxenshm (which
  // returns the status and message nodes as its Status).
  AttachOptions existing;
  existing.mode = AttachMode::kAttachOnly;
  auto dom0_before = system_.NewClient(kDom0).Attach("secret", kPageSize);
  auto dom0_existing_before =
      system_.NewClient(kDom0).Attach("secret", kPageSize, existing);
  ASSERT_FALSE(dom0_before);
  ASSERT_FALSE(dom0_existing_before);

  auto owner = system_.NewClient(kOwner).Attach("secret", kPageSize);
  ASSERT_TRUE(owner) << owner.error().ToString();

  for (const Who& who : outsiders) {
    const std::vector<Answer> after = AskEveryWay(who.domain, "secret");
    ASSERT_EQ(after.size(), 4u);
    for (size_t i = 0; i < after.size(); ++i) {
      const bool rw = i % 2 == 1;  // AskEveryWay's order: ro, rw per mode
      if (who.only_rw && !rw) continue;
      EXPECT_EQ(after[i].status, "no-permission") << after[i];
      EXPECT_EQ(after[i], before[who.domain][i])
          << "domain " << who.domain << ", request " << i;
      EXPECT_EQ(after[i].message.find("0600"), std::string::npos);
      EXPECT_EQ(after[i].message.find("owner"), std::string::npos);
      EXPECT_EQ(after[i].message.find("keys"), std::string::npos);
    }
    // The registry does not tell either: no-permission both times (a
    // missing node under a parent the guest may not read is no-permission
    // in xenstored too).
    EXPECT_EQ(RegistryRead(who.domain, "secret"), registry_before[who.domain]);
    EXPECT_EQ(registry_before[who.domain].rfind("no-permission", 0), 0u)
        << registry_before[who.domain];
  }

  auto dom0_after = system_.NewClient(kDom0).Attach("secret", kPageSize);
  auto dom0_existing_after =
      system_.NewClient(kDom0).Attach("secret", kPageSize, existing);
  ASSERT_FALSE(dom0_after);
  ASSERT_FALSE(dom0_existing_after);
  for (const auto* result :
       {&dom0_after, &dom0_existing_before, &dom0_existing_after}) {
    EXPECT_EQ(result->error().ToString(), dom0_before.error().ToString());
  }
  EXPECT_EQ(dom0_before.error().ToString(),
            "no-permission: domain 0 may not attach 'secret': dom0's programs "
            "have no xenshm policy (give them one with `xenshm = [...]` in "
            "/etc/xenshm/policy.cfg)");

  // The exact texts the outsiders get.
  EXPECT_EQ(before[kDenied][0],
            (Answer{"no-permission",
                    "domain 2 may not attach 'secret': deny secret* "
                    "(guest.cfg line 1)"}));
  EXPECT_EQ(before[kNoStanza][0],
            (Answer{"no-permission",
                    "domain 3 may not attach 'secret': it has no xenshm "
                    "policy (start it with xenshm-xl-create and an xl "
                    "`xenshm = [...]` stanza, or set a `default` for domains "
                    "without one in /etc/xenshm/policy.cfg)"}));
  EXPECT_EQ(before[kReadOnly][1],
            (Answer{"no-permission",
                    "domain 4 may not attach 'secret' read-write: ro secret* "
                    "(guest.cfg line 1) allows it read-only only"}));
}

TEST_F(Outsider, ModeRefusalsSayTheRegionExistsButNotItsModeOwnerOrGroup) {
  // Before: kOtherBits may create it, or hears it is missing.
  EXPECT_EQ(Ask(kOtherBits, "secret", schema::AttachMode::kAttachOnly,
                schema::Access::kReadOnly),
            (Answer{"does-not-exist", "region 'secret' does not exist"}));
  auto owner = system_.NewClient(kOwner).Attach("secret", kPageSize);
  ASSERT_TRUE(owner) << owner.error().ToString();
  const Answer refused =
      Ask(kOtherBits, "secret", schema::AttachMode::kAttachOnly,
          schema::Access::kReadOnly);
  EXPECT_EQ(refused,
            (Answer{"no-permission",
                    "domain 5 may not attach 'secret' read-only: the "
                    "region's mode does not allow it (xenshmd's log has the "
                    "details)"}));
  // dom0's log has the details, the guest's answer does not.
  bool logged = false;
  for (const std::string& line : policy_log_) {
    logged |= line ==
              "domain 5 may not attach 'secret' read-only: region mode 0600 "
              "(owner domain 1, group keys) gives other only --";
  }
  EXPECT_TRUE(logged);
}

TEST_F(Outsider, ReadOnlyDomainMayNotBecomeTheCreator) {
  // Attach-only of the missing region: it learns the region is missing
  // (its names allow it), and nothing is created.
  EXPECT_EQ(Ask(kReadOnly, "secret", schema::AttachMode::kAttachOnly,
                schema::Access::kReadOnly),
            (Answer{"does-not-exist", "region 'secret' does not exist"}));
  EXPECT_EQ(Ask(kReadOnly, "secret", schema::AttachMode::kCreateOrAttach,
                schema::Access::kReadOnly),
            (Answer{"no-permission",
                    "domain 4 may not attach 'secret' by creating it: ro "
                    "secret* (guest.cfg line 1) allows it read-only only, and "
                    "a create is read-write"}));
  EXPECT_EQ(system_.counts().regions, 0u);
  // Once another domain created it (mode 0666), it joins read-only.
  auto creator = system_.NewClient(kOtherBits).Attach("secret", kPageSize);
  ASSERT_TRUE(creator) << creator.error().ToString();
  EXPECT_EQ(Ask(kReadOnly, "secret", schema::AttachMode::kCreateOrAttach,
                schema::Access::kReadOnly)
                .status,
            "ok");
}

}  // namespace
}  // namespace xenshm::testing
