// WakeFd: the eventfd edge helpers behind the fake's pollable fds (xenstore
// watches and event channels), so real threads blocked in poll() wake.
#ifndef XENSHM_TESTS_FAKE_HYPERVISOR_WAKE_FD_H_
#define XENSHM_TESTS_FAKE_HYPERVISOR_WAKE_FD_H_

#include <unistd.h>

#include <cstdint>

namespace xenshm::fake {

// Makes the eventfd readable. Called once per empty->non-empty edge, so its
// counter cannot overflow.
inline void SignalFd(int fd) {
  uint64_t one = 1;
  if (write(fd, &one, sizeof(one)) < 0) {
    // Cannot fail at one write per edge; nothing to do if it did.
  }
}

// Makes the eventfd unreadable again.
inline void DrainFd(int fd) {
  uint64_t count;
  if (read(fd, &count, sizeof(count)) < 0) {
    // EAGAIN: already drained.
  }
}

}  // namespace xenshm::fake

#endif  // XENSHM_TESTS_FAKE_HYPERVISOR_WAKE_FD_H_
