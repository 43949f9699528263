#include "platform/real/kmod_region_granter.h"

#include <unistd.h>

#include <string>

#include "gtest/gtest.h"
#include "uapi/xenshm_uapi.h"

namespace xenshm {
namespace {

// The UAPI is shared with the kernel module; its sizes are ABI.
static_assert(sizeof(xenshm_grant) == 24);
static_assert(sizeof(xenshm_counts) == 96);
static_assert(XENSHM_MMAP_OFFSET(XENSHM_MAX_REGION_ID) <=
              static_cast<uint64_t>(INT64_MAX));

TEST(KmodRegionGranterTest, MissingDeviceSaysToLoadTheModule) {
  auto granter = KmodRegionGranter::Open("/nonexistent/xenshm");
  ASSERT_FALSE(granter.has_value());
  EXPECT_EQ(granter.error().code(), Code::kNotFound);
  EXPECT_NE(granter.error().message().find(
                "xenshm kernel module not loaded: modprobe xenshm"),
            std::string::npos)
      << granter.error().ToString();
  EXPECT_NE(granter.error().message().find("/nonexistent/xenshm"),
            std::string::npos);
}

TEST(KmodRegionGranterTest, DefaultFactoryFailsCleanlyWithoutTheModule) {
  if (access(XENSHM_DEVICE_PATH, F_OK) == 0) {
    GTEST_SKIP() << XENSHM_DEVICE_PATH << " exists here";
  }
  auto granter = OpenKmodRegionGranter();
  ASSERT_FALSE(granter.has_value());
  EXPECT_EQ(granter.error().code(), Code::kNotFound);
  EXPECT_NE(granter.error().message().find("modprobe xenshm"),
            std::string::npos);
}

TEST(KmodRegionGranterTest, RejectsADeviceThatIsNotXenshm) {
  auto granter = KmodRegionGranter::Open("/dev/null");
  ASSERT_FALSE(granter.has_value());
  EXPECT_EQ(granter.error().code(), Code::kIoError);
  EXPECT_NE(granter.error().message().find("not the xenshm device"),
            std::string::npos)
      << granter.error().ToString();
}

}  // namespace
}  // namespace xenshm
