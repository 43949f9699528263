#include "backend/core/process_exit_watch.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace xenshm::backend {

Result<ProcessExitWatch> ProcessExitWatch::Open(int pid) {
  // glibc 2.36 has no pidfd_open wrapper; the system call is Linux 5.3+.
  const int fd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0) {
    if (errno == ESRCH) {
      return Error(Code::kNotFound,
                   "process " + std::to_string(pid) + " has exited");
    }
    return Error(
        StatusFromErrno(errno, "pidfd_open of process " + std::to_string(pid)));
  }
  return ProcessExitWatch(pid, fd);
}

ProcessExitWatch::ProcessExitWatch(ProcessExitWatch&& other) noexcept
    : pid_(other.pid_), fd_(std::exchange(other.fd_, -1)) {}

ProcessExitWatch& ProcessExitWatch::operator=(
    ProcessExitWatch&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    pid_ = other.pid_;
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

ProcessExitWatch::~ProcessExitWatch() {
  if (fd_ >= 0) close(fd_);
}

bool ProcessExitWatch::Exited() const {
  pollfd ready{fd_, POLLIN, 0};
  return poll(&ready, 1, 0) == 1;
}

}  // namespace xenshm::backend
