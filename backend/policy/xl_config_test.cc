#include "backend/policy/xl_config.h"

#include <cstdlib>
#include <fstream>

#include "backend/policy/evaluator.h"
#include "gtest/gtest.h"

namespace xenshm::policy {
namespace {

constexpr std::string_view kGuest =
    "name = \"guest1\"\n"                    // 1
    "memory = 512\n"                         // 2
    "xenshm = [\n"                           // 3
    "  \"allow=moo*\",\n"                    // 4
    "  \"deny=secret*\",\n"                  // 5
    "  \"groups=video\",\n"                  // 6
    "  \"create=moo,size=1M,mode=0640\",\n"  // 7
    "]\n";

std::string ErrorOf(std::string_view text) {
  auto policy = ParseGuestConfig(text, "guest.cfg");
  if (policy) return "parsed";
  EXPECT_EQ(policy.error().code(), Code::kInvalidArgument);
  return policy.error().message();
}

TEST(XlConfigTest, ReadsTheStanzaWithLines) {
  auto policy = ParseGuestConfig(kGuest, "guest.cfg");
  ASSERT_TRUE(policy) << policy.error().ToString();
  ASSERT_TRUE(*policy);
  const DomainPolicy& p = **policy;
  ASSERT_EQ(p.name_rules.size(), 2u);
  EXPECT_EQ(p.name_rules[0].source, "guest.cfg line 4");
  EXPECT_EQ(p.name_rules[1].source, "guest.cfg line 5");
  EXPECT_EQ(p.gid, "video");
  ASSERT_EQ(p.pre_created.size(), 1u);
  EXPECT_EQ(p.pre_created[0].size, 1u << 20);
  EXPECT_EQ(p.pre_created[0].source, "guest.cfg line 7");
}

TEST(XlConfigTest, NoStanzaIsNullopt) {
  auto policy = ParseGuestConfig("name = \"g\"\n", "guest.cfg");
  ASSERT_TRUE(policy);
  EXPECT_FALSE(*policy);
}

TEST(XlConfigTest, EmptyStanzaIsAnEmptyPolicy) {
  auto policy = ParseGuestConfig("xenshm = []\n", "guest.cfg");
  ASSERT_TRUE(policy);
  ASSERT_TRUE(*policy);
  EXPECT_EQ(**policy, DomainPolicy());
}

TEST(XlConfigTest, BadItemNamesFileLineAndReason) {
  EXPECT_EQ(ErrorOf("name = \"g\"\n"
                    "xenshm = [ \"allow=moo*\",\n"
                    "           \"umask=088\" ]\n"),
            "guest.cfg:3: 'umask=088': umask '088' is not octal");
}

TEST(XlConfigTest, SyntaxErrorsComeFromLibxlutil) {
  std::string error = ErrorOf("xenshm = [ \"allow=moo*\"\n");
  EXPECT_NE(error.find("guest.cfg:"), std::string::npos) << error;
}

TEST(XlConfigTest, StanzaMustBeAListOfStrings) {
  EXPECT_EQ(ErrorOf("memory = 1\nxenshm = \"allow=moo\"\n"),
            "guest.cfg:2: xenshm must be a list of strings, like xenshm = [ "
            "\"allow=moo*\" ]");
  EXPECT_NE(ErrorOf("xenshm = [ \"allow=a\", [ \"x\" ] ]\n")
                .find("guest.cfg:1: xenshm item 2 is a list"),
            std::string::npos);
}

TEST(XlConfigTest, RefusesNulBytes) {
  std::string text = "xenshm = [ \"allow=a\" ]\n# x";
  text += '\0';
  EXPECT_EQ(ErrorOf(text), "guest.cfg:2: NUL byte in config text");
}

TEST(XlConfigTest, CommandLineItemsAreLocatedThere) {
  std::vector<std::string> extra = {"memory=1024", "xenshm=[\"deny=x y\"]"};
  auto policy = ParseGuestConfig(kGuest, "guest.cfg", {}, extra);
  ASSERT_FALSE(policy);
  EXPECT_EQ(policy.error().message().rfind("command line:2: 'deny=x y':", 0),
            0u)
      << policy.error().message();

  std::vector<std::string> append = {"xenshm+=[\"ro=moo*\"]"};
  auto appended = ParseGuestConfig(kGuest, "guest.cfg", {}, append);
  ASSERT_TRUE(appended) << appended.error().ToString();
  ASSERT_EQ((*appended)->read_only.size(), 1u);
  EXPECT_EQ((*appended)->read_only[0].source, "command line line 1");
}

TEST(XlConfigTest, Dom0PolicyFile) {
  auto dom0 = ParseDom0PolicyFile(
      "groups = [ \"video\", \"audio\" ]\n"
      "default = [ \"deny=*\" ]\n"
      "xenshm = [ \"allow=*\", \"groups=video\" ]\n",
      "policy.cfg");
  ASSERT_TRUE(dom0) << dom0.error().ToString();
  EXPECT_EQ(dom0->groups, (std::set<std::string>{"video", "audio"}));
  ASSERT_TRUE(dom0->fallback);
  EXPECT_EQ(dom0->fallback->name_rules[0].source, "policy.cfg line 2");
  ASSERT_TRUE(dom0->dom0);
  EXPECT_EQ(dom0->dom0->gid, "video");

  auto empty = ParseDom0PolicyFile("", "policy.cfg");
  ASSERT_TRUE(empty);
  EXPECT_FALSE(empty->groups);
  EXPECT_FALSE(empty->fallback);
  EXPECT_FALSE(empty->dom0);
}

TEST(XlConfigTest, Dom0PolicyFileCarriesQuotasAndItsName) {
  auto dom0 = ParseDom0PolicyFile(
      "default = [ \"allow=pub*\", \"max-regions=1\" ]\n"
      "xenshm = [ \"allow=*\", \"max-region-memory=160M\" ]\n",
      "/etc/xenshm/policy.cfg");
  ASSERT_TRUE(dom0) << dom0.error().ToString();
  EXPECT_EQ(dom0->file, "/etc/xenshm/policy.cfg");
  EXPECT_EQ(dom0->fallback->quota.regions, 1u);
  EXPECT_EQ(dom0->fallback->quota.region_bytes,
            backend::DomainQuota{}.region_bytes);
  EXPECT_EQ(dom0->dom0->quota.region_bytes, 160u << 20);
  auto bad =
      ParseDom0PolicyFile("xenshm = [ \"max-pending=5000\" ]\n", "policy.cfg");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().rfind("policy.cfg:1: 'max-pending=5000':", 0),
            0u)
      << bad.error().message();
}

// Every size in the policy file (quotas and create=) takes each spelling
// base/numbers.h's ParseByteSize reads, and a malformed one names its line.
TEST(XlConfigTest, Dom0PolicyFileSizesInDecimalHexAndSuffixes) {
  auto dom0 = ParseDom0PolicyFile(
      "default = [ \"max-region-memory=0x1000000\", \"max-mapped=65536\" ]\n"
      "xenshm = [ \"create=log,size=64K\", \"max-mapped=2G\",\n"
      "            \"create=ring,size=0x2000\", \"max-region-memory=1g\" ]\n",
      "policy.cfg");
  ASSERT_TRUE(dom0) << dom0.error().ToString();
  EXPECT_EQ(dom0->fallback->quota.region_bytes, 16u << 20);
  EXPECT_EQ(dom0->fallback->quota.mapped_bytes, 65536u);
  EXPECT_EQ(dom0->dom0->quota.mapped_bytes, uint64_t{2} << 30);
  EXPECT_EQ(dom0->dom0->quota.region_bytes, uint64_t{1} << 30);
  ASSERT_EQ(dom0->dom0->pre_created.size(), 2u);
  EXPECT_EQ(dom0->dom0->pre_created[0].size, 65536u);
  EXPECT_EQ(dom0->dom0->pre_created[1].size, 8192u);

  for (const char* bad : {"1K5", "0x", "64 K", "64KiB", "-1", "0x10K", ""}) {
    auto refused = ParseDom0PolicyFile(
        "default = [ \"allow=*\" ]\nxenshm = [ \"max-mapped=" +
            std::string(bad) + "\" ]\n",
        "policy.cfg");
    ASSERT_FALSE(refused) << bad;
    EXPECT_EQ(refused.error().message().rfind("policy.cfg:2: ", 0), 0u)
        << refused.error().message();
    EXPECT_NE(refused.error().message().find("max-mapped"), std::string::npos)
        << refused.error().message();
  }
}

// The file xenshm ships parses and grants nothing: no default, no dom0
// stanza, so the evaluator refuses every domain without a stanza.
TEST(XlConfigTest, ShippedPolicyFileGrantsNothing) {
  auto dom0 = ReadDom0PolicyFile("backend/policy/policy.cfg.default");
  ASSERT_TRUE(dom0) << dom0.error().ToString();
  EXPECT_FALSE(dom0->groups);
  EXPECT_FALSE(dom0->fallback);
  EXPECT_FALSE(dom0->dom0);
  Evaluator policy(*dom0);
  for (DomainId domain : {kDom0, DomainId{1}, DomainId{7}}) {
    for (bool creates : {false, true}) {
      Status status =
          policy.Check({domain, "moo", schema::Access::kReadOnly, creates});
      EXPECT_EQ(status.code(), Code::kNoPermission) << status.ToString();
    }
  }
}

TEST(XlConfigTest, Dom0PolicyFileChecksGroups) {
  auto typo = ParseDom0PolicyFile(
      "groups = [ \"video\" ]\ndefault = [ \"groups=vidoe\" ]\n", "policy.cfg");
  ASSERT_FALSE(typo);
  EXPECT_EQ(typo.error().message(),
            "policy.cfg:2: 'groups=vidoe': group 'vidoe' is not in the dom0 "
            "policy file's groups");
  auto bad = ParseDom0PolicyFile("groups = [ \"a b\" ]\n", "policy.cfg");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message().rfind("policy.cfg:1: 'a b':", 0), 0u);
}

