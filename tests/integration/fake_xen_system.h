// FakeXenSystem: a fake hypervisor with xenshmd's core running in dom0 on
// its own thread, and helpers to open guests. The integration tests' base.
#ifndef XENSHM_TESTS_INTEGRATION_FAKE_XEN_SYSTEM_H_
#define XENSHM_TESTS_INTEGRATION_FAKE_XEN_SYSTEM_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "backend/core/daemon.h"
#include "platform/platform.h"
#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "xenshm/client.h"

namespace xenshm::testing {

// Thrown on the daemon's thread by a test's platform wrapper to make
// xenshmd die right there (crash_injector.h); the thread ends, as the
// process would.
struct InjectedCrash {
  std::string after;  // the call it died after
};

class FakeXenSystem {
 public:
  // Starts the daemon with `policy` (allow-all when null).
  // `configure` may change the daemon's options (after the test defaults)
  // for every start.
  explicit FakeXenSystem(
      backend::AccessPolicy* policy = nullptr,
      std::function<void(backend::DaemonOptions&)> configure = {});
  ~FakeXenSystem();

  fake::FakeHypervisor& hypervisor() { return *hypervisor_; }
  // Creates the domain (if needed) and opens a new "process" in it.
  Platform& OpenProcess(DomainId domain);
  // A client for a new process in `domain`.
  Client& NewClient(DomainId domain);
  // The daemon's log lines so far.
  std::vector<std::string> log() const;
  // Counts of dom0's region granter.
  GranterCounts counts();
  // A copy of xenshmd's region table, taken between two turns of its loop.
  backend::RegionTable DaemonRegions();
  // Runs on each new daemon's platform before the daemon gets it (tests
  // wrap its xenstore or granter).
  void set_daemon_platform_wrapper(std::function<void(Platform&)> wrap) {
    wrap_daemon_platform_ = std::move(wrap);
  }
  // xenshmd's journal: it outlives each daemon, as /run/xenshm does.
  backend::MemoryJournalStore& journal() { return journal_; }
  // Stops xenshmd and starts a new one, with --reset when `reset`; returns
  // what the new one's Start said. `clean`: stopped by SIGTERM (Shutdown
  // runs), else it crashed.
  Status RestartDaemon(bool reset, bool clean = false);
  // What SIGHUP does to xenshmd: DaemonOptions::reload (set it through
  // `configure`) runs on the daemon's thread, then the daemon applies it.
  void ReloadDaemon();
  // Stops xenshmd (crashed, or by SIGTERM when `clean`) and leaves it
  // stopped: nobody answers the frontends until RestartDaemon.
  void StopDaemon(bool clean = false);

 private:
  Status StartDaemon(bool reset);
  void RunDaemonThread();
  void StopDaemonThread();

  std::unique_ptr<fake::FakeHypervisor> hypervisor_;
  backend::MemoryJournalStore journal_;
  std::function<void(Platform&)> wrap_daemon_platform_;
  backend::AccessPolicy* policy_;
  std::function<void(backend::DaemonOptions&)> configure_;
  int reload_fd_;  // an eventfd, the test's SIGHUP
  std::unique_ptr<Platform> daemon_platform_;
  std::unique_ptr<backend::Daemon> daemon_;
  std::jthread daemon_thread_;
  std::vector<std::unique_ptr<Platform>> processes_;
  std::vector<std::unique_ptr<Client>> clients_;
  mutable std::mutex log_mu_;
  std::vector<std::string> log_;
};

}  // namespace xenshm::testing

#endif  // XENSHM_TESTS_INTEGRATION_FAKE_XEN_SYSTEM_H_
