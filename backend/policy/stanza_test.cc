#include "backend/policy/stanza.h"

#include <set>

#include "gtest/gtest.h"

namespace xenshm::policy {
namespace {

// ---------------------------------------------------------------- items

std::string Reason(std::string_view text) {
  auto item = ParseStanzaItem(text);
  if (item) return "parsed";
  EXPECT_EQ(item.error().code(), Code::kInvalidArgument);
  EXPECT_FALSE(item.error().message().empty());
  return item.error().message();
}

bool Mentions(std::string_view text, std::string_view word) {
  return Reason(text).find(word) != std::string::npos;
}

TEST(StanzaItemTest, ParsesNameRules) {
  auto allow = ParseStanzaItem("allow=moo*");
  ASSERT_TRUE(allow);
  EXPECT_EQ(allow->kind, ItemKind::kAllow);
  EXPECT_EQ(allow->pattern, "moo*");
  EXPECT_EQ(ParseStanzaItem("deny=secret*")->kind, ItemKind::kDeny);
  EXPECT_EQ(ParseStanzaItem("ro=video.[0-9]")->kind, ItemKind::kReadOnly);
  EXPECT_EQ(ParseStanzaItem(" allow = moo* ")->pattern, "moo*");
}

TEST(StanzaItemTest, ParsesGroupsGidModeUmask) {
  auto groups = ParseStanzaItem("groups=video, audio");
  ASSERT_TRUE(groups);
  EXPECT_EQ(groups->groups, (std::vector<std::string>{"video", "audio"}));
  EXPECT_EQ(ParseStanzaItem("gid=video")->group, "video");
  EXPECT_EQ(ParseStanzaItem("mode=0640")->octal, 0640u);
  EXPECT_EQ(ParseStanzaItem("umask=027")->octal, 027u);
}

TEST(StanzaItemTest, ParsesCreate) {
  auto create = ParseStanzaItem("create=moo,size=128M,mode=0660,gid=video");
  ASSERT_TRUE(create) << create.error().ToString();
  EXPECT_EQ(create->kind, ItemKind::kCreate);
  EXPECT_EQ(create->name, "moo");
  EXPECT_EQ(create->size, 128u << 20);
  EXPECT_TRUE(create->has_mode);
  EXPECT_EQ(create->octal, 0660u);
  EXPECT_EQ(create->group, "video");

  auto plain = ParseStanzaItem("create=cow, size=4096");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->size, 4096u);
  EXPECT_FALSE(plain->has_mode);
  EXPECT_EQ(plain->group, "");
}

TEST(StanzaItemTest, SizesHaveBinarySuffixes) {
  EXPECT_EQ(ParseRegionSize("1").value(), 1u);
  EXPECT_EQ(ParseRegionSize("0x10000").value(), 65536u);
  EXPECT_FALSE(ParseRegionSize("0x0"));
  EXPECT_FALSE(ParseRegionSize("0x40000001"));
  EXPECT_EQ(ParseRegionSize("4K").value(), 4096u);
  EXPECT_EQ(ParseRegionSize("2m").value(), 2u << 20);
  EXPECT_EQ(ParseRegionSize("1G").value(), 1u << 30);
  EXPECT_FALSE(ParseRegionSize("2G"));
  EXPECT_FALSE(ParseRegionSize("0"));
  EXPECT_FALSE(ParseRegionSize("0K"));
  EXPECT_FALSE(ParseRegionSize("K"));
  EXPECT_FALSE(ParseRegionSize("012"));
  EXPECT_FALSE(ParseRegionSize("1T"));
  EXPECT_FALSE(ParseRegionSize("-1"));
  EXPECT_FALSE(ParseRegionSize("99999999999999999999999K"));
}

TEST(StanzaItemTest, RefusesBadItemsWithReasons) {
  EXPECT_TRUE(Mentions("allow", "key=value"));
  EXPECT_TRUE(Mentions("permit=moo", "unknown key 'permit'"));
  EXPECT_TRUE(Mentions("allow=", "empty pattern"));
  EXPECT_TRUE(Mentions("allow=mo o", "character"));
  EXPECT_TRUE(Mentions("deny=a/b", "character"));
  EXPECT_TRUE(Mentions("deny=cam[0-3", "unclosed"));
  EXPECT_TRUE(Mentions("allow=" + std::string(129, 'a'), "longer"));
  EXPECT_TRUE(Mentions("groups=video,video", "twice"));
  EXPECT_TRUE(Mentions("groups=vid eo", "character"));
  EXPECT_TRUE(Mentions("groups=-x", "starts with"));
  EXPECT_TRUE(
      Mentions("groups=a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q", "more than 16"));
  EXPECT_TRUE(Mentions("gid=", "empty group"));
  EXPECT_TRUE(Mentions("mode=0777", "execute"));
  EXPECT_TRUE(Mentions("umask=9", "octal"));
  EXPECT_TRUE(Mentions("create=moo", "no size"));
  EXPECT_TRUE(Mentions("create=.moo,size=1", "starts with '.'"));
  EXPECT_TRUE(Mentions("create=moo,size=1,size=2", "twice"));
  EXPECT_TRUE(Mentions("create=moo,size=1,owner=3", "unknown option"));
  EXPECT_TRUE(Mentions("create=moo,size=1,mode=0999", "octal"));
  EXPECT_TRUE(Mentions("create=moo,size=1,gid=a b", "character"));
  EXPECT_TRUE(Mentions(std::string(300, 'a'), "longer"));
  EXPECT_TRUE(Mentions("allow=moo\x01", "printable"));
}

TEST(StanzaItemTest, ParsesQuotaKeys) {
  auto regions = ParseStanzaItem("max-regions = 12");
  ASSERT_TRUE(regions) << regions.error().ToString();
  EXPECT_EQ(regions->kind, ItemKind::kMaxRegions);
  EXPECT_EQ(regions->limit, 12u);
  EXPECT_EQ(ParseStanzaItem("max-attachments=0")->limit, 0u);
  EXPECT_EQ(ParseStanzaItem("max-pending=4096")->limit, 4096u);
  EXPECT_EQ(ParseStanzaItem("max-region-memory=160M")->limit, 160u << 20);
  EXPECT_EQ(ParseStanzaItem("max-mapped=0x1000")->limit, 4096u);
  EXPECT_EQ(ParseStanzaItem("max-mapped=0")->limit, 0u);
  EXPECT_EQ(ParseStanzaItem("max-mapped=64G")->limit, uint64_t{64} << 30);
  EXPECT_EQ(ParseStanzaItem("max-mapped=64G")->kind, ItemKind::kMaxMapped);
  auto rate = ParseStanzaItem("max-request-rate=64");
  ASSERT_TRUE(rate) << rate.error().ToString();
  EXPECT_EQ(rate->kind, ItemKind::kMaxRequestRate);
  EXPECT_EQ(rate->limit, 64u);
  EXPECT_EQ(FormatStanzaItem(*rate), "max-request-rate=64");
  EXPECT_EQ(ParseStanzaItem("max-request-rate=0")->limit, 0u);
  EXPECT_EQ(ParseStanzaItem("max-request-rate=4096")->limit, 4096u);
}

TEST(StanzaItemTest, RefusesBadRequestRates) {
  EXPECT_TRUE(Mentions("max-request-rate=4097", "max-request-rate"));
  EXPECT_TRUE(Mentions("max-request-rate=16/s", "max-request-rate"));
  EXPECT_TRUE(Mentions("max-request-rate=1K", "max-request-rate"));
  EXPECT_TRUE(Mentions("max-request-rate=", "max-request-rate"));
  EXPECT_TRUE(Mentions("max-request-rates=1", "max-request-rate)"));
}

TEST(StanzaItemTest, RefusesBadQuotaValues) {
  EXPECT_TRUE(Mentions("max-regions=4097", "max-regions"));
  EXPECT_TRUE(Mentions("max-regions=-1", "max-regions"));
  EXPECT_TRUE(Mentions("max-attachments=08", "leading zero"));
  EXPECT_TRUE(Mentions("max-pending=4K", "max-pending"));  // counts: digits
  EXPECT_TRUE(Mentions("max-pending=", "max-pending"));
  EXPECT_TRUE(Mentions("max-region-memory=65G", "max-region-memory"));
  EXPECT_TRUE(Mentions("max-mapped=1T", "max-mapped"));
  EXPECT_TRUE(Mentions("max-mapped=0x10K", "max-mapped"));
  EXPECT_TRUE(Mentions("max-memory=1M", "unknown key 'max-memory'"));
}

TEST(StanzaItemTest, GlobBracketsMayStartWithCloseBracket) {
  EXPECT_TRUE(ParseGlob("a[]]"));
  EXPECT_TRUE(ParseGlob("a[!]]"));
  EXPECT_FALSE(ParseGlob("a[]"));
}

TEST(StanzaItemTest, FormatIsNormalAndParsesBack) {
  for (std::string_view text :
       {"allow = moo*", "deny=secret*", "ro=cam?", "groups=video, audio",
        "gid=video", "mode=640", "umask=22",
        "create=moo, size=128M, mode=0660, gid=video", "create=cow,size=1",
        "max-regions=7", "max-attachments = 0", "max-region-memory=160M",
        "max-mapped=0x1000", "max-pending=4096"}) {
    auto item = ParseStanzaItem(text);
    ASSERT_TRUE(item) << text;
    const std::string normal = FormatStanzaItem(*item);
    EXPECT_EQ(normal.find(' '), std::string::npos) << normal;
    auto again = ParseStanzaItem(normal);
    ASSERT_TRUE(again) << normal;
    EXPECT_EQ(FormatStanzaItem(*again), normal);
  }
  EXPECT_EQ(FormatStanzaItem(*ParseStanzaItem("create=moo,size=128M")),
            "create=moo,size=134217728");
  EXPECT_EQ(FormatStanzaItem(*ParseStanzaItem("umask=22")), "umask=0022");
  EXPECT_EQ(FormatStanzaItem(*ParseStanzaItem("max-mapped=160M")),
            "max-mapped=167772160");
  EXPECT_EQ(FormatStanzaItem(*ParseStanzaItem("max-regions=7")),
            "max-regions=7");
}

// ---------------------------------------------------------------- modes

TEST(RegionModeTest, ParsesOctalModes) {
  EXPECT_EQ(ParseMode("0660").value(), 0660u);
  EXPECT_EQ(ParseMode("644").value(), 0644u);
  EXPECT_EQ(ParseMode("0").value(), 0u);
  EXPECT_EQ(ParseUmask("022").value(), 022u);
  EXPECT_EQ(ParseUmask("0777").value(), 0777u);
}

TEST(RegionModeTest, RefusesBadModes) {
  EXPECT_FALSE(ParseMode(""));
  EXPECT_FALSE(ParseMode("0x66"));
  EXPECT_FALSE(ParseMode("0668"));
  EXPECT_FALSE(ParseMode("06600"));
  EXPECT_FALSE(ParseMode("1666"));
  auto exec = ParseMode("0755");
  ASSERT_FALSE(exec);
  EXPECT_NE(exec.error().message().find("execute"), std::string::npos);
  EXPECT_FALSE(ParseUmask("1000"));
  EXPECT_FALSE(ParseUmask("-22"));
}

TEST(RegionModeTest, FormatsFourDigits) {
  EXPECT_EQ(FormatMode(0660), "0660");
  EXPECT_EQ(FormatMode(0), "0000");
  EXPECT_EQ(FormatMode(022), "0022");
}

// ---------------------------------------------------------------- building

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

TEST(StanzaBuilderTest, AppliesTheRequestRateOnce) {
  auto policy = BuildDomainPolicy(Items({"allow=moo", "max-request-rate=100"}));
  ASSERT_TRUE(policy) << policy.error().ToString();
  EXPECT_EQ(policy->quota.request_rate, 100u);
  EXPECT_EQ(policy->quota.pending, backend::DomainQuota{}.pending);
  EXPECT_NE(Failure({"max-request-rate=1", "max-request-rate=2"}), "built");
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

TEST(StanzaBuilderTest, QuotaKeysSetTheirLimitsAndKeepTheRestDefault) {
  auto policy = BuildDomainPolicy(
      Items({"allow=moo", "max-region-memory=160M", "max-mapped=161M"}));
  ASSERT_TRUE(policy) << policy.error().ToString();
  backend::DomainQuota expected;
  expected.region_bytes = 160u << 20;
  expected.mapped_bytes = 161u << 20;
  EXPECT_EQ(policy->quota, expected);
  auto all = BuildDomainPolicy(
      Items({"max-regions=1", "max-attachments=2", "max-region-memory=3",
             "max-mapped=4", "max-pending=5"}));
  ASSERT_TRUE(all) << all.error().ToString();
  EXPECT_EQ(all->quota, (backend::DomainQuota{1, 2, 3, 4, 5}));
  EXPECT_EQ(BuildDomainPolicy({})->quota, backend::DomainQuota{});
  EXPECT_EQ(Failure({"max-mapped=1M", "max-mapped=2M"}),
            "guest.cfg:11: 'max-mapped=2M': max-mapped= given twice (first at "
            "guest.cfg:10)");
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
