// ProcessExitWatch: a pollable fd that becomes readable when a process exits
// (Linux pidfd). xenshmd watches the dom0 programs attached to regions with
// it: they map through the kernel module, which, unlike gntdev for guests,
// sends no unmap-notify when a process dies.
#ifndef XENSHM_BACKEND_CORE_PROCESS_EXIT_WATCH_H_
#define XENSHM_BACKEND_CORE_PROCESS_EXIT_WATCH_H_

#include "base/status.h"

namespace xenshm::backend {

class ProcessExitWatch {
 public:
  // kNotFound when `pid` has already exited.
  static Result<ProcessExitWatch> Open(int pid);
  ProcessExitWatch(ProcessExitWatch&& other) noexcept;
  ProcessExitWatch& operator=(ProcessExitWatch&& other) noexcept;
  ~ProcessExitWatch();

  int pid() const { return pid_; }
  // Readable (POLLIN) once the process has exited.
  int fd() const { return fd_; }
  bool Exited() const;

 private:
  ProcessExitWatch(int pid, int fd) : pid_(pid), fd_(fd) {}
  int pid_ = 0;
  int fd_ = -1;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_PROCESS_EXIT_WATCH_H_
