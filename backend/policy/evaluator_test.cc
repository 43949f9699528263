#include "backend/policy/evaluator.h"

#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "backend/policy/policy_codec.h"
#include "gtest/gtest.h"
#include "tests/fake_hypervisor/fake_hypervisor.h"

namespace xenshm::policy {
namespace {

using backend::AttachQuestion;
using schema::Access;

// A stanza with one item per line from `first_line` on, as a config file
// "xenshm = [" on line 1 and the items below it would give.
DomainPolicy Stanza(std::initializer_list<std::string_view> texts,
                    std::string file = "guest.cfg", int first_line = 2) {
  std::vector<LocatedItem> items;
  int line = first_line;
  for (std::string_view text : texts) {
    items.push_back({std::string(text), file, line++, std::nullopt});
  }
  auto policy = BuildDomainPolicy(items);
  EXPECT_TRUE(policy) << policy.error().ToString();
  return policy ? *policy : DomainPolicy();
}

// Records `name` as created by `creator`; returns what the evaluator keeps.
RegionMeta Created(Evaluator& policy, std::string_view name, DomainId creator) {
  (void)policy.OnRegionCreated(name, creator);
  const RegionMeta* meta = policy.FindRegion(name);
  EXPECT_NE(meta, nullptr);
  return meta != nullptr ? *meta : RegionMeta();
}

AttachQuestion Ask(DomainId domain, std::string region,
                   Access access = Access::kReadWrite, bool creates = false) {
  return {domain, std::move(region), access, creates};
}

// What the asking domain is told.
std::string Refusal(const Evaluator& policy, const AttachQuestion& q) {
  Status status = policy.Check(q);
  if (status.ok()) return "ok";
  EXPECT_EQ(status.code(), Code::kNoPermission);
  return status.message();
}

// What dom0's log says.
std::string Explained(const Evaluator& policy, const AttachQuestion& q) {
  Status status = policy.Explain(q);
  EXPECT_EQ(status.ok(), policy.Check(q).ok());
  if (status.ok()) return "ok";
  EXPECT_EQ(status.code(), Code::kNoPermission);
  return status.message();
}

TEST(EvaluatorTest, WithoutAnyPolicyNothingIsAllowed) {
  Evaluator policy;
  EXPECT_EQ(Refusal(policy, Ask(3, "moo", Access::kReadWrite, true)),
            "domain 3 may not attach 'moo': it has no xenshm policy (start it "
            "with xenshm-xl-create and an xl `xenshm = [...]` stanza, or set "
            "a `default` for domains without one in /etc/xenshm/policy.cfg)");
  EXPECT_EQ(Refusal(policy, Ask(0, "moo", Access::kReadOnly)),
            "domain 0 may not attach 'moo': dom0's programs have no xenshm "
            "policy (give them one with `xenshm = [...]` in "
            "/etc/xenshm/policy.cfg)");
  EXPECT_TRUE(policy.RegionsToPreCreate(3).empty());

  // The message names the policy file xenshmd was told to read.
  Dom0Policy dom0;
  dom0.file = "/lab/policy.cfg";
  policy.SetDom0Policy(dom0);
  EXPECT_NE(Refusal(policy, Ask(3, "moo")).find("in /lab/policy.cfg)"),
            std::string::npos);

  // An empty stanza of its own is a policy: every name, mode bits apply.
  policy.SetDomainPolicy(3, Stanza({}));
  EXPECT_EQ(Refusal(policy, Ask(3, "moo")), "ok");
}

TEST(EvaluatorTest, DenyNamesDomainRegionAndRule) {
  Evaluator policy;
  policy.SetDomainPolicy(3, Stanza({"allow=moo*", "deny=secret*"}));
  EXPECT_EQ(Refusal(policy, Ask(3, "moo")), "ok");
  EXPECT_EQ(Refusal(policy, Ask(3, "cow")),
            "domain 3 may not attach 'cow': implied deny * after allow "
            "moo* (guest.cfg line 2)");
  // First match wins.
  policy.SetDomainPolicy(3, Stanza({"deny=secret*", "allow=*"}));
  EXPECT_EQ(Refusal(policy, Ask(3, "secret-key", Access::kReadOnly, true)),
            "domain 3 may not attach 'secret-key': deny secret* (guest.cfg "
            "line 2)");
  EXPECT_EQ(Refusal(policy, Ask(3, "public")), "ok");
  // Other domains are not affected.
  policy.SetDomainPolicy(4, Stanza({"allow=*"}));
  EXPECT_EQ(Refusal(policy, Ask(4, "secret-key")), "ok");
}

TEST(EvaluatorTest, ImpliedFinalRule) {
  Evaluator policy;
  policy.SetDomainPolicy(3, Stanza({"allow=moo*"}));
  EXPECT_EQ(Refusal(policy, Ask(3, "cow")),
            "domain 3 may not attach 'cow': implied deny * after allow moo* "
            "(guest.cfg line 2)");
  policy.SetDomainPolicy(3, Stanza({"deny=moo*"}));
  EXPECT_EQ(Refusal(policy, Ask(3, "cow")), "ok");
  EXPECT_NE(Refusal(policy, Ask(3, "moo")), "ok");
}

TEST(EvaluatorTest, ReadOnlyRuleRefusesReadWrite) {
  Evaluator policy;
  policy.SetDomainPolicy(3, Stanza({"ro=cam?"}));
  EXPECT_EQ(Refusal(policy, Ask(3, "cam1", Access::kReadOnly)), "ok");
  EXPECT_EQ(Refusal(policy, Ask(3, "cam1", Access::kReadWrite)),
            "domain 3 may not attach 'cam1' read-write: ro cam? (guest.cfg "
            "line 2) allows it read-only only");
  // Creating is writing, too.
  EXPECT_NE(Refusal(policy, Ask(3, "cam1", Access::kReadWrite, true)), "ok");
  EXPECT_EQ(Refusal(policy, Ask(3, "cam12", Access::kReadWrite)), "ok");
}

TEST(EvaluatorTest, ReadOnlyRuleRefusesCreatingEvenReadOnly) {
  // A domain limited to reading frames must not become its creator (and
  // owner): a create is read-write whatever access it asks for.
  Evaluator policy;
  policy.SetDomainPolicy(2, Stanza({"allow=frames", "ro=frames"}));
  EXPECT_EQ(Refusal(policy, Ask(2, "frames", Access::kReadOnly, true)),
            "domain 2 may not attach 'frames' by creating it: ro frames "
            "(guest.cfg line 3) allows it read-only only, and a create is "
            "read-write");
  // Joining it read-only is what the rule allows, also to an attach-only
  // request for a missing region (xenshmd then says does-not-exist).
  EXPECT_EQ(Refusal(policy, Ask(2, "frames", Access::kReadOnly, false)), "ok");
  policy.SetDomainPolicy(1, Stanza({"allow=frames"}));
  Created(policy, "frames", 1);
  EXPECT_EQ(Refusal(policy, Ask(2, "frames", Access::kReadOnly)), "ok");
}

TEST(EvaluatorTest, ModeBitsByClass) {
  Evaluator policy;
  policy.SetDomainPolicy(1, Stanza({"groups=video", "mode=0640"}));
  policy.SetDomainPolicy(2, Stanza({"groups=audio,video"}));
  policy.SetDomainPolicy(3, Stanza({"groups=audio"}));
  ASSERT_EQ(Refusal(policy, Ask(1, "frames", Access::kReadWrite, true)), "ok");
  RegionMeta meta = Created(policy, "frames", 1);
  EXPECT_EQ(meta, (RegionMeta{1, "video", 0640, ""}));

  // Owner: rw.
  EXPECT_EQ(Refusal(policy, Ask(1, "frames", Access::kReadWrite)), "ok");
  // Group video: r only.
  EXPECT_EQ(Refusal(policy, Ask(2, "frames", Access::kReadOnly)), "ok");
  EXPECT_EQ(Explained(policy, Ask(2, "frames", Access::kReadWrite)),
            "domain 2 may not attach 'frames' read-write: region mode 0640 "
            "(owner domain 1, group video) gives group only r-");
  // Other: nothing.
  EXPECT_EQ(Explained(policy, Ask(3, "frames", Access::kReadOnly)),
            "domain 3 may not attach 'frames' read-only: region mode 0640 "
            "(owner domain 1, group video) gives other only --");
}

TEST(EvaluatorTest, ModeRefusalsTellTheDomainNoModeOwnerOrGroup) {
  std::vector<std::string> log;
  Evaluator policy(Dom0Policy{},
                   [&](std::string_view line) { log.emplace_back(line); });
  policy.SetDomainPolicy(1, Stanza({"groups=video", "mode=0640"}));
  policy.SetDomainPolicy(3, Stanza({"groups=audio"}));
  Created(policy, "frames", 1);
  EXPECT_EQ(Refusal(policy, Ask(3, "frames", Access::kReadOnly)),
            "domain 3 may not attach 'frames' read-only: the region's mode "
            "does not allow it (xenshmd's log has the details)");
  // dom0's log has them.
  ASSERT_EQ(log.size(), 1u);
  EXPECT_EQ(log[0],
            "domain 3 may not attach 'frames' read-only: region mode 0640 "
            "(owner domain 1, group video) gives other only --");
  // Refusals that tell everything log nothing more.
  policy.SetDomainPolicy(3, Stanza({"deny=frames"}));
  EXPECT_NE(Refusal(policy, Ask(3, "frames", Access::kReadOnly)), "ok");
  EXPECT_EQ(log.size(), 1u);
}

// An outsider (refused by its policy before the region is looked at) gets
// the same answer, code and message, whether or not the region exists, so
// it cannot probe for names. Asked as xenshmd asks: a create when the region
// is missing (or not, for attach-only), a join when it exists.
TEST(EvaluatorTest, OutsidersGetTheSameAnswerWhetherOrNotTheRegionExists) {
  Dom0Policy dom0;
  dom0.dom0 = Stanza({"allow=other*"}, "policy.cfg", 1);
  Evaluator policy(dom0);
  policy.SetDomainPolicy(1, Stanza({"groups=video", "mode=0600"}));
  policy.SetDomainPolicy(3, Stanza({"deny=secret*"}));
  policy.SetDomainPolicy(4, Stanza({"allow=secret*", "ro=secret*"}));
  policy.SetDomainPolicy(6, DenyEverything("policy node unreadable"));
  // 5 has no policy at all.
  struct Asked {
    DomainId domain;
    Access access;
  };
  const std::vector<Asked> outsiders = {
      {3, Access::kReadOnly}, {3, Access::kReadWrite}, {4, Access::kReadWrite},
      {5, Access::kReadOnly}, {5, Access::kReadWrite}, {6, Access::kReadOnly},
      {0, Access::kReadOnly}, {0, Access::kReadWrite}};
  std::vector<Status> missing;
  for (const Asked& asked : outsiders) {
    Status create = policy.Check(Ask(asked.domain, "secret", asked.access,
                                     /*creates=*/true));
    Status attach_only = policy.Check(Ask(asked.domain, "secret", asked.access,
                                          /*creates=*/false));
    EXPECT_EQ(create.code(), Code::kNoPermission) << asked.domain;
    EXPECT_EQ(create.code(), attach_only.code());
    EXPECT_EQ(create.message(), attach_only.message());
    missing.push_back(create);
  }
  Created(policy, "secret", 1);
  for (size_t i = 0; i < outsiders.size(); ++i) {
    Status existing =
        policy.Check(Ask(outsiders[i].domain, "secret", outsiders[i].access));
    EXPECT_EQ(existing.code(), missing[i].code());
    EXPECT_EQ(existing.message(), missing[i].message());
    EXPECT_EQ(existing.message().find("0600"), std::string::npos);
    EXPECT_EQ(existing.message().find("owner"), std::string::npos);
  }
}

TEST(EvaluatorTest, QuotaOfStanzaDefaultAndNone) {
  Dom0Policy dom0;
  dom0.fallback =
      Stanza({"allow=pub*", "max-regions=1", "max-mapped=1M"}, "policy.cfg", 1);
  dom0.dom0 = Stanza({"max-region-memory=1G"}, "policy.cfg", 5);
  Evaluator policy(dom0);
  policy.SetDomainPolicy(3, Stanza({"max-region-memory=160M", "max-mapped=160M",
                                    "max-pending=2", "max-attachments=0"}));
  backend::DomainQuota own;
  own.region_bytes = 160u << 20;
  own.mapped_bytes = 160u << 20;
  own.pending = 2;
  own.attachments = 0;
  EXPECT_EQ(policy.QuotaOf(3), own);
  // A stanza replaces the default as a whole: what it does not say is
  // DomainQuota's default, not the policy file's `default`.
  policy.SetDomainPolicy(4, Stanza({"allow=x"}));
  EXPECT_EQ(policy.QuotaOf(4), backend::DomainQuota{});
  // Without a stanza: the policy file's default.
  backend::DomainQuota fallback;
  fallback.regions = 1;
  fallback.mapped_bytes = 1u << 20;
  EXPECT_EQ(policy.QuotaOf(5), fallback);
  // dom0: its `xenshm` stanza.
  backend::DomainQuota dom0_quota;
  dom0_quota.region_bytes = uint64_t{1} << 30;
  EXPECT_EQ(policy.QuotaOf(kDom0), dom0_quota);
  // No policy at all: the defaults (it may attach nothing anyway).
  policy.SetDom0Policy({});
  EXPECT_EQ(policy.QuotaOf(5), backend::DomainQuota{});
  EXPECT_EQ(policy.QuotaOf(kDom0), backend::DomainQuota{});
  // The defaults are the documented ones.
  EXPECT_EQ(backend::DomainQuota{},
            (backend::DomainQuota{4, 8, 16u << 20, 8u << 20, 4}));
}

TEST(EvaluatorTest, OwnerBitsApplyToTheOwnerEvenIfGroupHasMore) {
  Evaluator policy;
  policy.SetDomainPolicy(1, Stanza({"groups=video", "mode=0460"}));
  Created(policy, "r", 1);
  EXPECT_NE(Refusal(policy, Ask(1, "r", Access::kReadWrite)), "ok");
  EXPECT_EQ(Refusal(policy, Ask(1, "r", Access::kReadOnly)), "ok");
}

TEST(EvaluatorTest, UmaskAppliesAtCreate) {
  Evaluator policy;
  policy.SetDomainPolicy(1, Stanza({"umask=027", "groups=g"}));
  EXPECT_EQ(Created(policy, "r", 1), (RegionMeta{1, "g", 0640, ""}));
  policy.SetDomainPolicy(2, Stanza({"umask=077"}));
  EXPECT_EQ(Created(policy, "s", 2).mode, 0600u);
  // The default is 0666 with no umask.
  EXPECT_EQ(Created(policy, "t", 9), (RegionMeta{9, "", 0666, ""}));
}

TEST(EvaluatorTest, PreCreatedRegions) {
  Evaluator policy;
  policy.SetDomainPolicy(1,
                         Stanza({"groups=video,audio", "umask=022",
                                 "create=frames,size=128M,mode=0664,gid=audio",
                                 "create=log,size=4K"}));
  EXPECT_EQ(policy.RegionsToPreCreate(1),
            (std::vector<backend::PreCreate>{
                {"frames", 128u << 20, 0644, "audio"},
                {"log", 4096, 0644, "video"},
            }));
  EXPECT_EQ(Created(policy, "frames", 1), (RegionMeta{1, "audio", 0644, ""}));
  EXPECT_TRUE(policy.RegionsToPreCreate(2).empty());
}

TEST(EvaluatorTest, DestroyedRegionsAreForgotten) {
  Evaluator policy;
  policy.SetDomainPolicy(1, Stanza({"mode=0600"}));
  Created(policy, "r", 1);
  policy.SetDomainPolicy(2, Stanza({}));
  EXPECT_NE(Refusal(policy, Ask(2, "r", Access::kReadOnly)), "ok");
  policy.OnRegionDestroyed("r");
  EXPECT_EQ(policy.FindRegion("r"), nullptr);
  EXPECT_EQ(Refusal(policy, Ask(2, "r", Access::kReadOnly, true)), "ok");
  policy.OnRegionDestroyed("never-existed");
}

TEST(EvaluatorTest, DeadOwnerDoesNotPassOwnershipToItsId) {
  Evaluator policy;
  policy.SetDomainPolicy(1, Stanza({"mode=0600"}));
  Created(policy, "r", 1);
  policy.RemoveDomain(1);
  EXPECT_FALSE(policy.HasDomainPolicy(1));
  EXPECT_EQ(policy.FindRegion("r")->owner, std::nullopt);
  // A new domain 1 is "other" now.
  policy.SetDomainPolicy(1, Stanza({"mode=0600"}));
  EXPECT_EQ(Explained(policy, Ask(1, "r", Access::kReadOnly)),
            "domain 1 may not attach 'r' read-only: region mode 0600 (owner "
            "gone, no group) gives other only --");
}

TEST(EvaluatorTest, DefaultAppliesToDomainsWithoutStanza) {
  Dom0Policy dom0;
  dom0.fallback = Stanza({"allow=public*", "groups=guests"}, "policy.cfg", 1);
  Evaluator policy(dom0);
  EXPECT_EQ(Refusal(policy, Ask(5, "public-1")), "ok");
  EXPECT_EQ(Refusal(policy, Ask(5, "private")),
            "domain 5 may not attach 'private': implied deny * after allow "
            "public* (policy.cfg line 1)");
  policy.SetDomainPolicy(5, Stanza({"allow=private"}));
  EXPECT_EQ(Refusal(policy, Ask(5, "private")), "ok");
  policy.RemoveDomain(5);
  EXPECT_NE(Refusal(policy, Ask(5, "private")), "ok");
  // The default is for guests; dom0's programs have their own stanza.
  EXPECT_NE(Refusal(policy, Ask(0, "public-1"))
                .find("dom0's programs have "
                      "no xenshm policy"),
            std::string::npos);
}

TEST(EvaluatorTest, Dom0IsGovernedByItsOwnStanzaOnly) {
  Evaluator policy;
  policy.SetDomainPolicy(1, Stanza({"mode=0600"}));
  Created(policy, "r", 1);
  EXPECT_NE(Refusal(policy, Ask(0, "r")), "ok");  // no stanza: nothing

  Dom0Policy dom0;
  dom0.dom0 = Stanza({"deny=r"}, "policy.cfg", 1);
  policy.SetDom0Policy(dom0);
  EXPECT_EQ(Refusal(policy, Ask(0, "r")),
            "domain 0 may not attach 'r': deny r (policy.cfg line 1)");
  // The region record survived the reload.
  EXPECT_NE(policy.FindRegion("r"), nullptr);
  // Mode bits apply to dom0 as to every domain.
  dom0.dom0 = Stanza({"allow=*"}, "policy.cfg", 1);
  policy.SetDom0Policy(dom0);
  EXPECT_EQ(Explained(policy, Ask(0, "r", Access::kReadOnly)),
            "domain 0 may not attach 'r' read-only: region mode 0600 (owner "
            "domain 1, no group) gives other only --");
  EXPECT_EQ(Refusal(policy, Ask(0, "s")), "ok");
}

TEST(EvaluatorTest, DenyEverythingFailsClosed) {
  Evaluator policy;
  policy.SetDomainPolicy(3, DenyEverything("policy node unreadable"));
  EXPECT_EQ(Refusal(policy, Ask(3, "moo", Access::kReadOnly, true)),
            "domain 3 may not attach 'moo': deny * (policy node unreadable)");
}

TEST(EvaluatorTest, UnrecordedRegionsAreOpen) {
  Evaluator policy;
  policy.SetDomainPolicy(3, Stanza({"groups=g"}));
  EXPECT_EQ(Refusal(policy, Ask(3, "unknown", Access::kReadWrite)), "ok");
}

TEST(EvaluatorTest, CreatedRegionsPublishModeAndGroup) {
  Evaluator policy;
  policy.SetDomainPolicy(1, Stanza({"groups=video", "mode=0640"}));
  EXPECT_EQ(policy.OnRegionCreated("frames", 1),
            (backend::RegionAttributes{{"mode", "0640"}, {"gid", "video"}}));
  // No group, no gid node.
  EXPECT_EQ(policy.OnRegionCreated("open", 7),
            (backend::RegionAttributes{{"mode", "0666"}}));
}

class EvaluatorStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hv_.CreateDomain(3);
    auto dom0 = hv_.OpenPlatform(kDom0);
    ASSERT_TRUE(dom0);
    dom0_ = std::move(*dom0);
  }

