// xenshmd: the xenshm backend daemon for dom0. Thin: opens the real platform
// and the kernel module, then runs the core (backend/core/daemon.h) until
// SIGTERM or SIGINT.
//
//   xenshmd [--check] [--reset] [--grant-budget ENTRIES] [--policy FILE]
//           [--pin-dir DIR] [--config-dir DIR]... [--lock-file FILE]
//           [--journal FILE]
//   xenshmd --help
//     --check         open everything, report, and exit
//     --reset         release what an earlier xenshmd left in the kernel
//                     module and wipe the journal (their peers must attach
//                     again); without it, xenshmd adopts them
//     --journal       what a restarted xenshmd adopts (default
//                     /run/xenshm/journal: gone with a reboot, like the
//                     module's regions)
//     --grant-budget  hold at most ENTRIES grant entries (default: whatever
//                     dom0's grant table has free, less a reserve)
//     --policy        dom0's policy file (default /etc/xenshm/policy.cfg;
//                     a missing default file means no dom0 policy: only
//                     guests with a stanza of their own may attach)
//     --pin-dir       where each domain UUID's policy is pinned (default
//                     /var/lib/xenshm/pins; xenshm-xl-create writes there)
//     --config-dir    where xl configs of domains started without
//                     xenshm-xl-create are looked for by name (repeatable;
//                     default /etc/xen/auto, then /etc/xen)
//     --lock-file     held while xenshmd runs, so only one runs at a time
//                     (default /run/xenshmd.lock; it holds the pid)
// SIGHUP re-reads the policy file (a bad file is logged and the old policy
// kept); attachments stay. SIGTERM and SIGINT stop xenshmd.
//
// Under systemd (tools/service/xenshmd.service, Type=notify) it says READY=1
// once it answers, RELOADING=1 and READY=1 around a reload and STOPPING=1
// when it stops (backend/service/notify_socket.h), and when stderr is the
// journal each line carries its priority (backend/service/stderr_log.h).
#include <fcntl.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/daemon.h"
#include "backend/policy/evaluator.h"
#include "backend/policy/file_policy_resolver.h"
#include "backend/policy/xl_config.h"
#include "backend/service/notify_socket.h"
#include "backend/service/stderr_log.h"
#include "base/numbers.h"
#include "platform/real/kmod_region_granter.h"
#include "platform/real/real_platform.h"

namespace {

using xenshm::backend::LogPriority;

constexpr char kUsage[] =
    "usage: xenshmd [--check] [--reset] [--grant-budget ENTRIES] "
    "[--policy FILE]\n"
    "               [--pin-dir DIR] [--config-dir DIR]... [--lock-file FILE]\n"
    "               [--journal FILE]\n"
    "       xenshmd --help\n";

// Where stderr goes, decided once at the start of main.
xenshm::service::LogSink log_sink = xenshm::service::LogSink::kPlain;

void Log(LogPriority priority, std::string_view line) {
  const std::string text =
      xenshm::service::FormatLogLine(log_sink, priority, line);
  (void)!write(STDERR_FILENO, text.data(), text.size());
}

[[noreturn]] void Fatal(const xenshm::Status& status) {
  Log(LogPriority::kError, "fatal: " + status.ToString());
  std::exit(1);
}

// Tells systemd `state`; outside systemd a no-op. A failure is logged once:
// the unit then waits for READY=1 until its start times out.
void Notify(std::string_view state) {
  static bool warned = false;
  xenshm::Status sent = xenshm::service::NotifyServiceManager(state);
  if (!sent.ok() && !warned) {
    warned = true;
    Log(LogPriority::kWarning,
        "cannot notify the service manager: " + sent.ToString());
  }
}

}  // namespace

