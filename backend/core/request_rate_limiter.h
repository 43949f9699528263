// RequestRateLimiter: a token bucket per guest domain, so a guest that loops
// sending requests (attach/detach churn, raw state writes) cannot make
// xenshmd do unbounded work, and honest domains keep being served.
//
// Each request xenshmd acts on for a domain (a new request to answer, or a
// bad state move it must report) takes a token. The bucket holds `burst`
// tokens and refills at `per_second` (DomainQuota::request_rate, the
// max-request-rate key; burst twice that). Out of tokens, a request is
// refused, and answered rate-limited, which costs writes too; so the bucket
// goes into debt for each refusal, and once the debt reaches `burst` the
// domain is deferred: xenshmd leaves its events alone (they coalesce; it
// rescans the domain when it resumes) until the bucket has a token again.
// A flooding domain so costs at most about two answers per refilled token.
// dom0 is never limited (the caller does not ask for it).
#ifndef XENSHM_BACKEND_CORE_REQUEST_RATE_LIMITER_H_
#define XENSHM_BACKEND_CORE_REQUEST_RATE_LIMITER_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "backend/core/access_policy.h"
#include "base/status.h"
#include "base/types.h"

namespace xenshm::backend {

struct RequestRate {
  uint32_t per_second = 0;
  uint32_t burst = 0;
  // A domain's, from its quota: burst twice the rate, so an honest program
  // starting several attachments at once is not refused.
  static RequestRate Of(const DomainQuota& quota) {
    return {quota.request_rate, 2 * quota.request_rate};
  }
};

enum class Admission {
  kAdmit,   // act on the request
  kRefuse,  // answer it with Refusal()
  kDefer,   // leave it (and the domain's other events) until Resumed
};

class RequestRateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  // `clock` is steady_clock::now when empty (tests inject their own).
  explicit RequestRateLimiter(Clock clock = {});

  // One request of `domain`, held to `rate`.
  Admission Charge(DomainId domain, RequestRate rate);
  // kRateLimited with the numbers and the key to raise, for a kRefuse.
  Status Refusal(DomainId domain, RequestRate rate) const;
  // Whether `domain` is deferred now.
  bool Deferred(DomainId domain) const { return deferred_.contains(domain); }
  // Deferred domains whose bucket has a token again; they are no longer
  // deferred, and the caller rescans them.
  std::vector<DomainId> TakeResumed();
  // Until the next deferred domain resumes; -1 (poll's forever) if none.
  int MillisecondsToNextResume();
  void Forget(DomainId domain);

 private:
  struct Bucket {
    // Millionths of a token (exact refills); negative down to -burst: the
    // debt of answered refusals.
    int64_t units = 0;
    std::chrono::steady_clock::time_point refilled;
    // Since the bucket was last full: for the refusal's message.
    std::chrono::steady_clock::time_point full_since;
    uint64_t sent_since_full = 0;
    RequestRate rate;
  };
  Bucket& Refill(DomainId domain, RequestRate rate);

  Clock clock_;
  std::map<DomainId, Bucket> buckets_;
  std::map<DomainId, std::chrono::steady_clock::time_point> deferred_;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_REQUEST_RATE_LIMITER_H_
