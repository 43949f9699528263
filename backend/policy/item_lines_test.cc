#include "backend/policy/item_lines.h"

#include "gtest/gtest.h"

namespace xenshm::policy {
namespace {

TEST(ItemLinesTest, OneItemPerLine) {
  SettingLines lines = FindSettingLines(
      "name = \"guest\"\n"
      "# xenshm = [ \"commented\" ]\n"
      "xenshm = [\n"
      "  \"allow=moo*\",   # trailing comment \"quoted\"\n"
      "  'deny=secret*',\n"
      "]\n",
      "xenshm");
  EXPECT_EQ(lines.key_line, 3);
  EXPECT_EQ(lines.item_lines, (std::vector<int>{4, 5}));
}

TEST(ItemLinesTest, SeveralItemsOnOneLineAndEscapes) {
  SettingLines lines =
      FindSettingLines("xenshm = [ \"a\\\"b\", \"c\" ,\n\"d\" ]\n", "xenshm");
  EXPECT_EQ(lines.item_lines, (std::vector<int>{1, 1, 2}));
}

TEST(ItemLinesTest, AssignmentReplacesAndAdditionAppends) {
  SettingLines lines = FindSettingLines(
      "xenshm = [ \"old\" ]\n"
      "xenshm = [ \"new\" ]\n"
      "memory = 512\n"
      "xenshm += [ \"more\" ]\n",
      "xenshm");
  EXPECT_EQ(lines.key_line, 4);
  EXPECT_EQ(lines.item_lines, (std::vector<int>{2, 4}));
}

TEST(ItemLinesTest, OtherSettingsAndNestedListsAreNotItems) {
  SettingLines lines = FindSettingLines(
      "disk = [ \"x\", \"y\" ]; xenshm = [ 1, [ \"n\",\n \"m\" ],\n \"z\" ]\n"
      "vif = [ \"w\" ]\n",
      "xenshm");
  EXPECT_EQ(lines.item_lines, (std::vector<int>{1, 1, 3}));
}

TEST(ItemLinesTest, KeyIsMatchedWhole) {
  SettingLines lines = FindSettingLines(
      "xenshm_extra = [ \"a\" ]\nmyxenshm = [ \"b\" ]\n", "xenshm");
  EXPECT_EQ(lines.key_line, 0);
  EXPECT_TRUE(lines.item_lines.empty());
}

TEST(ItemLinesTest, SurvivesGarbage) {
  for (std::string_view text :
       {"", "\"", "xenshm = [ \"", "]]]][[[", "xenshm += += =", "#", "'\\"}) {
    (void)FindSettingLines(text, "xenshm");
  }
}

}  // namespace
}  // namespace xenshm::policy
