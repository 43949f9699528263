// Eventually: waits for a condition the daemon thread makes true.
#ifndef XENSHM_TESTS_INTEGRATION_EVENTUALLY_H_
#define XENSHM_TESTS_INTEGRATION_EVENTUALLY_H_

#include <chrono>
#include <thread>

namespace xenshm::testing {

template <typename Predicate>
bool Eventually(Predicate predicate,
                std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!predicate()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

}  // namespace xenshm::testing

#endif  // XENSHM_TESTS_INTEGRATION_EVENTUALLY_H_
