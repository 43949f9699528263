#include "backend/core/process_exit_watch.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

namespace xenshm::backend {
namespace {

pid_t SpawnSleeper() {
  pid_t pid = 0;
  char sleep[] = "sleep";
  char seconds[] = "60";
  char* argv[] = {sleep, seconds, nullptr};
  EXPECT_EQ(posix_spawnp(&pid, "sleep", nullptr, nullptr, argv, environ), 0);
  return pid;
}

TEST(ProcessExitWatch, BecomesReadableWhenTheProcessExits) {
  const pid_t child = SpawnSleeper();
  auto watch = ProcessExitWatch::Open(child);
  ASSERT_TRUE(watch) << watch.error().ToString();
  EXPECT_EQ(watch->pid(), child);
  EXPECT_FALSE(watch->Exited());
  ASSERT_EQ(kill(child, SIGKILL), 0);
  pollfd ready{watch->fd(), POLLIN, 0};
  EXPECT_EQ(poll(&ready, 1, 5000), 1);
  EXPECT_TRUE(watch->Exited());
  waitpid(child, nullptr, 0);
}

TEST(ProcessExitWatch, AGoneProcessIsNotFound) {
  const pid_t child = SpawnSleeper();
  ASSERT_EQ(kill(child, SIGKILL), 0);
  waitpid(child, nullptr, 0);  // reaped: the pid names nobody now
  auto watch = ProcessExitWatch::Open(child);
  ASSERT_FALSE(watch);
  EXPECT_EQ(watch.error().code(), Code::kNotFound);
}

TEST(ProcessExitWatch, KnowsWhenItsProcessStarted) {
  const pid_t child = SpawnSleeper();
  auto watch = ProcessExitWatch::Open(child);
  ASSERT_TRUE(watch);
  auto self = ProcessStartTime(getpid());
  ASSERT_TRUE(self) << self.error().ToString();
  // The child started after this test process did.
  EXPECT_GE(watch->started(), *self);
  EXPECT_GT(watch->started(), 0u);
  // The same process again: found.
  EXPECT_TRUE(ProcessExitWatch::Open(child, watch->started()));
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

TEST(ProcessExitWatch, APidNamingAnotherProcessIsNotFound) {
  // What a restarted xenshmd sees when the journal's process exited and
  // its pid went to another: the start time differs.
  auto self = ProcessStartTime(getpid());
  ASSERT_TRUE(self);
  auto watch = ProcessExitWatch::Open(getpid(), *self + 1);
  ASSERT_FALSE(watch);
  EXPECT_EQ(watch.error().code(), Code::kNotFound);
  EXPECT_TRUE(ProcessExitWatch::Open(getpid(), *self));
}

TEST(ProcessExitWatch, MovesOwnTheFd) {
  const pid_t child = SpawnSleeper();
  auto watch = ProcessExitWatch::Open(child);
  ASSERT_TRUE(watch);
  const int fd = watch->fd();
  ProcessExitWatch moved = std::move(*watch);
  EXPECT_EQ(moved.fd(), fd);
  EXPECT_EQ(watch->fd(), -1);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
}

}  // namespace
}  // namespace xenshm::backend
