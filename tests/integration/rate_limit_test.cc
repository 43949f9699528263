// The per-domain request rate limit end to end: churn is refused
// rate-limited with the numbers and the key; a flood is answered only up to
// a bound and then deferred until the domain is back under its rate; other
// domains and dom0 are served meanwhile. The limiter's clock is the test's,
// so nothing here sleeps for a refill.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>

#include "backend/core/access_policy.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kChurner = 3, kFlooder = 4, kHonest = 5;

// Allows everything; two requests a second (burst four) for every guest,
// and room for many pending requests so the rate limit is what refuses.
class SlowRate : public backend::AccessPolicy {
 public:
  Status Check(const backend::AttachQuestion&) const override {
    return Status();
  }
  backend::DomainQuota QuotaOf(DomainId) const override {
    backend::DomainQuota quota;
    quota.request_rate = 2;
    quota.pending = 1000;
    quota.attachments = 1000;
    quota.regions = 1000;
    quota.region_bytes = 1000 * kPageSize;
    quota.mapped_bytes = 4000 * kPageSize;
    return quota;
  }
};

// The limiter's clock: stands still until the test moves it.
class TestClock {
 public:
  std::chrono::steady_clock::time_point Now() {
    std::lock_guard<std::mutex> lock(mu_);
    return now_;
  }
  void Advance(std::chrono::milliseconds by) {
    std::lock_guard<std::mutex> lock(mu_);
    now_ += by;
  }

 private:
  std::mutex mu_;
  std::chrono::steady_clock::time_point now_{std::chrono::hours(1)};
};

class RateLimitTest : public ::testing::Test {
 protected:
  RateLimitTest()
      : system_(&policy_, [this](backend::DaemonOptions& options) {
          options.rate_clock = [this] { return clock_.Now(); };
        }) {}

  std::string Backend(DomainId domain, uint32_t handle, std::string_view node) {
    return dom0()
        .Read(kNoTransaction, schema::BackendNode(domain, handle, node))
        .value_or("");
  }
  XenStore& dom0() { return *system_.OpenProcess(kDom0).xenstore; }
  // Writes `count` requests from handle `first` on, raw (no library).
  void Flood(Platform& guest, uint32_t first, uint32_t count) {
    for (uint32_t handle = first; handle < first + count; ++handle) {
      schema::AttachRequest request;
      request.name = "f" + std::to_string(handle);
      request.size = kPageSize;
      ASSERT_TRUE(schema::WriteAttachRequest(*guest.xenstore, kNoTransaction,
                                             guest.self, handle, request)
                      .ok());
      ASSERT_TRUE(guest.xenstore
                      ->Write(kNoTransaction,
                              schema::FrontendNode(guest.self, handle,
                                                   schema::kNodeState),
                              "3")
                      .ok());
    }
  }
  // The flooder's requests xenshmd answered (Connected or Closed).
  uint32_t Answered(uint32_t handles) {
    uint32_t answered = 0;
    for (uint32_t handle = 0; handle < handles; ++handle) {
      if (!Backend(kFlooder, handle, schema::kNodeState).empty()) ++answered;
    }
    return answered;
  }

  SlowRate policy_;
  TestClock clock_;
  FakeXenSystem system_;
};

TEST_F(RateLimitTest, ChurnIsRefusedRateLimitedWithTheNumbersAndTheKey) {
  Client& churner = system_.NewClient(kChurner);
  // An attach and its detach are one request: four fit in the burst.
  for (int i = 0; i < 4; ++i) {
    auto region = churner.Attach("moo", kPageSize);
    ASSERT_TRUE(region) << i << ": " << region.error().ToString();
    ASSERT_TRUE((*region)->Detach().ok());
  }
  auto refused = churner.Attach("moo", kPageSize);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kRateLimited);
  EXPECT_EQ(refused.error().message(),
            "domain 3 sent 5 requests in 0 ms, above its max-request-rate of "
            "2/s (burst 4); raise max-request-rate in its xenshm stanza or the "
            "dom0 policy file");
  // Other domains have buckets of their own.
  auto honest = system_.NewClient(kHonest).Attach("moo", kPageSize);
  ASSERT_TRUE(honest) << honest.error().ToString();
  // A second later, two more tokens: the refusal's debt and one to spend.
  clock_.Advance(std::chrono::seconds(1));
  auto again = churner.Attach("moo", kPageSize);
  ASSERT_TRUE(again) << again.error().ToString();
}

TEST_F(RateLimitTest, AFloodIsAnsweredOnlyUpToABoundThenDeferred) {
  Platform& flooder = system_.OpenProcess(kFlooder);
  ASSERT_TRUE(Eventually([&] {
    return flooder.xenstore
        ->Read(kNoTransaction, schema::FrontendRoot(kFlooder))
        .has_value();
  }));
  const uint64_t writes_before =
      system_.hypervisor().Calls(fake::Op::kXsWrite, kDom0);
  constexpr uint32_t kRequests = 40;
  Flood(flooder, 0, kRequests);
  // An honest domain attaching now is served at once. Its second answer
  // comes after xenshmd handled every event of the flood (one watch queue,
  // taken in batches; the first could be answered while xenshmd set the
  // domain up, before it got to the flood in the same batch).
  Client& honest_client = system_.NewClient(kHonest);
  auto honest = honest_client.Attach("moo", kPageSize);
  ASSERT_TRUE(honest) << honest.error().ToString();
  auto barrier = honest_client.Attach("moo2", kPageSize);
  ASSERT_TRUE(barrier) << barrier.error().ToString();
  // Four admitted (the burst), four answered rate-limited (the debt
  // allowed), the rest deferred: not answered, not even looked at.
  EXPECT_EQ(Answered(kRequests), 8u);
  uint32_t rate_limited = 0;
  for (uint32_t handle = 0; handle < kRequests; ++handle) {
    if (Backend(kFlooder, handle, schema::kNodeStatus) == "rate-limited") {
      ++rate_limited;
      EXPECT_NE(Backend(kFlooder, handle, schema::kNodeMessage)
                    .find("max-request-rate of 2/s (burst 4)"),
                std::string::npos);
      EXPECT_EQ(Backend(kFlooder, handle, schema::kNodeState), "6");
    }
  }
  EXPECT_EQ(rate_limited, 4u);
  const uint64_t flood_writes =
      system_.hypervisor().Calls(fake::Op::kXsWrite, kDom0) - writes_before;
  std::printf("dom0 xenstore writes for a flood of %u requests: %llu\n",
              kRequests, static_cast<unsigned long long>(flood_writes));
  EXPECT_LT(flood_writes, 8u * 12 + 40);  // the honest attaches included

  // Back under its rate (and then some): rescanned, the next bounded batch
  // is answered. Any event wakes xenshmd; the clock alone does not.
  clock_.Advance(std::chrono::seconds(10));
  ASSERT_TRUE(
      flooder.xenstore
          ->Write(kNoTransaction, schema::FrontendRoot(kFlooder) + "/wake", "1")
          .ok());
  EXPECT_TRUE(Eventually([&] { return Answered(kRequests) == 16; }))
      << Answered(kRequests);
  EXPECT_EQ(Answered(kRequests), 16u);
}

TEST_F(RateLimitTest, Dom0IsNeverLimited) {
  Client& dom0_client = system_.NewClient(kDom0);
  for (int i = 0; i < 10; ++i) {
    auto region = dom0_client.Attach("moo", kPageSize);
    ASSERT_TRUE(region) << i << ": " << region.error().ToString();
    ASSERT_TRUE((*region)->Detach().ok());
  }
}

}  // namespace
}  // namespace xenshm::testing
