// ProcessExitWatch: a pollable fd that becomes readable when a process exits
// (Linux pidfd). xenshmd watches the dom0 programs attached to regions with
// it: they map through the kernel module, which, unlike gntdev for guests,
// sends no unmap-notify when a process dies.
#ifndef XENSHM_BACKEND_CORE_PROCESS_EXIT_WATCH_H_
#define XENSHM_BACKEND_CORE_PROCESS_EXIT_WATCH_H_

#include <cstdint>
#include <optional>

#include "base/status.h"

namespace xenshm::backend {

class ProcessExitWatch {
 public:
  // kNotFound when `pid` has already exited, or when `started` is given and
  // the process now called `pid` started at another time: the one a
  // journal named exited and its pid was reused (a restarted xenshmd asks).
  static Result<ProcessExitWatch> Open(
      int pid, std::optional<uint64_t> started = std::nullopt);
  ProcessExitWatch(ProcessExitWatch&& other) noexcept;
  ProcessExitWatch& operator=(ProcessExitWatch&& other) noexcept;
  ~ProcessExitWatch();

  int pid() const { return pid_; }
  // When the process started, in clock ticks after boot (/proc/<pid>/stat
  // field 22): with the pid, it names one process for the boot's life.
  uint64_t started() const { return started_; }
  // Readable (POLLIN) once the process has exited.
  int fd() const { return fd_; }
  bool Exited() const;

 private:
  ProcessExitWatch(int pid, int fd, uint64_t started)
      : pid_(pid), fd_(fd), started_(started) {}
  int pid_ = 0;
  int fd_ = -1;
  uint64_t started_ = 0;
};

// The start time of process `pid` (see ProcessExitWatch::started);
// kNotFound when there is no such process.
Result<uint64_t> ProcessStartTime(int pid);

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_PROCESS_EXIT_WATCH_H_
