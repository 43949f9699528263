#include "backend/core/liveness_watcher.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

namespace xenshm::backend {
namespace {

using std::chrono::milliseconds;

TEST(LivenessWatcher, NoDeadlineMeansNoTimeout) {
  AttachmentTable table;
  table.Open({1, 0});
  LivenessWatcher watcher(milliseconds(5000), milliseconds(30000));
  EXPECT_EQ(
      watcher.MillisecondsToNextDeadline(table, LivenessWatcher::Clock::now()),
      -1);
}

TEST(LivenessWatcher, TimeoutIsTheNearestGraceAndExpiredOnesAreTakenOnce) {
  AttachmentTable table;
  const auto now = LivenessWatcher::Clock::now();
  LivenessWatcher slow(milliseconds(5000), milliseconds(30000));
  LivenessWatcher fast(milliseconds(200), milliseconds(30000));
  slow.StartGrace(table.Open({1, 0}), now);
  fast.StartGrace(table.Open({2, 0}), now);
  EXPECT_EQ(slow.MillisecondsToNextDeadline(table, now), 200);
  EXPECT_TRUE(slow.TakeExpired(table, now + milliseconds(199)).empty());
  EXPECT_EQ(slow.MillisecondsToNextDeadline(table, now + milliseconds(250)), 0);
  EXPECT_EQ(slow.TakeExpired(table, now + milliseconds(250)),
            (std::vector<AttachmentKey>{{2, 0}}));
  EXPECT_FALSE(table.Find({2, 0})->orphan_deadline);
  EXPECT_TRUE(slow.TakeExpired(table, now + milliseconds(250)).empty());
  EXPECT_EQ(slow.MillisecondsToNextDeadline(table, now + milliseconds(250)),
            4750);
}

TEST(LivenessWatcher, RequestsRunOutOfTimeSeparately) {
  AttachmentTable table;
  const auto now = LivenessWatcher::Clock::now();
  LivenessWatcher watcher(milliseconds(5000), milliseconds(300));
  watcher.StartRequestClock(table.Open({1, 0}), now);
  watcher.StartGrace(table.Open({1, 1}), now);
  EXPECT_EQ(watcher.MillisecondsToNextDeadline(table, now), 300);
  EXPECT_TRUE(watcher.TakeExpired(table, now + milliseconds(400)).empty());
  EXPECT_EQ(watcher.TakeExpiredRequests(table, now + milliseconds(400)),
            (std::vector<AttachmentKey>{{1, 0}}));
  EXPECT_FALSE(table.Find({1, 0})->request_deadline);
  EXPECT_EQ(watcher.MillisecondsToNextDeadline(table, now + milliseconds(400)),
            4600);
}

TEST(LivenessWatcher, ExitWatchesArePolledWithTheirKeys) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  AttachmentTable table;
  table.Open({0, 1});
  table.Open({0, 2}).exit_watch = ProcessExitWatch::Open(child).value();
  LivenessWatcher watcher(milliseconds(5000), milliseconds(30000));
  std::vector<pollfd> fds = {{-1, POLLIN, 0}};
  const auto keys = watcher.AddExitWatches(table, fds);
  ASSERT_EQ(keys, (std::vector<AttachmentKey>{{0, 2}}));
  ASSERT_EQ(fds.size(), 2u);
  EXPECT_EQ(poll(&fds[1], 1, 0), 0);  // alive
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  EXPECT_EQ(poll(&fds[1], 1, 5000), 1);
}

}  // namespace
}  // namespace xenshm::backend