  XenStore& xenstore() { return *dom0_.xenstore; }

  fake::FakeHypervisor hv_;
  Platform dom0_;
  std::vector<std::string> log_;
  Evaluator policy_{Dom0Policy{},
                    [this](std::string_view line) { log_.emplace_back(line); }};
};

TEST_F(EvaluatorStoreTest, RefreshReadsTheNodeAndForgetRemovesIt) {
  EXPECT_EQ(policy_.WatchedRoot(), PolicyRoot());
  ASSERT_TRUE(WriteDomainPolicy(xenstore(), 3,
                                Stanza({"allow=moo*", "create=moo,size=4K"}))
                  .ok());
  policy_.Refresh(xenstore(), 3);
  EXPECT_TRUE(policy_.HasDomainPolicy(3));
  EXPECT_NE(Refusal(policy_, Ask(3, "cow")), "ok");
  EXPECT_EQ(policy_.RegionsToPreCreate(3),
            (std::vector<backend::PreCreate>{{"moo", 4096, 0666, ""}}));
  policy_.Forget(xenstore(), 3);
  EXPECT_FALSE(policy_.HasDomainPolicy(3));
  EXPECT_EQ(ReadDomainPolicy(xenstore(), 3).error().code(), Code::kNotFound);
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_NE(log_[0].find("xenshm policy from its policy node"),
            std::string::npos)
      << log_[0];
}

