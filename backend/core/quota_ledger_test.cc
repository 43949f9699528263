#include "backend/core/quota_ledger.h"

#include <gtest/gtest.h>

namespace xenshm::backend {
namespace {

TEST(QuotaLedger, ChargesAndRefundsPerDomain) {
  QuotaLedger ledger;
  ledger.Charge(3, {.regions = 1, .region_bytes = 8192});
  ledger.Charge(3, {.attachments = 1, .mapped_bytes = 12288});
  ledger.Charge(4, {.attachments = 1});
  EXPECT_EQ(ledger.UsageOf(3), (DomainUsage{.regions = 1,
                                            .attachments = 1,
                                            .region_bytes = 8192,
                                            .mapped_bytes = 12288}));
  EXPECT_EQ(ledger.UsageOf(5), DomainUsage{});
  ledger.Refund(3, {.attachments = 1, .mapped_bytes = 12288});
  ledger.Refund(3, {.regions = 1, .region_bytes = 8192});
  EXPECT_EQ(ledger.UsageOf(3), DomainUsage{});
  EXPECT_EQ(ledger.all().size(), 1u);  // a domain back at zero is dropped
}

TEST(QuotaLedger, CheckNamesTheLimitTheNumbersAndTheKey) {
  const DomainQuota quota;  // the shipped defaults
  const DomainUsage usage{.regions = 4};
  EXPECT_TRUE(CheckQuota(3, usage, {.attachments = 1}, quota).ok());
  Status refused = CheckQuota(3, usage, {.regions = 1}, quota);
  EXPECT_EQ(refused.code(), Code::kQuotaExceeded);
  EXPECT_NE(refused.message().find("would hold 5 regions it created (4 now), "
                                   "over its limit of 4"),
            std::string::npos)
      << refused.message();
  EXPECT_NE(refused.message().find("max-regions="), std::string::npos);
  EXPECT_NE(CheckQuota(3, {}, {.region_bytes = (16 << 20) + 1}, quota)
                .message()
                .find("max-region-memory="),
            std::string::npos);
  EXPECT_NE(
      CheckQuota(3, {.mapped_bytes = 8 << 20}, {.mapped_bytes = 4096}, quota)
          .message()
          .find("max-mapped="),
      std::string::npos);
  EXPECT_NE(CheckQuota(3, {.pending = 4}, {.pending = 1}, quota)
                .message()
                .find("max-pending="),
            std::string::npos);
  EXPECT_NE(CheckQuota(3, {.attachments = 8}, {.attachments = 1}, quota)
                .message()
                .find("max-attachments="),
            std::string::npos);
  // Exactly at the limit is fine.
  EXPECT_TRUE(CheckQuota(3, {}, {.region_bytes = 16 << 20}, quota).ok());
}

TEST(QuotaLedger, TheShippedDefaultsKeepEightDomainsInsideTheMachine) {
  // The module holds 65536 pages by default and Xen's default grant table
  // has 64 frames of 512 entries (less xenshmd's reserve of 1024): eight
  // hostile domains at their limits still leave a ninth its whole quota.
  const DomainQuota quota;
  EXPECT_LE(9 * (quota.region_bytes / 4096), 65536u);
  EXPECT_LE(9 * (quota.mapped_bytes / 4096), 64u * 512 - 1024);
}

TEST(QuotaLedger, UsageLineShowsEachCountAgainstItsLimit) {
  EXPECT_EQ(FormatUsage({.regions = 1, .region_bytes = 4096}, DomainQuota{}),
            "regions=1/4 attachments=0/8 region-memory=4096/16777216 "
            "mapped=0/8388608 pending=0/4 request-rate=16/s");
}

}  // namespace
}  // namespace xenshm::backend
