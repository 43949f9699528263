#include "backend/core/request_rate_limiter.h"

#include <algorithm>
#include <limits>
#include <string>

namespace xenshm::backend {
namespace {

// A token is a million units: a microsecond refills `per_second` units,
// exactly, however often the bucket is looked at.
constexpr int64_t kToken = 1000000;

using std::chrono::steady_clock;

// When a bucket at `units` refilling at `rate` has one token.
steady_clock::time_point WhenOneToken(int64_t units, RequestRate rate,
                                      steady_clock::time_point now) {
  if (units >= kToken) return now;
  if (rate.per_second == 0) return steady_clock::time_point::max();
  const int64_t per_micro = rate.per_second;
  const int64_t micros = (kToken - units + per_micro - 1) / per_micro;
  return now + std::chrono::microseconds(micros);
}

}  // namespace

RequestRateLimiter::RequestRateLimiter(Clock clock)
    : clock_(clock ? std::move(clock) : Clock(&steady_clock::now)) {}

RequestRateLimiter::Bucket& RequestRateLimiter::Refill(DomainId domain,
                                                       RequestRate rate) {
  const steady_clock::time_point now = clock_();
  const int64_t full = int64_t{rate.burst} * kToken;
  auto [it, fresh] = buckets_.try_emplace(domain);
  Bucket& bucket = it->second;
  if (fresh || bucket.rate.per_second != rate.per_second ||
      bucket.rate.burst != rate.burst) {
    // New, or its policy changed: start full under the new limit.
    bucket = Bucket{full, now, now, 0, rate};
    return bucket;
  }
  const int64_t micros = std::chrono::duration_cast<std::chrono::microseconds>(
                             now - bucket.refilled)
                             .count();
  if (micros <= 0) return bucket;
  // Capped before multiplying: an idle hour must not overflow.
  const int64_t capped =
      std::min<int64_t>(micros, std::numeric_limits<int32_t>::max());
  bucket.units += capped * rate.per_second;
  bucket.refilled = now;
  if (bucket.units >= full) {
    bucket.units = full;
    bucket.full_since = now;
    bucket.sent_since_full = 0;
  }
  return bucket;
}

Admission RequestRateLimiter::Charge(DomainId domain, RequestRate rate) {
  Bucket& bucket = Refill(domain, rate);
  if (deferred_.contains(domain)) return Admission::kDefer;
  ++bucket.sent_since_full;
  const bool admitted = bucket.units >= kToken;
  bucket.units -= kToken;
  if (admitted) return Admission::kAdmit;
  if (bucket.units <= -int64_t{rate.burst} * kToken) {
    deferred_[domain] = WhenOneToken(bucket.units, rate, clock_());
  }
  return Admission::kRefuse;
}

Status RequestRateLimiter::Refusal(DomainId domain, RequestRate rate) const {
  uint64_t sent = 0;
  int64_t millis = 0;
  if (auto it = buckets_.find(domain); it != buckets_.end()) {
    sent = it->second.sent_since_full;
    millis = std::chrono::duration_cast<std::chrono::milliseconds>(
                 clock_() - it->second.full_since)
                 .count();
  }
  return Status(Code::kRateLimited,
                "domain " + std::to_string(domain) + " sent " +
                    std::to_string(sent) + " requests in " +
                    std::to_string(millis) +
                    " ms, above its max-request-rate of " +
                    std::to_string(rate.per_second) + "/s (burst " +
                    std::to_string(rate.burst) +
                    "); raise max-request-rate in its xenshm stanza or the "
                    "dom0 policy file");
}

std::vector<DomainId> RequestRateLimiter::TakeResumed() {
  const steady_clock::time_point now = clock_();
  std::vector<DomainId> resumed;
  for (auto it = deferred_.begin(); it != deferred_.end();) {
    if (it->second <= now) {
      resumed.push_back(it->first);
      it = deferred_.erase(it);
    } else {
      ++it;
    }
  }
  return resumed;
}

int RequestRateLimiter::MillisecondsToNextResume() {
  if (deferred_.empty()) return -1;
  steady_clock::time_point next = steady_clock::time_point::max();
  for (const auto& [domain, when] : deferred_) next = std::min(next, when);
  if (next == steady_clock::time_point::max()) return -1;
  const auto left =
      std::chrono::ceil<std::chrono::milliseconds>(next - clock_()).count();
  return static_cast<int>(std::clamp<int64_t>(left, 0, 60 * 60 * 1000));
}

void RequestRateLimiter::Forget(DomainId domain) {
  buckets_.erase(domain);
  deferred_.erase(domain);
}

}  // namespace xenshm::backend
