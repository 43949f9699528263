#include "tools/xenshmctl/status_report.h"

#include <gtest/gtest.h>

#include "tests/fake_hypervisor/fake_hypervisor.h"

namespace xenshm::ctl {
namespace {

class StatusReportTest : public ::testing::Test {
 protected:
  StatusReportTest() : dom0_(std::move(*hv_.OpenPlatform(kDom0))) {}

  void Write(const std::string& path, const std::string& value) {
    ASSERT_TRUE(xs().Write(kNoTransaction, path, value).ok()) << path;
  }
  void WriteRegion(const std::string& name, const std::string& size,
                   const std::string& owner, const std::string& gid,
                   const std::string& mode) {
    const std::string path = schema::RegistryPath(name);
    Write(path + "/size", size);
    Write(path + "/owner", owner);
    Write(path + "/gid", gid);
    Write(path + "/mode", mode);
  }
  XenStore& xs() { return *dom0_.xenstore; }

  fake::FakeHypervisor hv_;
  Platform dom0_;
};

TEST_F(StatusReportTest, EmptyRegistryHasNoRegionsAndNoUsage) {
  EXPECT_TRUE(ReadRegions(xs()).value().empty());
  EXPECT_TRUE(ReadUsage(xs()).value().empty());
}

TEST_F(StatusReportTest, ReadsEveryAttributeAndPeerSortedByName) {
  WriteRegion("zeta", "4096", "0", "-", "0666");
  WriteRegion("cam.0", "16777216", "3", "video", "0640");
  Write(schema::RegistryPeerPath("cam.0", 1), "5/2");
  Write(schema::RegistryPeerPath("cam.0", 0), "3/0");

  const std::vector<RegionReport> regions = ReadRegions(xs()).value();
  ASSERT_EQ(regions.size(), 2u);
  const RegionReport& cam = regions[0];
  EXPECT_EQ(cam.name, "cam.0");  // the registry key is "cam@0"
  EXPECT_EQ(cam.size, 16777216u);
  EXPECT_EQ(cam.owner, DomainId{3});
  EXPECT_EQ(cam.group, "video");
  EXPECT_EQ(cam.mode, "0640");
  ASSERT_EQ(cam.peers.size(), 2u);
  EXPECT_EQ(cam.peers[0].index, 0u);
  EXPECT_EQ(cam.peers[0].attachment, (schema::PeerRef{3, 0}));
  EXPECT_EQ(cam.peers[1].index, 1u);
  EXPECT_EQ(cam.peers[1].attachment, (schema::PeerRef{5, 2}));
  EXPECT_EQ(regions[1].name, "zeta");
  EXPECT_TRUE(regions[1].peers.empty());
}

TEST_F(StatusReportTest, SortedByNameNotByRegistryKey) {
  // Keys "a0" < "a@b", names "a.b" < "a0": '.' is written '@' in a key.
  WriteRegion("a0", "4096", "1", "g", "0600");
  WriteRegion("a.b", "4096", "1", "g", "0600");
  const std::vector<RegionReport> regions = ReadRegions(xs()).value();
  ASSERT_EQ(regions.size(), 2u);
  EXPECT_EQ(regions[0].name, "a.b");
  EXPECT_EQ(regions[1].name, "a0");
}

TEST_F(StatusReportTest, MalformedAttributesAreAbsentNotGuessed) {
  WriteRegion("moo", "12x", "dom3", "video", "640");
  Write(schema::RegistryPeerPath("moo", 0), "3-0");
  Write(schema::RegistryPath("moo") + "/peers/not-an-index", "3/0");

  const std::vector<RegionReport> regions = ReadRegions(xs()).value();
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].size, std::nullopt);
  EXPECT_EQ(regions[0].owner, std::nullopt);
  EXPECT_EQ(regions[0].mode, std::nullopt);
  ASSERT_EQ(regions[0].peers.size(), 1u);
  EXPECT_EQ(regions[0].peers[0].attachment, std::nullopt);
  EXPECT_FALSE(regions[0].peers[0].error.empty());
}

TEST_F(StatusReportTest, MissingAttributesAreAbsent) {
  Write(schema::RegistryPath("bare") + "/size", "4096");
  const std::vector<RegionReport> regions = ReadRegions(xs()).value();
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].size, 4096u);
  EXPECT_EQ(regions[0].owner, std::nullopt);
  EXPECT_EQ(regions[0].group, std::nullopt);
  EXPECT_EQ(regions[0].mode, std::nullopt);
}

TEST_F(StatusReportTest, UsageByDomainWithItsQuotasParsed) {
  const std::string line =
      "regions=1/4 attachments=2/8 region-memory=4096/16777216 "
      "mapped=8192/8388608 pending=0/4 request-rate=16/s";
  Write(schema::UsagePath(12), "regions=0/4");
  Write(schema::UsagePath(3), line);
  Write(schema::UsageRoot() + "/not-a-domain", line);

  const std::vector<DomainUsageReport> usage = ReadUsage(xs()).value();
  ASSERT_EQ(usage.size(), 2u);
  EXPECT_EQ(usage[0].domain, 3);
  EXPECT_EQ(usage[0].text, line);
  ASSERT_EQ(usage[0].uses.size(), 6u);
  EXPECT_EQ(usage[0].uses[2].key, "region-memory");
  EXPECT_EQ(usage[0].uses[2].used, 4096u);
  EXPECT_EQ(usage[0].uses[2].limit, 16777216u);
  EXPECT_EQ(usage[0].uses[5].key, "request-rate");
  EXPECT_EQ(usage[0].uses[5].used, std::nullopt);
  EXPECT_EQ(usage[0].uses[5].limit, 16u);
  EXPECT_EQ(usage[1].domain, 12);
}

// Not being allowed to read the registry is an error, not "no regions".
TEST_F(StatusReportTest, AnUnreadableRegistryIsAnErrorNotAnEmptyReport) {
  WriteRegion("moo", "4096", "1", "g", "0600");
  Write(schema::UsagePath(3), "regions=1/4");
  hv_.CreateDomain(1);
  Platform guest = std::move(*hv_.OpenPlatform(1));
  auto regions = ReadRegions(*guest.xenstore);
  ASSERT_FALSE(regions);
  EXPECT_NE(regions.error().code(), Code::kNotFound);
  auto usage = ReadUsage(*guest.xenstore);
  ASSERT_FALSE(usage);
  EXPECT_NE(usage.error().code(), Code::kNotFound);
}

TEST(ParseUsageLineTest, AnyMalformedItemLeavesNothing) {
  EXPECT_EQ(ParseUsageLine("regions=1/4").size(), 1u);
  for (const char* bad :
       {"regions", "=1/4", "regions=1", "regions=1/", "regions=/4",
        "regions=1/4 mapped=x/2", "regions=1/4  mapped=1/2", "rate=-1/s",
        "regions=1/4 ", "regions=01/4"}) {
    EXPECT_TRUE(ParseUsageLine(bad).empty()) << bad;
  }
  EXPECT_TRUE(ParseUsageLine("").empty());
}

}  // namespace
}  // namespace xenshm::ctl
