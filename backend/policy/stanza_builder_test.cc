#include "backend/policy/stanza_builder.h"

#include "gtest/gtest.h"

namespace xenshm::policy {
namespace {

std::vector<LocatedItem> Items(std::vector<std::string> texts) {
  std::vector<LocatedItem> items;
  int line = 10;
  for (std::string& text : texts) {
    items.push_back({std::move(text), "guest.cfg", line++, std::nullopt});
  }
  return items;
}

std::string Failure(std::vector<std::string> texts,
                    const StanzaLimits& limits = {}) {
  auto policy = BuildDomainPolicy(Items(std::move(texts)), limits);
  if (policy) return "built";
  EXPECT_EQ(policy.error().code(), Code::kInvalidArgument);
  return policy.error().message();
}

TEST(StanzaBuilderTest, EmptyStanzaIsTheDefaultPolicy) {
  auto policy = BuildDomainPolicy({});
  ASSERT_TRUE(policy);
  EXPECT_EQ(*policy, DomainPolicy());
}

TEST(StanzaBuilderTest, BuildsEveryPart) {
  auto policy = BuildDomainPolicy(Items({
      "deny=secret*",
      "allow=moo*",
      "ro=moo.ro*",
      "groups=video,audio",
      "gid=audio",
      "mode=0640",
      "umask=027",
      "create=moo,size=128M,mode=0660",
  }));
  ASSERT_TRUE(policy) << policy.error().ToString();
  ASSERT_EQ(policy->name_rules.size(), 2u);
  EXPECT_EQ(policy->name_rules[0],
            (NameRule{NameVerdict::kDeny, "secret*", "guest.cfg line 10"}));
  EXPECT_EQ(policy->name_rules[1].verdict, NameVerdict::kAllow);
  ASSERT_EQ(policy->read_only.size(), 1u);
  EXPECT_EQ(policy->read_only[0].source, "guest.cfg line 12");
  EXPECT_EQ(policy->groups, (std::vector<std::string>{"video", "audio"}));
  EXPECT_EQ(policy->gid, "audio");
  EXPECT_EQ(policy->mode, 0640u);
  EXPECT_EQ(policy->umask, 027u);
  ASSERT_EQ(policy->pre_created.size(), 1u);
  EXPECT_EQ(policy->pre_created[0], (RegionSpec{"moo", 128u << 20, 0660,
                                                "audio", "guest.cfg line 17"}));
}

TEST(StanzaBuilderTest, GidDefaultsToTheFirstGroup) {
  auto policy = BuildDomainPolicy(Items({"groups=video,audio"}));
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->gid, "video");
  auto none = BuildDomainPolicy(Items({"allow=*"}));
  EXPECT_EQ(none->gid, "");
}

TEST(StanzaBuilderTest, ReportsFileLineAndItem) {
  EXPECT_EQ(Failure({"allow=moo*", "deny=sec ret"}),
            "guest.cfg:11: 'deny=sec ret': pattern 'sec ret' has a character "
            "outside region-name characters and *?[]!^");
}

TEST(StanzaBuilderTest, UnknownLineFallsBackToItemNumber) {
  std::vector<LocatedItem> items = {{"allow=a", "guest.cfg", 0, {}},
                                    {"bogus", "guest.cfg", 0, {}}};
  auto policy = BuildDomainPolicy(items);
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().message().rfind("guest.cfg item 2: 'bogus':", 0), 0u)
      << policy.error().message();
}

TEST(StanzaBuilderTest, RefusesStanzaWideMistakes) {
  EXPECT_NE(Failure({"umask=022", "umask=027"})
                .find("given twice (first at "
                      "guest.cfg:10)"),
            std::string::npos);
  EXPECT_NE(Failure({"groups=a", "groups=b"}).find("given twice"),
            std::string::npos);
  EXPECT_NE(Failure({"gid=video"}).find("no groups= given"), std::string::npos);
  EXPECT_NE(Failure({"groups=audio", "gid=video"})
                .find("guest.cfg:11: 'gid=video': gid 'video' is not one"),
            std::string::npos);
  EXPECT_NE(Failure({"groups=audio", "create=m,size=1,gid=video"})
                .find("not one of the domain's groups"),
            std::string::npos);
  EXPECT_NE(Failure({"create=m,size=1", "create=m,size=2"})
                .find("guest.cfg:11: 'create=m,size=2': region 'm' is created "
                      "twice (first at guest.cfg line 10)"),
            std::string::npos);
  EXPECT_NE(Failure({"allow=moo*", "create=cow,size=1"})
                .find("own rule implied deny * after allow moo* "
                      "(guest.cfg line 10) refuses 'cow'"),
            std::string::npos);
  EXPECT_NE(Failure({"create=secret,size=1", "deny=secret"})
                .find("own rule deny secret"),
            std::string::npos);
}

TEST(StanzaBuilderTest, LimitsItemCount) {
  std::vector<std::string> texts(kMaxItems, "allow=a");
  EXPECT_EQ(Failure(texts), "built");
  texts.push_back("allow=b");
  EXPECT_NE(Failure(texts).find("more than 64"), std::string::npos);
}

TEST(StanzaBuilderTest, KnownGroupsCatchTypos) {
  std::set<std::string> known = {"video", "audio"};
  StanzaLimits limits{&known};
  EXPECT_EQ(Failure({"groups=video"}, limits), "built");
  EXPECT_NE(Failure({"groups=video,vidoe"}, limits)
                .find("group 'vidoe' is not in the dom0 policy file's groups"),
            std::string::npos);
}

TEST(StanzaBuilderTest, VerbatimSourceWins) {
  std::vector<LocatedItem> items = {
      {"allow=a", "policy", 2, RuleSource("guest.cfg line 7")}};
  auto policy = BuildDomainPolicy(items);
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->name_rules[0].source, "guest.cfg line 7");
}

}  // namespace
}  // namespace xenshm::policy
