#include "backend/core/process_exit_watch.h"

#include <poll.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>

#include "base/numbers.h"

namespace xenshm::backend {

Result<uint64_t> ProcessStartTime(int pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) {
    return Error(Code::kNotFound,
                 "process " + std::to_string(pid) + " is gone");
  }
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so
  // count fields after the last ')'; starttime is field 22, the 20th then.
  const size_t end_of_comm = line.rfind(')');
  if (end_of_comm == std::string::npos) {
    return Error(Code::kIoError,
                 "unreadable /proc/" + std::to_string(pid) + "/stat");
  }
  std::istringstream fields(line.substr(end_of_comm + 1));
  std::string field;
  for (int i = 0; i < 20 && fields >> field; ++i) {
  }
  auto started = ParseDecimal(field, UINT64_MAX, "process start time");
  if (!started) return std::unexpected(started.error());
  return *started;
}

Result<ProcessExitWatch> ProcessExitWatch::Open(
    int pid, std::optional<uint64_t> started) {
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
  // Read after the pidfd is open: if the pid was reused before, the time is
  // the new process's; a process that exits now leaves the pidfd readable.
  auto now_started = ProcessStartTime(pid);
  if (!now_started) {
    close(fd);
    return std::unexpected(now_started.error());
  }
  if (started && *started != *now_started) {
    close(fd);
    return Error(Code::kNotFound, "process " + std::to_string(pid) +
                                      " has exited (its pid names another "
                                      "process now)");
  }
  return ProcessExitWatch(pid, fd, *now_started);
}

ProcessExitWatch::ProcessExitWatch(ProcessExitWatch&& other) noexcept
    : pid_(other.pid_),
      fd_(std::exchange(other.fd_, -1)),
      started_(other.started_) {}

ProcessExitWatch& ProcessExitWatch::operator=(
    ProcessExitWatch&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) close(fd_);
    pid_ = other.pid_;
    fd_ = std::exchange(other.fd_, -1);
    started_ = other.started_;
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
