// LivenessWatcher: notices that whoever holds an attachment is gone when no
// xenstore change says so.
//  - dom0 programs map through the kernel module, which sends no
//    unmap-notify: their request names their pid, and the attachment's
//    ProcessExitWatch (pidfd) becomes readable when the process exits.
//  - A guest's process that dies attached is unmapped by the kernel, and
//    gntdev's unmap-notify detaches it; its request stays Connected since
//    nobody is left to withdraw it. A live library says Closing at once, so
//    a frontend still Connected `orphan_grace` after the notify is a dead
//    process's, and its request is withdrawn to free the handle and the
//    guest's xenstore quota.
//  - A request that is not joined and Connected within `request_timeout`
//    is reaped: a guest may not make dom0 hold an answer, a grant or a
//    pending slot for a request it never completes.
// It owns the two periods; the deadlines and watches are in the records.
#ifndef XENSHM_BACKEND_CORE_LIVENESS_WATCHER_H_
#define XENSHM_BACKEND_CORE_LIVENESS_WATCHER_H_

#include <poll.h>

#include <chrono>
#include <vector>

#include "backend/core/attachment_table.h"

namespace xenshm::backend {

class LivenessWatcher {
 public:
  using Clock = std::chrono::steady_clock;

  LivenessWatcher(std::chrono::milliseconds orphan_grace,
                  std::chrono::milliseconds request_timeout)
      : orphan_grace_(orphan_grace), request_timeout_(request_timeout) {}

  // Starts the grace of an attachment that unmap-notify detached.
  void StartGrace(Attachment& record, Clock::time_point now) const {
    record.orphan_deadline = now + orphan_grace_;
  }
  // Starts the clock of a request xenshmd has just seen.
  void StartRequestClock(Attachment& record, Clock::time_point now) const {
    record.request_deadline = now + request_timeout_;
  }
  // Appends a POLLIN entry per exit watch to `fds`; returns their keys in
  // the same order.
  std::vector<AttachmentKey> AddExitWatches(const AttachmentTable& table,
                                            std::vector<pollfd>& fds) const;
  // A poll timeout: milliseconds until the next grace or request deadline
  // ends (rounded up), -1 when none is running.
  int MillisecondsToNextDeadline(const AttachmentTable& table,
                                 Clock::time_point now) const;
  // The attachments whose grace has ended; their deadlines are cleared.
  std::vector<AttachmentKey> TakeExpired(AttachmentTable& table,
                                         Clock::time_point now) const;
  // The requests whose time ran out; their deadlines are cleared.
  std::vector<AttachmentKey> TakeExpiredRequests(AttachmentTable& table,
                                                 Clock::time_point now) const;

 private:
  std::chrono::milliseconds orphan_grace_;
  std::chrono::milliseconds request_timeout_;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_LIVENESS_WATCHER_H_
