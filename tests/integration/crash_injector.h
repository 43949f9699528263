// CrashInjector: makes the xenshmd of a FakeXenSystem die right after its
// Nth xenstore write (write, mkdir, remove, permissions, commit) or kernel
// module call (allocate, grant, revoke, release, read-only view): the call
// takes effect, then InjectedCrash unwinds the daemon's thread, and every
// later call of that daemon fails without effect, as a killed process's
// would never have been made.
#ifndef XENSHM_TESTS_INTEGRATION_CRASH_INJECTOR_H_
#define XENSHM_TESTS_INTEGRATION_CRASH_INJECTOR_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "platform/platform.h"
#include "tests/integration/fake_xen_system.h"

namespace xenshm::testing {

class CrashInjector {
 public:
  // Replaces `platform`'s xenstore and region granter with counting ones.
  void Wrap(Platform& platform);
  // Counting starts again; the `nth` next counted call (1 = the very next)
  // is the last. 0: never (counts only).
  void Arm(int nth);
  int calls() const { return calls_; }
  bool crashed() const { return crashed_; }
  // The calls counted since Arm, by name, for a failing test's message.
  std::vector<std::string> trail() const;

  // For the wrappers: an error once crashed.
  bool Dead() const { return crashed_; }
  // Counts a call that took effect; throws InjectedCrash when it is due.
  void Counted(const std::string& what);

 private:
  std::atomic<int> calls_ = 0;
  std::atomic<int> crash_at_ = 0;
  std::atomic<bool> crashed_ = false;
  mutable std::mutex mu_;
  std::vector<std::string> trail_;  // GUARDED_BY(mu_)
};

}  // namespace xenshm::testing

#endif  // XENSHM_TESTS_INTEGRATION_CRASH_INJECTOR_H_
