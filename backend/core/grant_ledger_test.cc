#include "backend/core/grant_ledger.h"

#include <gtest/gtest.h>

namespace xenshm::backend {
namespace {

TEST(GrantLedger, AnAttachmentHoldsItsPagesAndItsDirectory) {
  EXPECT_EQ(GrantEntriesFor(1), 2u);
  // 128 MiB: 32768 refs of 4 bytes fill 32 pages, plus the header's page.
  EXPECT_EQ(GrantEntriesFor(32768), 32768u + 33u);
}

TEST(GrantLedger, FitsWithinFreeEntriesLessTheReserve) {
  EXPECT_TRUE(CheckGrantTable({32768, 512}, 32768 - kGrantReserve).ok());
  Status refused = CheckGrantTable({32768, 512}, 32768);
  EXPECT_EQ(refused.code(), Code::kGrantBudget);
  EXPECT_NE(refused.message().find("gnttab_max_frames"), std::string::npos);
  EXPECT_NE(refused.message().find("32768"), std::string::npos);
  EXPECT_NE(refused.message().find("by at least 2 frames (512 entries each)"),
            std::string::npos)
      << refused.message();
  EXPECT_EQ(CheckGrantTable({10, 512}, 1).code(), Code::kGrantBudget);
}

TEST(GrantLedger, FrameAdviceFollowsTheGrantTableVersion) {
  // v2 entries are twice as large: the same shortfall needs twice the frames.
  Status v2 = CheckGrantTable({32768, 256}, 32768);
  EXPECT_NE(v2.message().find("by at least 4 frames (256 entries each)"),
            std::string::npos)
      << v2.message();
  EXPECT_EQ(GrantFramesFor(513, 512), 2u);
  EXPECT_EQ(GrantFramesFor(513, 256), 3u);
}

TEST(GrantLedger, TheDaemonsOwnCapCanBeTighter) {
  GrantLedger ledger(1000);
  ledger.Charge(400);
  EXPECT_TRUE(ledger.Check({100000, 512}, 500).ok());
  Status capped = ledger.Check({100000, 512}, 700);
  EXPECT_EQ(capped.code(), Code::kGrantBudget);
  EXPECT_NE(capped.message().find("--grant-budget of 1000 has 600 left"),
            std::string::npos)
      << capped.message();
  ledger.Refund(400);
  EXPECT_TRUE(ledger.Check({100000, 512}, 700).ok());
  // The hypervisor's limit still applies under a generous cap.
  EXPECT_EQ(GrantLedger(100000).Check({1500, 512}, 700).code(),
            Code::kGrantBudget);
}

}  // namespace
}  // namespace xenshm::backend
