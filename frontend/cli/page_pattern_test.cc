#include "frontend/cli/page_pattern.h"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

namespace xenshm::cli {
namespace {

TEST(PagePattern, RoundTripsAndLocatesTheFirstDifference) {
  std::vector<unsigned char> buffer(3 * 4096 + 5);
  FillPattern(buffer.data(), buffer.size(), 42);
  EXPECT_FALSE(FindPatternMismatch(buffer.data(), buffer.size(), 42));
  EXPECT_EQ(FindPatternMismatch(buffer.data(), buffer.size(), 43), 0u);
  buffer[4096 * 2 + 17] ^= 1;
  EXPECT_EQ(FindPatternMismatch(buffer.data(), buffer.size(), 42),
            4096u * 2 + 17);
}

TEST(PagePattern, PagesDiffer) {
  std::vector<unsigned char> buffer(2 * 4096);
  FillPattern(buffer.data(), buffer.size(), 1);
  EXPECT_NE(0, memcmp(buffer.data(), buffer.data() + 4096, 4096));
}

}  // namespace
}  // namespace xenshm::cli