int main(int argc, char** argv) {
  log_sink =
      xenshm::service::LogSinkOf(STDERR_FILENO, std::getenv("JOURNAL_STREAM"));
  bool check_only = false;
  std::string policy_file(xenshm::policy::kStandardPolicyFile);
  bool policy_file_given = false;
  std::string pin_dir(xenshm::policy::kStandardPinDirectory);
  std::vector<std::string> config_dirs;
  std::string lock_file = "/run/xenshmd.lock";
  std::string journal_file(xenshm::backend::kDefaultJournalPath);
  xenshm::backend::DaemonOptions options;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--check") {
      check_only = true;
    } else if (arg == "--reset") {
      options.reset_leftovers = true;
    } else if (arg == "--policy" && i + 1 < argc) {
      policy_file = argv[++i];
      policy_file_given = true;
    } else if (arg == "--pin-dir" && i + 1 < argc) {
      pin_dir = argv[++i];
    } else if (arg == "--journal" && i + 1 < argc) {
      journal_file = argv[++i];
    } else if (arg == "--lock-file" && i + 1 < argc) {
      lock_file = argv[++i];
    } else if (arg == "--config-dir" && i + 1 < argc) {
      config_dirs.emplace_back(argv[++i]);
    } else if (arg == "--grant-budget" && i + 1 < argc) {
      auto budget =
          xenshm::ParseDecimal(argv[++i], UINT64_MAX, "--grant-budget");
      if (!budget) {
        Log(LogPriority::kError, budget.error().message());
        return 2;
      }
      options.grant_budget = *budget;
    } else if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    } else {
      std::fputs(kUsage, stderr);
      return 2;
    }
  }
  xenshm::policy::Dom0Policy dom0_policy;
  if (policy_file_given || std::filesystem::exists(policy_file)) {
    auto read = xenshm::policy::ReadDom0PolicyFile(policy_file);
    if (!read) Fatal(read.error());
    dom0_policy = std::move(*read);
  }
  // Refusals name the file to edit, even when it does not exist yet.
  dom0_policy.file = policy_file;
  // The policy's own lines (where a domain's policy came from, reloads)
  // are notices.
  auto log = [](std::string_view line) { Log(LogPriority::kNotice, line); };
  options.log = Log;
  if (config_dirs.empty()) {
    config_dirs = xenshm::policy::StandardConfigDirectories();
  }
  xenshm::policy::StanzaLimits limits;
  std::optional<std::set<std::string>> known_groups = dom0_policy.groups;
  if (known_groups) limits.known_groups = &*known_groups;
  xenshm::policy::FilePolicyResolver resolver(
      xenshm::policy::PinStore(pin_dir),
      xenshm::policy::ConfigScan(
          config_dirs, limits, [log](const std::string& line) { log(line); }));
  xenshm::policy::Evaluator policy(std::move(dom0_policy), log);
  policy.SetResolver(&resolver, std::chrono::seconds(5));
  options.policy = &policy;
  // SIGHUP: the file again, on the daemon's thread; a bad one changes
  // nothing.
  auto reload_policy = [&policy, policy_file, policy_file_given, log] {
    xenshm::policy::Dom0Policy reread;
    if (policy_file_given || std::filesystem::exists(policy_file)) {
      auto read = xenshm::policy::ReadDom0PolicyFile(policy_file);
      if (!read) {
        log("reload: keeping the old policy: " + read.error().ToString());
        return;
      }
      reread = std::move(*read);
    }
    reread.file = policy_file;
    policy.SetDom0Policy(std::move(reread));
    log("reload: read " + policy_file);
  };
  options.reload = [reload_policy] {
    Notify(xenshm::service::ReloadingState());
    reload_policy();
    Notify("READY=1");
  };
  // One xenshmd at a time: two would hand out the same names twice. (Not
  // for --check, which only looks.)
  const int lock_fd =
      check_only ? -1
                 : open(lock_file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (!check_only && lock_fd < 0) {
    Fatal(xenshm::StatusFromErrno(errno, "open " + lock_file));
  }
  if (!check_only && flock(lock_fd, LOCK_EX | LOCK_NB) != 0) {
    char holder[32] = {};
    (void)!pread(lock_fd, holder, sizeof(holder) - 1, 0);
    Fatal(xenshm::Status(xenshm::Code::kBusy,
                         "another xenshmd runs (pid " + std::string(holder) +
                             ", it holds " + lock_file + "); stop it first"));
  }
  if (!check_only) {
    const std::string pid = std::to_string(getpid());
    (void)!ftruncate(lock_fd, 0);
    (void)!pwrite(lock_fd, pid.data(), pid.size(), 0);
  }

  auto platform = xenshm::OpenRealPlatform(xenshm::PlatformRole::kDom0);
  if (!platform) Fatal(platform.error());
  // A module older than serving needs is still good enough for --reset, so
  // the regions that keep it loaded can be released and the installed
  // module loaded (CheckKmodAbi's message says so); such a run stops after
  // the reset.
  auto granter = xenshm::KmodRegionGranter::Open(
      XENSHM_DEVICE_PATH, options.reset_leftovers ? xenshm::kKmodAbiForReset
                                                  : xenshm::kKmodAbiForGranter);
  if (!granter) Fatal(granter.error());
  const xenshm::KmodAbi module_abi = (*granter)->abi();
  const xenshm::Status module_serves =
      xenshm::CheckKmodAbi(module_abi, xenshm::kKmodAbiForGranter);
  platform->region_granter = std::move(*granter);
  if (check_only) {
    std::printf("xenshmd: platform and kernel module are ready (module %s)\n",
                xenshm::DescribeKmodAbi(module_abi).c_str());
    return 0;
  }

  // SIGTERM and SIGINT reach the daemon's poll loop as a readable signalfd,
  // so the loop has one way to stop and no handler runs inside it.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  if (sigprocmask(SIG_BLOCK, &stop_signals, nullptr) != 0) {
    Fatal(xenshm::StatusFromErrno(errno, "sigprocmask"));
  }
  const int stop_fd = signalfd(-1, &stop_signals, SFD_CLOEXEC);
  if (stop_fd < 0) Fatal(xenshm::StatusFromErrno(errno, "signalfd"));
  sigset_t reload_signals;
  sigemptyset(&reload_signals);
  sigaddset(&reload_signals, SIGHUP);
  if (sigprocmask(SIG_BLOCK, &reload_signals, nullptr) != 0) {
    Fatal(xenshm::StatusFromErrno(errno, "sigprocmask"));
  }
  const int reload_fd = signalfd(-1, &reload_signals, SFD_CLOEXEC);
  if (reload_fd < 0) Fatal(xenshm::StatusFromErrno(errno, "signalfd"));

  xenshm::backend::FileJournalStore journal(journal_file);
  options.journal = &journal;
  xenshm::backend::Daemon daemon(*platform, options);
  if (xenshm::Status started = daemon.Start(); !started.ok()) Fatal(started);
  if (!module_serves.ok()) {
    const size_t left = daemon.Shutdown();
    // Only a --reset gets here (Open refused the module otherwise).
    Log(LogPriority::kNotice,
        "--reset done; this xenshmd does not serve on the loaded module (" +
            xenshm::DescribeKmodAbi(module_abi) + ")" +
            (left > 0 ? ": " + std::to_string(left) +
                            " regions still have peers, detach them and run "
                            "--reset again"
                      : ": `modprobe -r xenshm` and `modprobe xenshm` load "
                        "the installed one, then start xenshmd"));
    return left > 0 ? 1 : 0;
  }
  // It answers now: systemd may start what is ordered after it (xendomains).
  Notify("READY=1");
  xenshm::Status ran = daemon.Run(stop_fd, reload_fd);
  Notify("STOPPING=1");
  if (!ran.ok()) Fatal(ran);
  const size_t attached = daemon.Shutdown();
  if (attached > 0) {
    Log(LogPriority::kNotice,
        "stopping; " + std::to_string(attached) +
            " regions with peers stay in the kernel module, and the next "
            "xenshmd adopts them");
  }
  return 0;
}
