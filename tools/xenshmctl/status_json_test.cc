#include "tools/xenshmctl/status_json.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tools/xenshmctl/status_report_builders.h"

namespace xenshm::ctl {
namespace {

using nlohmann::json;

using testing::BadPeer;
using testing::Peer;
using testing::Region;
using testing::Usage;

StatusReport FullReport() {
  StatusReport report;
  report.module_abi = "ABI 2, features 0x4";
  report.counts = {2, 4097, 12, 1};
  report.budget = {64, 512, 32768, 12, 32700, 1024};
  report.usage = {
      Usage(3, "regions=1/4 request-rate=16/s",
            {{"regions", 1, 4}, {"request-rate", std::nullopt, 16}}),
      Usage(7, "garbled"),
  };
  report.regions = {
      Region("cam.0", uint64_t{16} << 20, DomainId{3}, "video", "0640",
             {Peer(0, {3, 0}), BadPeer(1, "not <domid>/<handle>")}),
      Region("bare"),
  };
  return report;
}

json Parsed(const StatusReport& report) {
  const std::string text = RenderStatusJson(report);
  EXPECT_FALSE(text.empty());
  EXPECT_EQ(text.back(), '\n');
  return json::parse(text);  // throws, failing the test, on invalid JSON
}

TEST(StatusJsonTest, EmptySystemHasEveryTopLevelFieldAndEmptyLists) {
  const json doc = Parsed(StatusReport{});
  EXPECT_EQ(doc["version"], kStatusJsonVersion);
  EXPECT_EQ(doc["module"]["interface"], "");
  EXPECT_EQ(doc["module"]["regions"], 0);
  EXPECT_EQ(doc["grant_table"]["max_entries"], 0);
  ASSERT_TRUE(doc["usage"].is_array());
  EXPECT_TRUE(doc["usage"].empty());
  ASSERT_TRUE(doc["regions"].is_array());
  EXPECT_TRUE(doc["regions"].empty());
  EXPECT_EQ(doc.size(), 5u);
}

TEST(StatusJsonTest, ModuleAndGrantTableCarryEveryCount) {
  const json doc = Parsed(FullReport());
  EXPECT_EQ(doc["module"], json::parse(R"({"interface": "ABI 2, features 0x4",
      "regions": 2, "pages": 4097, "grants": 12, "deferred_frees": 1})"));
  EXPECT_EQ(doc["grant_table"], json::parse(R"({"max_frames": 64,
      "entries_per_frame": 512, "max_entries": 32768, "xenshm_entries": 12,
      "free_estimate": 32700, "reserve": 1024})"));
}

TEST(StatusJsonTest, RegionsWithEveryAttributeAndNullForMissing) {
  const json doc = Parsed(FullReport());
  ASSERT_EQ(doc["regions"].size(), 2u);
  EXPECT_EQ(doc["regions"][0], json::parse(R"({"name": "cam.0",
      "size": 16777216, "owner": 3, "group": "video", "mode": "0640",
      "peers": [{"index": 0, "domain": 3, "handle": 0},
                {"index": 1, "error": "not <domid>/<handle>"}]})"));
  EXPECT_EQ(doc["regions"][1], json::parse(R"({"name": "bare", "size": null,
      "owner": null, "group": null, "mode": null, "peers": []})"));
}

TEST(StatusJsonTest, UsageWithQuotasOrNullWhenTheLineDidNotParse) {
  const json doc = Parsed(FullReport());
  ASSERT_EQ(doc["usage"].size(), 2u);
  EXPECT_EQ(doc["usage"][0], json::parse(R"({"domain": 3,
      "text": "regions=1/4 request-rate=16/s",
      "quotas": {"regions": {"used": 1, "limit": 4},
                 "request-rate": {"limit": 16}}})"));
  EXPECT_EQ(doc["usage"][1], json::parse(R"({"domain": 7, "text": "garbled",
      "quotas": null})"));
}

TEST(StatusJsonTest, LargeCountsAreExactIntegers) {
  StatusReport report;
  report.counts.pages = UINT64_MAX;
  const std::string text = RenderStatusJson(report);
  EXPECT_NE(text.find("18446744073709551615"), std::string::npos) << text;
  EXPECT_EQ(json::parse(text)["module"]["pages"].get<uint64_t>(), UINT64_MAX);
}

TEST(StatusJsonTest, StringsAreEscapedAndAlwaysValidUtf8) {
  StatusReport report;
  RegionReport region =
      Region("q\"uote\\back\nline\ttab\x01", {}, {}, "bad\xff\xfeutf8");
  report.regions.push_back(region);
  const std::string text = RenderStatusJson(report);
  EXPECT_NE(text.find(R"("q\"uote\\back\nline\ttab\u0001")"), std::string::npos)
      << text;
  const json doc = json::parse(text);
  EXPECT_EQ(doc["regions"][0]["name"], region.name);
  EXPECT_EQ(doc["regions"][0]["group"], "bad\xEF\xBF\xBD\xEF\xBF\xBDutf8");
}

}  // namespace
}  // namespace xenshm::ctl
