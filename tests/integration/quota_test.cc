// Per-domain quotas end to end: what a guest can make dom0 hold is charged
// to it and bounded; refusals are quota-exceeded with the numbers and the
// key; nobody's usage rises through another domain's action.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "backend/core/access_policy.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kA = 1, kB = 2, kHog = 3;

// Allows everything, with small limits for every guest.
class SmallQuotas : public backend::AccessPolicy {
 public:
  Status Check(const backend::AttachQuestion&) const override {
    return Status();
  }
  backend::DomainQuota QuotaOf(DomainId) const override {
    backend::DomainQuota quota;
    quota.regions = 2;
    quota.attachments = 3;
    quota.region_bytes = 8 * kPageSize;
    quota.mapped_bytes = 16 * kPageSize;
    quota.pending = 2;
    return quota;
  }
};

Code CodeOf(const Result<std::unique_ptr<Region>>& attached) {
  return attached ? Code::kOk : attached.error().code();
}

std::string Usage(FakeXenSystem& system, DomainId domain) {
  XenStore& xs = *system.OpenProcess(kDom0).xenstore;
  return xs.Read(kNoTransaction, schema::UsagePath(domain)).value_or("");
}

class QuotaTest : public ::testing::Test {
 protected:
  SmallQuotas policy_;
};

TEST_F(QuotaTest, RegionMemoryIsRefusedBeforeAnythingIsAllocated) {
  FakeXenSystem system(&policy_);
  const GranterCounts before = system.counts();
  auto big = system.NewClient(kHog).Attach("big", 9 * kPageSize);
  ASSERT_EQ(CodeOf(big), Code::kQuotaExceeded);
  EXPECT_NE(big.error().message().find("max-region-memory="), std::string::npos)
      << big.error().message();
  EXPECT_NE(big.error().message().find("36864"), std::string::npos);
  const GranterCounts after = system.counts();
  EXPECT_EQ(after.regions, before.regions);
  EXPECT_EQ(after.grants, before.grants);
  // Within the limit it works, and the usage line says so.
  auto fits = system.NewClient(kHog).Attach("fits", 8 * kPageSize);
  ASSERT_TRUE(fits) << fits.error().ToString();
  EXPECT_TRUE(Eventually([&] {
    return Usage(system, kHog).find("region-memory=32768/32768") !=
           std::string::npos;
  })) << Usage(system, kHog);
}

TEST_F(QuotaTest, RegionsAttachmentsAndMappedMemoryAreBounded) {
  FakeXenSystem system(&policy_);
  Client& hog = system.NewClient(kHog);
  auto r1 = hog.Attach("r1", kPageSize);
  auto r2 = hog.Attach("r2", kPageSize);
  ASSERT_TRUE(r1 && r2);
  auto r3 = hog.Attach("r3", kPageSize);
  ASSERT_EQ(CodeOf(r3), Code::kQuotaExceeded);
  EXPECT_NE(r3.error().message().find("max-regions="), std::string::npos);
  // Joining others' regions costs attachments and mapped memory, not
  // regions: a third attachment fits, a fourth does not.
  auto shared = system.NewClient(kA).Attach("shared", kPageSize);
  ASSERT_TRUE(shared);
  auto joined = hog.Attach("shared", kPageSize);
  ASSERT_TRUE(joined) << joined.error().ToString();
  auto other = system.NewClient(kB).Attach("other", kPageSize);
  ASSERT_TRUE(other);
  auto fourth = hog.Attach("other", kPageSize);
  ASSERT_EQ(CodeOf(fourth), Code::kQuotaExceeded);
  EXPECT_NE(fourth.error().message().find("max-attachments="),
            std::string::npos);
  // A detach gives the slot back.
  ASSERT_TRUE((*r1)->Detach().ok());
  auto again = hog.Attach("other", kPageSize);
  EXPECT_TRUE(again) << again.error().ToString();
}

