// The C API's thread rules (xenshm.h, "Threads") over the fake hypervisor:
// on one region, a thread blocked in xenshm_wait while another signals,
// peeks, lists peers and reachable peers. Run under --config=tsan by CI.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "base/types.h"
#include "frontend/lib/platform_client.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenshm/xenshm.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kA = 1, kB = 2;
constexpr int kRounds = 200;

TEST(CApiThreads, OneThreadWaitsWhileAnotherSignalsOnTheSameRegion) {
  FakeXenSystem system;
  xenshm_client* client_a = OpenClientOn(system.OpenProcess(kA));
  xenshm_client* client_b = OpenClientOn(system.OpenProcess(kB));
  xenshm_region* a = nullptr;
  xenshm_region* b = nullptr;
  ASSERT_EQ(xenshm_attach(client_a, "moo", kPageSize, nullptr, &a), XENSHM_OK);
  ASSERT_EQ(xenshm_attach(client_b, "moo", kPageSize, nullptr, &b), XENSHM_OK);
  const xenshm_peer_set a_bit = 1ull << xenshm_region_peer_index(a);
  const xenshm_peer_set b_bit = 1ull << xenshm_region_peer_index(b);
  ASSERT_TRUE(Eventually([&] {
    xenshm_peer_set from_a = 0, from_b = 0;
    return xenshm_reachable_peers(a, &from_a) == XENSHM_OK &&
           xenshm_reachable_peers(b, &from_b) == XENSHM_OK &&
           (from_a & b_bit) && (from_b & a_bit);
  }));
  xenshm_signal_status ignored;
  ASSERT_EQ(xenshm_take_status(a, &ignored), XENSHM_OK);
  ASSERT_EQ(xenshm_take_status(b, &ignored), XENSHM_OK);

  // On B: the waiter counts A's signals; the answerer, on the same region,
  // answers each with a signal back to A and meanwhile peeks, lists and
  // asks who is reachable (calls that read the events the waiter polls
  // for, so the waiter must be woken by them).
  std::atomic<int> received{0};
  std::atomic<bool> failed{false};
  std::atomic<bool> stop{false};
  std::thread waiter([&] {
    while (!stop && received < kRounds) {
      xenshm_signal_status status;
      int rc = xenshm_wait(b, 10000, &status);
      if (rc == XENSHM_TIMED_OUT) continue;
      if (rc != XENSHM_OK) {
        failed = true;
        return;
      }
      if (status.signaled_by & a_bit) ++received;
    }
  });
  std::thread answerer([&] {
    int answered = 0;
    while (!stop && answered < kRounds) {
      xenshm_signal_status status;
      xenshm_peer_info peers[XENSHM_MAX_PEERS];
      size_t count = 0;
      xenshm_peer_set reachable = 0;
      if (xenshm_peek_status(b, &status) != XENSHM_OK ||
          xenshm_peers(b, peers, XENSHM_MAX_PEERS, &count) != XENSHM_OK ||
          xenshm_reachable_peers(b, &reachable) != XENSHM_OK) {
        failed = true;
        return;
      }
      if (received > answered) {
        xenshm_signal_report report{};
        if (xenshm_signal(b, a_bit, &report) != XENSHM_OK ||
            report.reached != a_bit) {
          failed = true;
          return;
        }
        ++answered;
      } else {
        std::this_thread::yield();
      }
    }
  });

  // A: ping, then wait for the answer; one ping in flight at a time, so no
  // two signals coalesce and every round must come back.
  int rounds = 0;
  for (; rounds < kRounds && !failed; ++rounds) {
    xenshm_signal_report report{};
    ASSERT_EQ(xenshm_signal(a, b_bit, &report), XENSHM_OK);
    ASSERT_EQ(report.reached, b_bit);
    xenshm_signal_status status{};
    int rc;
    do {
      rc = xenshm_wait(a, 2000, &status);
    } while (rc == XENSHM_OK && (status.signaled_by & b_bit) == 0);
    if (rc != XENSHM_OK) {
      ADD_FAILURE() << "round " << rounds << ": " << xenshm_status_name(rc)
                    << ": " << xenshm_last_error() << " (B received "
                    << received << ")";
      break;
    }
  }
  stop = true;
  waiter.join();
  answerer.join();
  EXPECT_FALSE(failed);
  EXPECT_EQ(rounds, kRounds);
  EXPECT_EQ(received, kRounds);

  xenshm_region_free(a);
  xenshm_region_free(b);
  xenshm_close(client_a);
  xenshm_close(client_b);
}

}  // namespace
}  // namespace xenshm::testing
