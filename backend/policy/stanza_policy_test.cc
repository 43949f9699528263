#include "backend/policy/stanza_policy.h"

#include "backend/policy/xl_config.h"
#include "gtest/gtest.h"

namespace xenshm::policy {
namespace {

using backend::AttachQuestion;
using schema::Access;

DomainPolicy Stanza(std::string_view items) {
  auto policy = ParseGuestConfig("xenshm = [\n" + std::string(items) + "]\n",
                                 "guest.cfg");
  EXPECT_TRUE(policy) << policy.error().ToString();
  return policy && *policy ? **policy : DomainPolicy();
}

AttachQuestion Ask(DomainId domain, std::string region,
                   Access access = Access::kReadWrite, bool creates = false) {
  return {domain, std::move(region), access, creates};
}

std::string Refusal(const StanzaPolicy& policy, const AttachQuestion& q) {
  Status status = policy.Check(q);
  if (status.ok()) return "ok";
  EXPECT_EQ(status.code(), Code::kNoPermission);
  return status.message();
}

TEST(StanzaPolicyTest, WithoutAnyPolicyEverythingIsAllowed) {
  StanzaPolicy policy;
  EXPECT_EQ(Refusal(policy, Ask(3, "moo")), "ok");
  EXPECT_EQ(Refusal(policy, Ask(0, "moo")), "ok");
  EXPECT_TRUE(policy.PreCreatedRegions(3).empty());
}

TEST(StanzaPolicyTest, DenyNamesDomainRegionAndRule) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(3, Stanza("\"allow=moo*\",\n"
                                   "\"deny=secret*\",\n"));
  EXPECT_EQ(Refusal(policy, Ask(3, "moo")), "ok");
  EXPECT_EQ(Refusal(policy, Ask(3, "cow")),
            "domain 3 may not attach 'cow': implied deny * after allow "
            "moo* (guest.cfg line 2)");
  // First match wins.
  policy.SetDomainPolicy(3, Stanza("\"deny=secret*\",\n\"allow=*\",\n"));
  EXPECT_EQ(Refusal(policy, Ask(3, "secret-key", Access::kReadOnly, true)),
            "domain 3 may not attach 'secret-key': deny secret* (guest.cfg "
            "line 2)");
  EXPECT_EQ(Refusal(policy, Ask(3, "public")), "ok");
  // Other domains are not affected.
  EXPECT_EQ(Refusal(policy, Ask(4, "secret-key")), "ok");
}

TEST(StanzaPolicyTest, ImpliedFinalRule) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(3, Stanza("\"allow=moo*\",\n"));
  EXPECT_EQ(Refusal(policy, Ask(3, "cow")),
            "domain 3 may not attach 'cow': implied deny * after allow moo* "
            "(guest.cfg line 2)");
  policy.SetDomainPolicy(3, Stanza("\"deny=moo*\",\n"));
  EXPECT_EQ(Refusal(policy, Ask(3, "cow")), "ok");
  EXPECT_NE(Refusal(policy, Ask(3, "moo")), "ok");
}

TEST(StanzaPolicyTest, ReadOnlyRuleRefusesReadWrite) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(3, Stanza("\"ro=cam?\",\n"));
  EXPECT_EQ(Refusal(policy, Ask(3, "cam1", Access::kReadOnly)), "ok");
  EXPECT_EQ(Refusal(policy, Ask(3, "cam1", Access::kReadWrite)),
            "domain 3 may not attach 'cam1' read-write: ro cam? (guest.cfg "
            "line 2) allows it read-only only");
  // Creating is writing, too.
  EXPECT_NE(Refusal(policy, Ask(3, "cam1", Access::kReadWrite, true)), "ok");
  EXPECT_EQ(Refusal(policy, Ask(3, "cam12", Access::kReadWrite)), "ok");
}

TEST(StanzaPolicyTest, ModeBitsByClass) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(1, Stanza("\"groups=video\", \"mode=0640\",\n"));
  policy.SetDomainPolicy(2, Stanza("\"groups=audio,video\",\n"));
  policy.SetDomainPolicy(3, Stanza("\"groups=audio\",\n"));
  ASSERT_EQ(Refusal(policy, Ask(1, "frames", Access::kReadWrite, true)), "ok");
  RegionMeta meta = policy.RegionCreated("frames", 1);
  EXPECT_EQ(meta, (RegionMeta{1, "video", 0640}));

  // Owner: rw.
  EXPECT_EQ(Refusal(policy, Ask(1, "frames", Access::kReadWrite)), "ok");
  // Group video: r only.
  EXPECT_EQ(Refusal(policy, Ask(2, "frames", Access::kReadOnly)), "ok");
  EXPECT_EQ(Refusal(policy, Ask(2, "frames", Access::kReadWrite)),
            "domain 2 may not attach 'frames' read-write: region mode 0640 "
            "(owner domain 1, group video) gives group only r-");
  // Other: nothing.
  EXPECT_EQ(Refusal(policy, Ask(3, "frames", Access::kReadOnly)),
            "domain 3 may not attach 'frames' read-only: region mode 0640 "
            "(owner domain 1, group video) gives other only --");
}