TEST_F(QuotaTest, MappedMemoryCountsTheGrantDirectoryToo) {
  FakeXenSystem system(&policy_);
  // 16 pages may be granted: an 8-page region costs 9 entries (one
  // directory page), so a second one does not fit.
  auto first = system.NewClient(kA).Attach("eight", 8 * kPageSize);
  auto second = system.NewClient(kB).Attach("eight2", 8 * kPageSize);
  ASSERT_TRUE(first && second);
  Client& hog = system.NewClient(kHog);
  auto one = hog.Attach("eight", kPageSize);
  ASSERT_TRUE(one) << one.error().ToString();
  auto two = hog.Attach("eight2", kPageSize);
  ASSERT_EQ(CodeOf(two), Code::kQuotaExceeded);
  EXPECT_NE(two.error().message().find("max-mapped="), std::string::npos)
      << two.error().message();
}

TEST_F(QuotaTest, TheCreatorPaysWhileItsRegionLivesAndNobodyElseDoes) {
  FakeXenSystem system(&policy_);
  auto a = system.NewClient(kA).Attach("moo", 4 * kPageSize);
  auto b = system.NewClient(kB).Attach("moo", kPageSize);
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(Eventually([&] {
    return Usage(system, kB)
               .find(
                   "regions=0/2 attachments=1/3 "
                   "region-memory=0/32768 mapped=20480/") != std::string::npos;
  })) << Usage(system, kB);
  // A leaves; B keeps using the region, still charged only for its own
  // attachment; A still pays for the region's pages.
  ASSERT_TRUE((*a)->Detach().ok());
  EXPECT_TRUE(Eventually([&] {
    return Usage(system, kA)
               .find(
                   "regions=1/2 attachments=0/3 "
                   "region-memory=16384/32768 mapped=0/") != std::string::npos;
  })) << Usage(system, kA);
  EXPECT_NE(Usage(system, kB).find("region-memory=0/32768"), std::string::npos);
  // The last detach destroys it and A's charge ends.
  ASSERT_TRUE((*b)->Detach().ok());
  EXPECT_TRUE(Eventually([&] { return Usage(system, kA).empty(); }))
      << Usage(system, kA);
  EXPECT_TRUE(Eventually([&] { return Usage(system, kB).empty(); }))
      << Usage(system, kB);
}

TEST_F(QuotaTest, PendingRequestsAreBoundedAndReaped) {
  FakeXenSystem system(&policy_, [](backend::DaemonOptions& options) {
    options.request_timeout = std::chrono::milliseconds(800);
  });
  XenStore& xs = *system.OpenProcess(kHog).xenstore;
  ASSERT_TRUE(Eventually([&] {
    return xs.Read(kNoTransaction, schema::FrontendRoot(kHog)).has_value();
  }));
  // Raw requests answered (here: refused, a bad size) but never withdrawn.
  auto submit = [&](uint32_t handle, std::string_view size) {
    for (auto [node, value] :
         {std::pair<std::string_view, std::string_view>{"name", "x"},
          {"size", size},
          {"mode", "create-or-attach"},
          {"access", "rw"},
          {"state", "3"}}) {
      ASSERT_TRUE(xs.Write(kNoTransaction,
                           schema::FrontendNode(kHog, handle, node),
                           std::string(value))
                      .ok());
    }
  };
  auto status_of = [&](uint32_t handle) {
    std::string status;
    EXPECT_TRUE(Eventually([&] {
      status =
          xs.Read(kNoTransaction, schema::BackendNode(kHog, handle, "status"))
              .value_or("");
      return !status.empty();
    }));
    return status;
  };
  submit(0, "0");
  submit(1, "0");
  EXPECT_EQ(status_of(0), "invalid-argument");
  EXPECT_EQ(status_of(1), "invalid-argument");
  submit(2, "4096");
  EXPECT_EQ(status_of(2), "quota-exceeded");
  // Nobody withdraws them: xenshmd reaps them, and the slots come back.
  EXPECT_TRUE(Eventually(
      [&] {
        return !xs.Read(kNoTransaction, schema::FrontendPath(kHog, 0)) &&
               !xs.Read(kNoTransaction, schema::FrontendPath(kHog, 1));
      },
      std::chrono::seconds(10)));
  auto fine = system.NewClient(kHog).Attach("fine", kPageSize);
  EXPECT_TRUE(fine) << fine.error().ToString();
  // An honest attachment that completes is not reaped.
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  ASSERT_TRUE(fine);
  auto peers = (*fine)->Peers();
  ASSERT_TRUE(peers) << peers.error().ToString();
  EXPECT_EQ(peers->size(), 1u);
}

