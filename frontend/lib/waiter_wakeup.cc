#include "frontend/lib/waiter_wakeup.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

namespace xenshm {

Result<std::unique_ptr<WaiterWakeup>> WaiterWakeup::Create() {
  const int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return Error(StatusFromErrno(errno, "eventfd for waiters"));
  return std::unique_ptr<WaiterWakeup>(new WaiterWakeup(fd));
}

WaiterWakeup::~WaiterWakeup() { close(fd_); }

void WaiterWakeup::Wake() {
  const uint64_t one = 1;
  // Only EAGAIN (the counter is full, so already readable) can fail here.
  (void)!write(fd_, &one, sizeof(one));
}

void WaiterWakeup::Drain() {
  uint64_t count;
  (void)!read(fd_, &count, sizeof(count));  // EAGAIN: nothing to drain
}

}  // namespace xenshm
