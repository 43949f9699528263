#include "backend/core/request_rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>

namespace xenshm::backend {
namespace {

using std::chrono::milliseconds;

class RequestRateLimiterTest : public ::testing::Test {
 protected:
  RequestRateLimiter limiter_{[this] { return now_; }};
  std::chrono::steady_clock::time_point now_{std::chrono::seconds(1000)};
  const RequestRate rate_{16, 32};
};

TEST_F(RequestRateLimiterTest, DefaultsAreSixteenPerSecondBurstThirtyTwo) {
  const RequestRate rate = RequestRate::Of(DomainQuota{});
  EXPECT_EQ(rate.per_second, 16u);
  EXPECT_EQ(rate.burst, 32u);
}

TEST_F(RequestRateLimiterTest, AdmitsTheBurstThenRefuses) {
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(limiter_.Charge(5, rate_), Admission::kAdmit) << i;
  }
  EXPECT_EQ(limiter_.Charge(5, rate_), Admission::kRefuse);
  const Status refused = limiter_.Refusal(5, rate_);
  EXPECT_EQ(refused.code(), Code::kRateLimited);
  EXPECT_EQ(refused.message(),
            "domain 5 sent 33 requests in 0 ms, above its max-request-rate of "
            "16/s (burst 32); raise max-request-rate in its xenshm stanza or "
            "the dom0 policy file");
  // Other domains have their own buckets.
  EXPECT_EQ(limiter_.Charge(6, rate_), Admission::kAdmit);
}

TEST_F(RequestRateLimiterTest, RefillsAtTheRateExactly) {
  for (int i = 0; i < 32; ++i) (void)limiter_.Charge(5, rate_);
  // One refusal a millisecond: each owes a token and 1 ms refills 0.016,
  // so the debt reaches 32 at the 33rd (32 if small refills were lost).
  int refused = 0;
  while (!limiter_.Deferred(5)) {
    now_ += milliseconds(1);
    ASSERT_EQ(limiter_.Charge(5, rate_), Admission::kRefuse);
    ++refused;
  }
  EXPECT_EQ(refused, 33);
}

TEST_F(RequestRateLimiterTest, AnHonestPaceIsNeverRefused) {
  // Sixteen a second, for a minute, after a full burst.
  for (int i = 0; i < 32; ++i) (void)limiter_.Charge(5, rate_);
  for (int i = 0; i < 16 * 60; ++i) {
    now_ += milliseconds(63);  // a little slower than 1/16 s
    EXPECT_EQ(limiter_.Charge(5, rate_), Admission::kAdmit) << i;
  }
}

TEST_F(RequestRateLimiterTest, AFloodIsDeferredUntilATokenRefills) {
  for (int i = 0; i < 32; ++i) (void)limiter_.Charge(5, rate_);
  // Each refusal is answered, and owed: 32 answers, then deferral.
  int refused = 0;
  while (!limiter_.Deferred(5)) {
    ASSERT_EQ(limiter_.Charge(5, rate_), Admission::kRefuse);
    ++refused;
  }
  EXPECT_EQ(refused, 32);
  EXPECT_EQ(limiter_.Charge(5, rate_), Admission::kDefer);
  // Back to one token: 33 tokens at 16/s.
  EXPECT_EQ(limiter_.MillisecondsToNextResume(), 2063);
  now_ += milliseconds(2062);
  EXPECT_TRUE(limiter_.TakeResumed().empty());
  now_ += milliseconds(1);
  EXPECT_EQ(limiter_.TakeResumed(), std::vector<DomainId>{5});
  EXPECT_FALSE(limiter_.Deferred(5));
  EXPECT_EQ(limiter_.MillisecondsToNextResume(), -1);
  EXPECT_EQ(limiter_.Charge(5, rate_), Admission::kAdmit);
  EXPECT_EQ(limiter_.Charge(5, rate_), Admission::kRefuse);
}

TEST_F(RequestRateLimiterTest, ZeroMeansNoRequestsAndNoResume) {
  const RequestRate none{0, 0};
  EXPECT_EQ(limiter_.Charge(5, none), Admission::kRefuse);
  EXPECT_TRUE(limiter_.Deferred(5));
  EXPECT_EQ(limiter_.MillisecondsToNextResume(), -1);
  now_ += std::chrono::hours(24);
  EXPECT_TRUE(limiter_.TakeResumed().empty());
}

TEST_F(RequestRateLimiterTest, ANewLimitStartsFullAndForgetResets) {
  for (int i = 0; i < 32; ++i) (void)limiter_.Charge(5, rate_);
  EXPECT_EQ(limiter_.Charge(5, {100, 200}), Admission::kAdmit);
  for (int i = 0; i < 199; ++i) (void)limiter_.Charge(5, {100, 200});
  EXPECT_EQ(limiter_.Charge(5, {100, 200}), Admission::kRefuse);
  limiter_.Forget(5);
  EXPECT_EQ(limiter_.Charge(5, {100, 200}), Admission::kAdmit);
}

TEST_F(RequestRateLimiterTest, AnIdleDayRefillsToTheBurstOnly) {
  (void)limiter_.Charge(5, rate_);
  now_ += std::chrono::hours(24);
  for (int i = 0; i < 32; ++i) {
    EXPECT_EQ(limiter_.Charge(5, rate_), Admission::kAdmit) << i;
  }
  EXPECT_EQ(limiter_.Charge(5, rate_), Admission::kRefuse);
}

}  // namespace
}  // namespace xenshm::backend
