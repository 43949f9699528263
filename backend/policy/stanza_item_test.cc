#include "backend/policy/stanza_item.h"

#include "gtest/gtest.h"

namespace xenshm::policy {
namespace {

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

TEST(StanzaItemTest, GlobBracketsMayStartWithCloseBracket) {
  EXPECT_TRUE(ParseGlob("a[]]"));
  EXPECT_TRUE(ParseGlob("a[!]]"));
  EXPECT_FALSE(ParseGlob("a[]"));
}

TEST(StanzaItemTest, FormatIsNormalAndParsesBack) {
  for (std::string_view text :
       {"allow = moo*", "deny=secret*", "ro=cam?", "groups=video, audio",
        "gid=video", "mode=640", "umask=22",
        "create=moo, size=128M, mode=0660, gid=video", "create=cow,size=1"}) {
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
}

}  // namespace
}  // namespace xenshm::policy
