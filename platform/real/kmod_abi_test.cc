#include "platform/real/kmod_abi.h"

#include <cerrno>
#include <string>

#include "gtest/gtest.h"
#include "uapi/xenshm_uapi.h"

namespace xenshm {
namespace {

static_assert(sizeof(xenshm_version) == 32);

xenshm_version Answer(uint32_t abi, uint32_t min_abi, uint64_t features = 0) {
  xenshm_version answer{};
  answer.abi = abi;
  answer.min_abi = min_abi;
  answer.features = features;
  return answer;
}

bool Says(const Status& status, const std::string& text) {
  return status.message().find(text) != std::string::npos;
}

TEST(KmodAbiFromVersionIoctlTest, EnottyIsAModuleOlderThanTheIoctl) {
  auto abi = KmodAbiFromVersionIoctl(ENOTTY, xenshm_version{});
  ASSERT_TRUE(abi.has_value()) << abi.error().ToString();
  EXPECT_EQ(abi->abi, 1u);
  EXPECT_EQ(abi->min_abi, 1u);
  EXPECT_EQ(abi->features, 0u);
  EXPECT_FALSE(abi->reported);
  EXPECT_EQ(DescribeKmodAbi(*abi), "ABI 1 (predates XENSHM_IOC_VERSION)");
}

TEST(KmodAbiFromVersionIoctlTest, TakesTheModulesAnswer) {
  auto abi = KmodAbiFromVersionIoctl(0, Answer(2, 1, 0x4));
  ASSERT_TRUE(abi.has_value()) << abi.error().ToString();
  EXPECT_EQ(abi->abi, 2u);
  EXPECT_EQ(abi->min_abi, 1u);
  EXPECT_EQ(abi->features, 0x4u);
  EXPECT_TRUE(abi->reported);
  EXPECT_EQ(DescribeKmodAbi(*abi), "ABI 2, features 0x4");
}

TEST(KmodAbiFromVersionIoctlTest, OtherErrorsAndNonsenseAreIoErrors) {
  auto failed = KmodAbiFromVersionIoctl(EFAULT, xenshm_version{});
  ASSERT_FALSE(failed.has_value());
  EXPECT_TRUE(Says(failed.error(), "XENSHM_IOC_VERSION"));
  auto zero = KmodAbiFromVersionIoctl(0, Answer(0, 0));
  ASSERT_FALSE(zero.has_value());
  EXPECT_EQ(zero.error().code(), Code::kIoError);
  auto inverted = KmodAbiFromVersionIoctl(0, Answer(2, 3));
  ASSERT_FALSE(inverted.has_value());
  EXPECT_EQ(inverted.error().code(), Code::kIoError);
}

TEST(CheckKmodAbiTest, ThisTreesModuleServesThisTreesGranter) {
  auto abi = KmodAbiFromVersionIoctl(0, Answer(XENSHM_ABI_VERSION, 1));
  ASSERT_TRUE(abi.has_value());
  EXPECT_TRUE(CheckKmodAbi(*abi, kKmodAbiForGranter).ok());
  EXPECT_TRUE(CheckKmodAbi(*abi, kKmodAbiForReset).ok());
}

TEST(CheckKmodAbiTest, AModuleOlderThanTheIoctlServesTodaysGranter) {
  auto abi = KmodAbiFromVersionIoctl(ENOTTY, xenshm_version{});
  ASSERT_TRUE(abi.has_value());
  EXPECT_TRUE(CheckKmodAbi(*abi, kKmodAbiForGranter).ok());
  EXPECT_TRUE(CheckKmodAbi(*abi, kKmodAbiForReset).ok());
}

TEST(CheckKmodAbiTest, ATooOldModuleSaysHowToLoadTheInstalledOne) {
  const KmodAbi old{.abi = 2, .min_abi = 1, .features = 0, .reported = true};
  Status status = CheckKmodAbi(old, KmodAbiNeed{.abi = 3}, 3);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.code(), Code::kIoError);
  EXPECT_TRUE(Says(status, "is ABI 2; this program needs ABI 3"))
      << status.ToString();
  for (const char* step : {"stop the guests", "`xenshmd --reset`",
                           "`modprobe -r xenshm`", "`modprobe xenshm`"}) {
    EXPECT_TRUE(Says(status, step)) << step << " in " << status.ToString();
  }
  // Even a module older than the VERSION ioctl is named as such.
  Status older = CheckKmodAbi(KmodAbi{}, KmodAbiNeed{.abi = 2}, 2);
  ASSERT_FALSE(older.ok());
  EXPECT_TRUE(Says(older, "ABI 1 (predates XENSHM_IOC_VERSION)"));
}

TEST(CheckKmodAbiTest, AMissingFeatureIsLikeATooOldModule) {
  const KmodAbi loaded{
      .abi = 2, .min_abi = 1, .features = 0x1, .reported = true};
  EXPECT_TRUE(
      CheckKmodAbi(loaded, KmodAbiNeed{.abi = 2, .features = 0x1}, 2).ok());
  Status status =
      CheckKmodAbi(loaded, KmodAbiNeed{.abi = 2, .features = 0x3}, 2);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(Says(status, "features 0x2")) << status.ToString();
  EXPECT_TRUE(Says(status, "`modprobe -r xenshm`"));
}

TEST(CheckKmodAbiTest, ANewerModuleIsFine) {
  const KmodAbi newer{
      .abi = 7, .min_abi = 1, .features = 0xff, .reported = true};
  EXPECT_TRUE(CheckKmodAbi(newer, kKmodAbiForGranter).ok());
  EXPECT_TRUE(CheckKmodAbi(newer, KmodAbiNeed{.abi = 2}, 2).ok());
}

TEST(CheckKmodAbiTest, ANewerModuleThatDroppedOurAbiSaysSo) {
  const KmodAbi newer{.abi = 7, .min_abi = 5, .features = 0, .reported = true};
  Status status = CheckKmodAbi(newer, KmodAbiNeed{.abi = 2}, 4);
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(Says(status, "serves callers of ABI 5 or later"))
      << status.ToString();
  EXPECT_TRUE(Says(status, "this program speaks ABI 4"));
  EXPECT_TRUE(CheckKmodAbi(newer, KmodAbiNeed{.abi = 2}, 5).ok());
}

}  // namespace
}  // namespace xenshm