TEST(StanzaPolicyTest, OwnerBitsApplyToTheOwnerEvenIfGroupHasMore) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(1, Stanza("\"groups=video\", \"mode=0460\",\n"));
  policy.RegionCreated("r", 1);
  EXPECT_NE(Refusal(policy, Ask(1, "r", Access::kReadWrite)), "ok");
  EXPECT_EQ(Refusal(policy, Ask(1, "r", Access::kReadOnly)), "ok");
}

TEST(StanzaPolicyTest, UmaskAppliesAtCreate) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(1, Stanza("\"umask=027\", \"groups=g\",\n"));
  EXPECT_EQ(policy.RegionCreated("r", 1), (RegionMeta{1, "g", 0640}));
  policy.SetDomainPolicy(2, Stanza("\"umask=077\",\n"));
  EXPECT_EQ(policy.RegionCreated("s", 2).mode, 0600u);
  // The default is 0666 with no umask.
  EXPECT_EQ(policy.RegionCreated("t", 9), (RegionMeta{9, "", 0666}));
}

TEST(StanzaPolicyTest, PreCreatedRegions) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(
      1, Stanza("\"groups=video,audio\", \"umask=022\",\n"
                "\"create=frames,size=128M,mode=0664,gid=audio\",\n"
                "\"create=log,size=4K\",\n"));
  EXPECT_EQ(policy.PreCreatedRegions(1),
            (std::vector<PreCreatedRegion>{
                {"frames", 128u << 20, 0644, "audio"},
                {"log", 4096, 0644, "video"},
            }));
  EXPECT_EQ(policy.RegionCreated("frames", 1), (RegionMeta{1, "audio", 0644}));
  EXPECT_TRUE(policy.PreCreatedRegions(2).empty());
}

TEST(StanzaPolicyTest, DestroyedRegionsAreForgotten) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(1, Stanza("\"mode=0600\",\n"));
  policy.RegionCreated("r", 1);
  EXPECT_NE(Refusal(policy, Ask(2, "r", Access::kReadOnly)), "ok");
  policy.RegionDestroyed("r");
  EXPECT_EQ(policy.FindRegion("r"), nullptr);
  EXPECT_EQ(Refusal(policy, Ask(2, "r", Access::kReadOnly, true)), "ok");
  policy.RegionDestroyed("never-existed");
}

TEST(StanzaPolicyTest, DeadOwnerDoesNotPassOwnershipToItsId) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(1, Stanza("\"mode=0600\",\n"));
  policy.RegionCreated("r", 1);
  policy.RemoveDomain(1);
  EXPECT_FALSE(policy.HasDomainPolicy(1));
  EXPECT_EQ(policy.FindRegion("r")->owner, std::nullopt);
  // A new domain 1 is "other" now.
  EXPECT_EQ(Refusal(policy, Ask(1, "r", Access::kReadOnly)),
            "domain 1 may not attach 'r' read-only: region mode 0600 (owner "
            "gone, no group) gives other only --");
}

TEST(StanzaPolicyTest, DefaultAppliesToDomainsWithoutStanza) {
  auto dom0 = ParseDom0PolicyFile(
      "default = [ \"allow=public*\", \"groups=guests\" ]\n", "policy.cfg");
  ASSERT_TRUE(dom0);
  StanzaPolicy policy(*dom0);
  EXPECT_EQ(Refusal(policy, Ask(5, "public-1")), "ok");
  EXPECT_EQ(Refusal(policy, Ask(5, "private")),
            "domain 5 may not attach 'private': implied deny * after allow "
            "public* (policy.cfg line 1)");
  policy.SetDomainPolicy(5, Stanza("\"allow=private\",\n"));
  EXPECT_EQ(Refusal(policy, Ask(5, "private")), "ok");
  policy.RemoveDomain(5);
  EXPECT_NE(Refusal(policy, Ask(5, "private")), "ok");
  // dom0 is not restricted by the default.
  EXPECT_EQ(Refusal(policy, Ask(0, "private")), "ok");
}

TEST(StanzaPolicyTest, Dom0IsRestrictedOnlyByItsOwnStanza) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(1, Stanza("\"mode=0600\",\n"));
  policy.RegionCreated("r", 1);
  EXPECT_EQ(Refusal(policy, Ask(0, "r")), "ok");  // like root

  auto dom0 = ParseDom0PolicyFile("xenshm = [ \"deny=r\" ]\n", "policy.cfg");
  ASSERT_TRUE(dom0);
  policy.SetDom0Policy(*dom0);
  EXPECT_EQ(Refusal(policy, Ask(0, "r")),
            "domain 0 may not attach 'r': deny r (policy.cfg line 1)");
  // The region record survived the reload.
  EXPECT_NE(policy.FindRegion("r"), nullptr);
}

TEST(StanzaPolicyTest, DenyEverythingFailsClosed) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(3, DenyEverything("policy node unreadable"));
  EXPECT_EQ(Refusal(policy, Ask(3, "moo", Access::kReadOnly, true)),
            "domain 3 may not attach 'moo': deny * (policy node unreadable)");
}

TEST(StanzaPolicyTest, UnrecordedRegionsAreOpen) {
  StanzaPolicy policy;
  policy.SetDomainPolicy(3, Stanza("\"groups=g\",\n"));
  EXPECT_EQ(Refusal(policy, Ask(3, "unknown", Access::kReadWrite)), "ok");
}

}  // namespace
}  // namespace xenshm::policy
