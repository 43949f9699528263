// Small helpers shared by the fake hypervisor's own tests.
#ifndef XENSHM_TESTS_FAKE_HYPERVISOR_TEST_UTIL_H_
#define XENSHM_TESTS_FAKE_HYPERVISOR_TEST_UTIL_H_

#include <gtest/gtest.h>
#include <poll.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "platform/platform.h"
#include "tests/fake_hypervisor/fake_hypervisor.h"

namespace xenshm::fake::testing {

inline Code CodeOf(const Status& status) { return status.code(); }
template <typename T>
Code CodeOf(const Result<T>& result) {
  return result ? Code::kOk : result.error().code();
}

// True if `fd` becomes readable within `timeout_ms`.
inline bool Readable(int fd, int timeout_ms = 0) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, timeout_ms) == 1 && (p.revents & POLLIN);
}

// OpenPlatform that must succeed.
inline Platform MustOpen(FakeHypervisor& hv, DomainId domain) {
  Result<Platform> platform = hv.OpenPlatform(domain);
  if (!platform) {
    std::fprintf(stderr, "OpenPlatform(%u): %s\n", domain,
                 platform.error().ToString().c_str());
    std::abort();
  }
  return std::move(*platform);
}

// Every queued watch event, as "path|token".
inline std::vector<std::string> Drain(XenStore& xs) {
  std::vector<std::string> out;
  while (std::optional<XsWatchEvent> event = xs.TakeWatchEvent()) {
    out.push_back(event->path + "|" + event->token);
  }
  return out;
}

// A fixture base: dom0 and guests 1 and 2, one process each.
class ThreeDomains : public ::testing::Test {
 protected:
  ThreeDomains() {
    hv_.CreateDomain(1);
    hv_.CreateDomain(2);
    dom0_ = MustOpen(hv_, 0);
    dom1_ = MustOpen(hv_, 1);
    dom2_ = MustOpen(hv_, 2);
  }
  XenStore& xs0() { return *dom0_.xenstore; }
  XenStore& xs1() { return *dom1_.xenstore; }
  XenStore& xs2() { return *dom2_.xenstore; }

  FakeHypervisor hv_;
  Platform dom0_, dom1_, dom2_;
};

}  // namespace xenshm::fake::testing

#endif  // XENSHM_TESTS_FAKE_HYPERVISOR_TEST_UTIL_H_
