#include "base/uuid.h"

#include <gtest/gtest.h>

namespace xenshm {
namespace {

TEST(Uuid, FormatsAsLibxlPrints) {
  const UuidBytes bytes = {0x6d, 0x1a, 0x3c, 0x9e, 0x0b, 0x6f, 0x4c, 0x47,
                           0x9a, 0x0e, 0x5f, 0x2b, 0x1d, 0x7c, 0x8e, 0x90};
  EXPECT_EQ(FormatUuid(bytes), "6d1a3c9e-0b6f-4c47-9a0e-5f2b1d7c8e90");
  EXPECT_TRUE(IsUuid(FormatUuid(bytes)));
  EXPECT_TRUE(IsUuid(FormatUuid(UuidBytes{})));
}

TEST(Uuid, AcceptsOnlyThatForm) {
  EXPECT_FALSE(IsUuid("6D1A3C9E-0B6F-4C47-9A0E-5F2B1D7C8E90"));
  EXPECT_FALSE(IsUuid("6d1a3c9e0b6f4c479a0e5f2b1d7c8e90"));
  EXPECT_FALSE(IsUuid("../../../../etc/passwd-0000-0000-000"));
  EXPECT_FALSE(IsUuid(""));
}

}  // namespace
}  // namespace xenshm
