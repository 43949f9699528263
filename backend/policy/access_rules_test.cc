#include "backend/policy/access_rules.h"

#include "gtest/gtest.h"

namespace xenshm::policy {
namespace {

using schema::Access;

NameRule Allow(std::string pattern) {
  return {NameVerdict::kAllow, std::move(pattern), "guest.cfg line 1"};
}
NameRule Deny(std::string pattern) {
  return {NameVerdict::kDeny, std::move(pattern), "guest.cfg line 2"};
}

TEST(NameRulesTest, NoRulesAllowEverything) {
  NameDecision decision = DecideName({}, "anything");
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(decision.rule, nullptr);
  EXPECT_EQ(DescribeDecision(decision), "no rules");
}

TEST(NameRulesTest, AllowImpliesFinalDeny) {
  std::vector<NameRule> rules = {Allow("moo*")};
  EXPECT_TRUE(DecideName(rules, "moo").allowed);
  EXPECT_TRUE(DecideName(rules, "moo-2").allowed);
  NameDecision other = DecideName(rules, "cow");
  EXPECT_FALSE(other.allowed);
  EXPECT_TRUE(other.implied);
  EXPECT_EQ(DescribeDecision(other),
            "implied deny * after allow moo* (guest.cfg line 1)");
}

TEST(NameRulesTest, DenyImpliesFinalAllow) {
  std::vector<NameRule> rules = {Deny("secret*")};
  NameDecision secret = DecideName(rules, "secret-key");
  EXPECT_FALSE(secret.allowed);
  EXPECT_FALSE(secret.implied);
  EXPECT_EQ(DescribeDecision(secret), "deny secret* (guest.cfg line 2)");
  NameDecision other = DecideName(rules, "public");
  EXPECT_TRUE(other.allowed);
  EXPECT_TRUE(other.implied);
}

TEST(NameRulesTest, FirstMatchWins) {
  std::vector<NameRule> deny_first = {Deny("moo-secret"), Allow("moo*")};
  EXPECT_FALSE(DecideName(deny_first, "moo-secret").allowed);
  EXPECT_TRUE(DecideName(deny_first, "moo-public").allowed);
  EXPECT_FALSE(DecideName(deny_first, "cow").allowed);  // implied deny *

  std::vector<NameRule> allow_first = {Allow("moo*"), Deny("moo-secret")};
  EXPECT_TRUE(DecideName(allow_first, "moo-secret").allowed);
}

TEST(NameRulesTest, AnyAllowMakesTheImpliedRuleDeny) {
  std::vector<NameRule> rules = {Allow("a*"), Deny("b*"), Deny("c*")};
  NameDecision decision = DecideName(rules, "d");
  EXPECT_FALSE(decision.allowed);
  EXPECT_EQ(decision.rule, &rules[0]);
  rules = {Deny("a*"), Allow("b*")};
  EXPECT_FALSE(DecideName(rules, "c").allowed);
  rules = {Deny("a*"), Deny("b*")};
  decision = DecideName(rules, "c");
  EXPECT_TRUE(decision.allowed);
  EXPECT_EQ(DescribeDecision(decision),
            "implied allow * after deny b* (guest.cfg line 2)");
}

TEST(NameRulesTest, GlobsAreShellGlobs) {
  EXPECT_TRUE(GlobMatches("cam?", "cam1"));
  EXPECT_FALSE(GlobMatches("cam?", "cam12"));
  EXPECT_TRUE(GlobMatches("cam[0-3]", "cam2"));
  EXPECT_FALSE(GlobMatches("cam[0-3]", "cam7"));
  EXPECT_TRUE(GlobMatches("cam[!0-3]", "cam7"));
  EXPECT_TRUE(GlobMatches("*", "x"));
  EXPECT_TRUE(GlobMatches("a.b", "a.b"));
  EXPECT_FALSE(GlobMatches("a.b", "axb"));
  EXPECT_TRUE(GlobMatches("*.ro", "video.ro"));
}

TEST(RegionModeTest, ReadOnlyNeedsReadBit) {
  EXPECT_TRUE(ModeAllows(0400, PeerClass::kOwner, Access::kReadOnly));
  EXPECT_FALSE(ModeAllows(0200, PeerClass::kOwner, Access::kReadOnly));
  EXPECT_TRUE(ModeAllows(0040, PeerClass::kGroup, Access::kReadOnly));
  EXPECT_FALSE(ModeAllows(0040, PeerClass::kOther, Access::kReadOnly));
  EXPECT_TRUE(ModeAllows(0004, PeerClass::kOther, Access::kReadOnly));
}

TEST(RegionModeTest, ReadWriteNeedsBothBits) {
  EXPECT_TRUE(ModeAllows(0600, PeerClass::kOwner, Access::kReadWrite));
  EXPECT_FALSE(ModeAllows(0400, PeerClass::kOwner, Access::kReadWrite));
  // Write without read is not enough: a mapping is always readable.
  EXPECT_FALSE(ModeAllows(0020, PeerClass::kGroup, Access::kReadWrite));
  EXPECT_TRUE(ModeAllows(0066, PeerClass::kGroup, Access::kReadWrite));
  EXPECT_FALSE(ModeAllows(0660, PeerClass::kOther, Access::kReadWrite));
}

TEST(RegionModeTest, ClassBitsForMessages) {
  EXPECT_EQ(ClassBits(0640, PeerClass::kOwner), "rw");
  EXPECT_EQ(ClassBits(0640, PeerClass::kGroup), "r-");
  EXPECT_EQ(ClassBits(0640, PeerClass::kOther), "--");
  EXPECT_EQ(ClassBits(0020, PeerClass::kGroup), "-w");
}

}  // namespace
}  // namespace xenshm::policy