TEST(XlConfigTest, DefaultMayNotPreCreate) {
  auto dom0 = ParseDom0PolicyFile("default = [\n \"create=moo,size=1\" ]\n",
                                  "policy.cfg");
  ASSERT_FALSE(dom0);
  EXPECT_EQ(dom0.error().message().rfind(
                "policy.cfg line 2: 'create=moo': create= is not allowed in "
                "default",
                0),
            0u)
      << dom0.error().message();
}

TEST(XlConfigTest, ReadsStringSettings) {
  auto name = ParseConfigString(kGuest, "guest.cfg", "name");
  ASSERT_TRUE(name);
  EXPECT_EQ(*name, "guest1");
  std::vector<std::string> extra = {"name=\"other\""};
  EXPECT_EQ(ParseConfigString(kGuest, "guest.cfg", "name", extra).value(),
            "other");
  EXPECT_EQ(ParseConfigString(kGuest, "guest.cfg", "xenshm").value(),
            std::nullopt);
  EXPECT_EQ(ParseConfigString(kGuest, "guest.cfg", "nothing").value(),
            std::nullopt);
  EXPECT_FALSE(ParseConfigString("name = [", "guest.cfg", "name"));
}

TEST(XlConfigTest, ReadsFiles) {
  const char* dir = std::getenv("TEST_TMPDIR");
  ASSERT_NE(dir, nullptr);
  const std::string path = std::string(dir) + "/guest.cfg";
  std::ofstream(path) << kGuest;
  auto policy = ReadGuestConfig(path);
  ASSERT_TRUE(policy) << policy.error().ToString();
  ASSERT_TRUE(*policy);
  EXPECT_EQ((*policy)->name_rules[0].source, path + " line 4");

  auto missing = ReadGuestConfig(std::string(dir) + "/missing.cfg");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

// ---------------------------------------------------------------- item lines

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
