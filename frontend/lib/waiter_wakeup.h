// WaiterWakeup: an eventfd that wakes threads blocked in Attachment::Wait
// when another thread's call read the event they were polling for (the
// event is then gone from the event-channel fd, the news is not).
#ifndef XENSHM_FRONTEND_LIB_WAITER_WAKEUP_H_
#define XENSHM_FRONTEND_LIB_WAITER_WAKEUP_H_

#include <memory>

#include "base/status.h"

namespace xenshm {

class WaiterWakeup {
 public:
  static Result<std::unique_ptr<WaiterWakeup>> Create();
  ~WaiterWakeup();
  WaiterWakeup(const WaiterWakeup&) = delete;
  WaiterWakeup& operator=(const WaiterWakeup&) = delete;

  // Readable after Wake until Drain.
  int fd() const { return fd_; }
  void Wake();
  void Drain();

 private:
  explicit WaiterWakeup(int fd) : fd_(fd) {}
  const int fd_;
};

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_LIB_WAITER_WAKEUP_H_
