// What can be checked without Xen: every opener fails cleanly, with a code
// and a message naming the missing piece, instead of crashing. Real
// behaviour is covered by the lab (tools/probes/smoke_probe).
#include "platform/real/real_platform.h"

#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "platform/real/real_domain_info.h"
#include "platform/real/real_event_channels.h"
#include "platform/real/real_grant_mapper.h"
#include "platform/real/real_guest_platform.h"
#include "platform/real/real_page_sharer.h"
#include "platform/real/real_xenstore.h"

namespace xenshm {
namespace {

bool HostHasXen() { return access("/dev/xen", F_OK) == 0; }

class NoXenTest : public testing::Test {
 protected:
  void SetUp() override {
    if (HostHasXen()) GTEST_SKIP() << "this host has /dev/xen";
    // libxenstore tries $XENSTORED_PATH for both its socket and its device;
    // pointing it at nothing makes the failure independent of the host.
    const char* tmp = getenv("TEST_TMPDIR");
    const std::string missing =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/no-xenstored-here";
    setenv("XENSTORED_PATH", missing.c_str(), /*overwrite=*/1);
  }
  void TearDown() override { unsetenv("XENSTORED_PATH"); }
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(NoXenTest, XenStoreOpenFailsWithNotFound) {
  auto store = RealXenStore::Open();
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(store.error().message(), "xs_open"))
      << store.error().ToString();
  EXPECT_TRUE(Contains(store.error().message(), "xenstored"))
      << store.error().ToString();
}

TEST_F(NoXenTest, GrantMapperOpenNamesGntdev) {
  auto mapper = RealGrantMapper::Open();
  ASSERT_FALSE(mapper.has_value());
  EXPECT_EQ(mapper.error().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(mapper.error().message(), "gntdev"))
      << mapper.error().ToString();
}

TEST_F(NoXenTest, EventChannelsOpenNamesEvtchn) {
  auto channels = RealEventChannels::Open();
  ASSERT_FALSE(channels.has_value());
  EXPECT_EQ(channels.error().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(channels.error().message(), "evtchn"))
      << channels.error().ToString();
}

TEST_F(NoXenTest, PageSharerOpenNamesGntalloc) {
  auto sharer = RealPageSharer::Open();
  ASSERT_FALSE(sharer.has_value());
  EXPECT_EQ(sharer.error().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(sharer.error().message(), "gntalloc"))
      << sharer.error().ToString();
}

TEST_F(NoXenTest, DomainInfoOpenFailsCleanly) {
  // libxenctrl tries /dev/xen/privcmd then /proc/xen/privcmd; the errno of
  // the last attempt varies with the host, so only the shape is checked.
  auto info = RealDomainInfo::Open();
  ASSERT_FALSE(info.has_value());
  EXPECT_NE(info.error().code(), Code::kOk);
  EXPECT_TRUE(Contains(info.error().message(), "xc_interface_open"))
      << info.error().ToString();
}

TEST_F(NoXenTest, OpenRealPlatformReportsTheFirstMissingPiece) {
  for (PlatformRole role : {PlatformRole::kGuest, PlatformRole::kDom0}) {
    auto platform = OpenRealPlatform(role);
    ASSERT_FALSE(platform.has_value());
    EXPECT_EQ(platform.error().code(), Code::kNotFound);
    EXPECT_TRUE(Contains(platform.error().message(), "xs_open"))
        << platform.error().ToString();
  }
}

TEST_F(NoXenTest, OpenRealGuestPlatformReportsTheFirstMissingPiece) {
  auto platform = OpenRealGuestPlatform();
  ASSERT_FALSE(platform.has_value());
  EXPECT_EQ(platform.error().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(platform.error().message(), "xs_open"))
      << platform.error().ToString();
}

}  // namespace
}  // namespace xenshm
