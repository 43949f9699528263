#include "backend/core/liveness_watcher.h"

#include <algorithm>
#include <limits>

namespace xenshm::backend {

std::vector<AttachmentKey> LivenessWatcher::AddExitWatches(
    const AttachmentTable& table, std::vector<pollfd>& fds) const {
  std::vector<AttachmentKey> keys;
  for (const auto& [key, record] : table.all()) {
    if (!record.exit_watch) continue;
    fds.push_back({record.exit_watch->fd(), POLLIN, 0});
    keys.push_back(key);
  }
  return keys;
}

int LivenessWatcher::MillisecondsToNextDeadline(const AttachmentTable& table,
                                                Clock::time_point now) const {
  std::optional<Clock::duration> next;
  auto consider = [&](const std::optional<Clock::time_point>& deadline) {
    if (!deadline) return;
    const Clock::duration left =
        std::max(Clock::duration::zero(), *deadline - now);
    next = next ? std::min(*next, left) : left;
  };
  for (const auto& [key, record] : table.all()) {
    consider(record.orphan_deadline);
    consider(record.request_deadline);
  }
  if (!next) return -1;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*next).count();
  return static_cast<int>(
      std::min<int64_t>(ms, std::numeric_limits<int>::max()));
}

std::vector<AttachmentKey> LivenessWatcher::TakeExpired(
    AttachmentTable& table, Clock::time_point now) const {
  std::vector<AttachmentKey> expired;
  for (auto& [key, record] : table.all()) {
    if (record.orphan_deadline && *record.orphan_deadline <= now) {
      record.orphan_deadline.reset();
      expired.push_back(key);
    }
  }
  return expired;
}

std::vector<AttachmentKey> LivenessWatcher::TakeExpiredRequests(
    AttachmentTable& table, Clock::time_point now) const {
  std::vector<AttachmentKey> expired;
  for (auto& [key, record] : table.all()) {
    if (record.request_deadline && *record.request_deadline <= now) {
      record.request_deadline.reset();
      expired.push_back(key);
    }
  }
  return expired;
}

}  // namespace xenshm::backend
