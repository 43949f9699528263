#include "backend/policy/region_mode.h"

#include "gtest/gtest.h"

namespace xenshm::policy {
namespace {

using schema::Access;

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

TEST(RegionModeTest, ReadOnlyNeedsReadBit) {
  EXPECT_TRUE(ModeAllows(0400, PeerClass::kOwner, Access::kReadOnly));
  EXPECT_FALSE(ModeAllows(0200, PeerClass::kOwner, Access::kReadOnly));
  EXPECT_TRUE(ModeAllows(0040, PeerClass::kGroup, Access::kReadOnly));
  EXPECT_FALSE(ModeAllows(0040, PeerClass::kOther, Access::kReadOnly));
  EXPECT_TRUE(ModeAllows(0004, PeerClass::kOther, Access::kReadOnly));
}

TEST(RegionModeTest, ReadWriteNeedsBothBits) {
  EXPECT_TRUE(ModeAllows(0600, PeerClass::kOwner, Access::kReadWrite));
  EXPECT_FALSE(ModeAllows(0400, PeerClass::kOwner, Access::kReadWrite));
  // Write without read is not enough: a mapping is always readable.
  EXPECT_FALSE(ModeAllows(0020, PeerClass::kGroup, Access::kReadWrite));
  EXPECT_TRUE(ModeAllows(0066, PeerClass::kGroup, Access::kReadWrite));
  EXPECT_FALSE(ModeAllows(0660, PeerClass::kOther, Access::kReadWrite));
}

TEST(RegionModeTest, ClassBitsForMessages) {
  EXPECT_EQ(ClassBits(0640, PeerClass::kOwner), "rw");
  EXPECT_EQ(ClassBits(0640, PeerClass::kGroup), "r-");
  EXPECT_EQ(ClassBits(0640, PeerClass::kOther), "--");
  EXPECT_EQ(ClassBits(0020, PeerClass::kGroup), "-w");
}

}  // namespace
}  // namespace xenshm::policy
