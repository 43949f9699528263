#include "backend/core/grant_budget.h"

#include <gtest/gtest.h>

namespace xenshm::backend {
namespace {

TEST(GrantBudget, FitsWithinFreeEntriesLessTheReserve) {
  EXPECT_TRUE(CheckGrantBudget(32768, 32768 - kGrantReserve).ok());
  Status refused = CheckGrantBudget(32768, 32768);
  EXPECT_EQ(refused.code(), Code::kGrantBudget);
  EXPECT_NE(refused.message().find("gnttab_max_frames"), std::string::npos);
  EXPECT_NE(refused.message().find("32768"), std::string::npos);
  EXPECT_NE(refused.message().find("by at least 2 frames"), std::string::npos)
      << refused.message();
  EXPECT_EQ(CheckGrantBudget(10, 1).code(), Code::kGrantBudget);
}

}  // namespace
}  // namespace xenshm::backend
