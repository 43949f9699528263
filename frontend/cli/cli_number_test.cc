#include "frontend/cli/cli_number.h"

#include <string>

#include "gtest/gtest.h"

namespace xenshm::cli {
namespace {

TEST(CliNumberTest, SizesAsPeopleWriteThem) {
  EXPECT_EQ(CliSize("65536", "--size"), 65536u);
  EXPECT_EQ(CliSize("0x10000", "--size"), 65536u);
  EXPECT_EQ(CliSize("64K", "--size"), 65536u);
  EXPECT_EQ(CliSize("128M", "--size"), 128u << 20);
  EXPECT_EQ(CliSize("1G", "--size"), 1u << 30);
  for (const char* bad : {"", "2G", "12x", "-1", " 4096", "0x10K", "1KK"}) {
    EXPECT_EQ(CliSize(bad, "--size"), std::nullopt) << bad;
  }
}

TEST(CliNumberTest, OtherNumbersAreStrictDecimal) {
  EXPECT_EQ(CliNumber("0", "sleep ms"), 0u);
  EXPECT_EQ(CliNumber("30000", "sleep ms", kMaxCliMs), 30000u);
  EXPECT_EQ(CliNumber("18446744073709551615", "seed"), UINT64_MAX);
  for (const char* bad : {"", "007", "1e3", "64K", "0x10", "+1", "5 "}) {
    EXPECT_EQ(CliNumber(bad, "sleep ms"), std::nullopt) << bad;
  }
  EXPECT_EQ(CliNumber("1024", "--handle", 1023), std::nullopt);
  EXPECT_EQ(CliNumber(std::to_string(kMaxCliMs + 1), "ms", kMaxCliMs),
            std::nullopt);
}

}  // namespace
}  // namespace xenshm::cli