TEST_F(QuotaTest, AClosedRequestNobodyWithdrawsIsReapedToo) {
  FakeXenSystem system(&policy_, [](backend::DaemonOptions& options) {
    options.request_timeout = std::chrono::milliseconds(800);
  });
  auto region = system.NewClient(kHog).Attach("moo", kPageSize);
  ASSERT_TRUE(region) << region.error().ToString();
  const uint32_t handle = (*region)->handle();
  // Well past the request timeout: a complete attachment stays.
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  XenStore& xs = *system.OpenProcess(kHog).xenstore;
  ASSERT_TRUE(xs.Read(kNoTransaction, schema::FrontendPath(kHog, handle)));
  // The guest says Closing (keeping its mapping) and never withdraws.
  ASSERT_TRUE(
      xs.Write(kNoTransaction, schema::FrontendNode(kHog, handle, "state"), "5")
          .ok());
  EXPECT_TRUE(Eventually(
      [&] {
        return !xs.Read(kNoTransaction, schema::FrontendPath(kHog, handle));
      },
      std::chrono::seconds(10)));
}

TEST_F(QuotaTest, MappingsKeptAcrossADetachAreChargedToTheirDomain) {
  FakeXenSystem system(&policy_);
  Client& hog = system.NewClient(kHog);
  XenStore& xs = *system.OpenProcess(kHog).xenstore;
  // 8 pages + 1 directory page of the 16 it may be granted.
  auto kept = hog.Attach("kept", 8 * kPageSize);
  ASSERT_TRUE(kept) << kept.error().ToString();
  // It says Closing but keeps the mapping: xenshmd revokes, the grants
  // stay alive (deferred) while the guest maps them, and the region is
  // destroyed, so its memory is charged to nobody else.
  ASSERT_TRUE(xs.Write(kNoTransaction,
                       schema::FrontendNode(kHog, (*kept)->handle(), "state"),
                       "5")
                  .ok());
  ASSERT_TRUE(Eventually([&] {
    return xs.Read(kNoTransaction,
                   schema::BackendNode(kHog, (*kept)->handle(), "state"))
               .value_or("") == "6";
  }));
  // Another 8 pages (+1) would fit if the 8 kept ones were forgotten; they
  // are not (the directory was unmapped at attach: not kept).
  auto again = hog.Attach("again", 8 * kPageSize);
  ASSERT_EQ(CodeOf(again), Code::kQuotaExceeded);
  EXPECT_NE(again.error().message().find("max-mapped="), std::string::npos)
      << again.error().message();
  // Unmapping frees them, and the same attach fits.
  kept->reset();
  auto after = hog.Attach("again", 8 * kPageSize);
  EXPECT_TRUE(after) << after.error().ToString();
}

TEST_F(QuotaTest, Dom0ProgramsAreNotLimited) {
  FakeXenSystem system(&policy_);
  Client& dom0 = system.NewClient(kDom0);
  std::vector<std::unique_ptr<Region>> held;
  for (int i = 0; i < 4; ++i) {
    auto region = dom0.Attach("d" + std::to_string(i), 8 * kPageSize);
    ASSERT_TRUE(region) << region.error().ToString();
    held.push_back(std::move(*region));
  }
}

}  // namespace
}  // namespace xenshm::testing
