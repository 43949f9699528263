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

TEST(GrantBudget, TheDaemonsOwnCapCanBeTighter) {
  EXPECT_TRUE(CheckGrantBudget(100000, 500, 1000, 400).ok());
  Status capped = CheckGrantBudget(100000, 700, 1000, 400);
  EXPECT_EQ(capped.code(), Code::kGrantBudget);
  EXPECT_NE(capped.message().find("--grant-budget of 1000 has 600 left"),
            std::string::npos)
      << capped.message();
  // The hypervisor's limit still applies under a generous cap.
  EXPECT_EQ(CheckGrantBudget(1500, 700, 100000, 0).code(), Code::kGrantBudget);
}

}  // namespace
}  // namespace xenshm::backend
