#include "tools/xenshmctl/status_text.h"

#include <gtest/gtest.h>

#include "tools/xenshmctl/status_report_builders.h"

namespace xenshm::ctl {
namespace {

using testing::BadPeer;
using testing::Peer;
using testing::Region;
using testing::Usage;

TEST(StatusTextTest, EmptySystemSaysSo) {
  StatusReport report;
  report.module_abi = "ABI 2";
  report.budget = {64, 512, 32768, 0, 32700, 1024};
  EXPECT_EQ(RenderStatusText(report),
            "module interface: ABI 2\n"
            "module: 0 regions, 0 pages, 0 grants, 0 deferred frees\n"
            "grant table: 64 frames x 512 entries = 32768 entries; xenshm "
            "holds 0; about 32700 free (xenshmd keeps 1024 for dom0's own "
            "drivers)\n"
            "to raise it: Xen boot option gnttab_max_frames=N (now 64); each "
            "frame adds 512 entries\n"
            "quota usage: no guest holds anything\n"
            "regions: none\n");
}

TEST(StatusTextTest, OneLinePerDomainAndRegionWithHumanSizes) {
  StatusReport report;
  report.counts = {2, 5, 3, 1};
  report.usage = {Usage(3, "regions=1/4")};
  report.regions = {
      Region("cam.0", uint64_t{16} << 20, DomainId{3}, "video", "0640",
             {Peer(0, {3, 1}), BadPeer(2, "bad")}),
      Region("odd", 4097),
      Region("bare"),
  };
  const std::string text = RenderStatusText(report);
  EXPECT_NE(text.find("module: 2 regions, 5 pages, 3 grants, 1 deferred "
                      "frees\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\ndomain 3: regions=1/4\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\nregion 'cam.0': size 16777216 (16 MiB), owner dom3, "
                      "group video, mode 0640, peers 0=dom3/1 2=? (bad)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nregion 'odd': size 4097, owner dom-, group -, mode "
                      "-, peers none\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\nregion 'bare': size -, "), std::string::npos) << text;
  EXPECT_EQ(text.find("quota usage: no guest"), std::string::npos) << text;
  EXPECT_EQ(text.find("regions: none"), std::string::npos) << text;
}

}  // namespace
}  // namespace xenshm::ctl
