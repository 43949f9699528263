// xenshmd sleeps while nothing happens: its loop is woken only by its file
// descriptors (xenstore watches, control channels, pidfds, the stop fd) or
// an orphan's grace ending, never by a timer of its own.
#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <string>
#include <thread>

#include "backend/core/daemon.h"
#include "frontend/lib/platform_client.h"
#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "tests/integration/eventually.h"
#include "xenshm/client.h"

namespace xenshm::testing {
namespace {

// Voluntary context switches of thread `tid` of this process: one per time
// it blocked (in poll) and was woken.
long VoluntarySwitches(pid_t tid) {
  std::ifstream status("/proc/self/task/" + std::to_string(tid) + "/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("voluntary_ctxt_switches:", 0) == 0) {
      return std::stol(line.substr(line.find(':') + 1));
    }
  }
  return -1;
}

TEST(IdleDaemon, SleepsUntilSomethingHappens) {
  fake::FakeHypervisor hypervisor;
  hypervisor.CreateDomain(1);
  Platform dom0 = std::move(hypervisor.OpenPlatform(kDom0).value());
  backend::DaemonOptions options;
  options.log = [](backend::LogPriority, std::string_view) {};
  backend::Daemon daemon(dom0, options);
  ASSERT_TRUE(daemon.Start().ok());
  std::atomic<pid_t> tid = 0;
  std::jthread loop([&](std::stop_token stop) {
    tid = gettid();
    EXPECT_TRUE(daemon.Run(stop).ok());
  });
  ASSERT_TRUE(Eventually([&] { return tid != 0; }));

  // A guest attaches: the loop wakes and answers.
  Platform guest = std::move(hypervisor.OpenPlatform(1).value());
  Client client = ClientOn(guest);
  auto region = client.Attach("moo", kPageSize);
  ASSERT_TRUE(region) << region.error().ToString();

  // Then nothing happens for 1.5 s: the loop must not wake (a 100 ms poll
  // timeout would wake it ~15 times).
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  const long before = VoluntarySwitches(tid);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  const long after = VoluntarySwitches(tid);
  ASSERT_GE(before, 0);
  EXPECT_LE(after - before, 1)
      << "the idle loop woke " << after - before << " times in 1.5 s";

  // And it still answers at once when something does happen.
  EXPECT_TRUE((*region)->Detach().ok());
}

}  // namespace
}  // namespace xenshm::testing
