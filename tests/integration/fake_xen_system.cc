#include "tests/integration/fake_xen_system.h"

#include <gtest/gtest.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cstdint>

#include "frontend/lib/platform_client.h"

namespace xenshm::testing {

FakeXenSystem::FakeXenSystem(
    backend::AccessPolicy* policy,
    std::function<void(backend::DaemonOptions&)> configure)
    : hypervisor_(std::make_unique<fake::FakeHypervisor>()),
      policy_(policy),
      configure_(std::move(configure)),
      reload_fd_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  Status started = StartDaemon(/*reset=*/false);
  if (!started.ok()) {
    ADD_FAILURE() << started.ToString();
    std::abort();
  }
}

Status FakeXenSystem::StartDaemon(bool reset) {
  // A new dom0 process: its own xenstore connection and evtchn handle.
  auto platform = hypervisor_->OpenPlatform(kDom0);
  if (!platform) return platform.error();
  daemon_platform_ = std::make_unique<Platform>(std::move(*platform));
  if (wrap_daemon_platform_) wrap_daemon_platform_(*daemon_platform_);
  backend::DaemonOptions options;
  options.policy = policy_;
  options.reset_leftovers = reset;
  options.journal = &journal_;
  // Short, so tests of dead processes' requests stay quick.
  options.orphan_grace = std::chrono::milliseconds(1000);
  options.log = [this](backend::LogPriority, std::string_view line) {
    std::lock_guard lock(log_mu_);
    log_.emplace_back(line);
  };
  if (configure_) configure_(options);
  daemon_ = std::make_unique<backend::Daemon>(*daemon_platform_, options);
  XENSHM_RETURN_IF_ERROR(daemon_->Start());
  RunDaemonThread();
  return Status();
}

void FakeXenSystem::RunDaemonThread() {
  // The same loop as xenshmd's main: an error it cannot carry on from
  // fails the test.
  daemon_thread_ = std::jthread([this](std::stop_token stop) {
    try {
      if (Status ran = daemon_->Run(stop, reload_fd_); !ran.ok()) {
        ADD_FAILURE() << "xenshmd's loop stopped: " << ran.ToString();
      }
    } catch (const InjectedCrash&) {
      // Died where the test wanted: the thread ends as the process would.
    }
  });
}

void FakeXenSystem::ReloadDaemon() {
  const uint64_t one = 1;
  (void)!write(reload_fd_, &one, sizeof(one));
}

void FakeXenSystem::StopDaemonThread() {
  if (daemon_thread_.joinable()) {
    daemon_thread_.request_stop();
    daemon_thread_.join();
  }
}

void FakeXenSystem::StopDaemon(bool clean) {
  StopDaemonThread();
  if (clean && daemon_) daemon_->Shutdown();
  daemon_.reset();
  daemon_platform_.reset();  // the process exits: its ports close
}

Status FakeXenSystem::RestartDaemon(bool reset, bool clean) {
  StopDaemon(clean);
  return StartDaemon(reset);
}

FakeXenSystem::~FakeXenSystem() {
  StopDaemon();
  clients_.clear();
  processes_.clear();
  close(reload_fd_);
}

Platform& FakeXenSystem::OpenProcess(DomainId domain) {
  if (domain != kDom0 && !hypervisor_->DomainExists(domain)) {
    hypervisor_->CreateDomain(domain);
  }
  auto platform = hypervisor_->OpenPlatform(domain);
  if (!platform) {
    ADD_FAILURE() << platform.error().ToString();
    std::abort();
  }
  processes_.push_back(std::make_unique<Platform>(std::move(*platform)));
  return *processes_.back();
}

Client& FakeXenSystem::NewClient(DomainId domain) {
  clients_.push_back(std::make_unique<Client>(ClientOn(OpenProcess(domain))));
  return *clients_.back();
}

std::vector<std::string> FakeXenSystem::log() const {
  std::lock_guard lock(log_mu_);
  return log_;
}

backend::RegionTable FakeXenSystem::DaemonRegions() {
  // The table is the daemon thread's: pause it for the copy.
  StopDaemonThread();
  backend::RegionTable copy = daemon_->regions();
  RunDaemonThread();
  return copy;
}

GranterCounts FakeXenSystem::counts() {
  auto counts = hypervisor_->GrantCounts();
  return counts;
}

}  // namespace xenshm::testing