TEST_F(EvaluatorStoreTest, AMissingNodeMeansTheDefaultABadOneNothing) {
  ASSERT_TRUE(WriteDomainPolicy(xenstore(), 3, Stanza({"deny=*"})).ok());
  policy_.Refresh(xenstore(), 3);
  EXPECT_TRUE(policy_.HasDomainPolicy(3));
  ASSERT_TRUE(RemoveDomainPolicy(xenstore(), 3).ok());
  policy_.Refresh(xenstore(), 3);  // no node: what it gave is gone
  EXPECT_FALSE(policy_.HasDomainPolicy(3));
  log_.clear();
  // No default either: nothing.
  EXPECT_NE(Refusal(policy_, Ask(3, "moo")).find("no xenshm policy"),
            std::string::npos);
  Dom0Policy dom0;
  dom0.fallback = Stanza({"allow=moo"}, "policy.cfg", 1);
  policy_.SetDom0Policy(dom0);
  EXPECT_EQ(Refusal(policy_, Ask(3, "moo")), "ok");

  ASSERT_TRUE(
      xenstore().Write(kNoTransaction, PolicyPath(3), "not a policy").ok());
  policy_.Refresh(xenstore(), 3);
  EXPECT_EQ(Refusal(policy_, Ask(3, "moo", Access::kReadOnly))
                .rfind("domain 3 may not attach 'moo': deny * (policy node "
                       "unreadable: ",
                       0),
            0u);
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_NE(log_[0].find("refusing it everything"), std::string::npos);
}

}  // namespace
}  // namespace xenshm::policy
