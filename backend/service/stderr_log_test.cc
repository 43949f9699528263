#include "backend/service/stderr_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "gtest/gtest.h"

namespace xenshm::service {
namespace {

using backend::LogPriority;

TEST(JournalStreamNamesTest, MatchesExactlyDeviceColonInode) {
  EXPECT_TRUE(JournalStreamNames("8:306630", 8, 306630));
  EXPECT_TRUE(JournalStreamNames("0:1", 0, 1));
  EXPECT_TRUE(JournalStreamNames("18446744073709551615:2", UINT64_MAX, 2));
}

TEST(JournalStreamNamesTest, RefusesOtherStreamsAndMalformedValues) {
  EXPECT_FALSE(JournalStreamNames("8:306631", 8, 306630));  // other inode
  EXPECT_FALSE(JournalStreamNames("9:306630", 8, 306630));  // other device
  EXPECT_FALSE(JournalStreamNames("306630:8", 8, 306630));  // swapped
  EXPECT_FALSE(JournalStreamNames("", 8, 306630));
  EXPECT_FALSE(JournalStreamNames("8", 8, 306630));
  EXPECT_FALSE(JournalStreamNames("8:", 8, 306630));
  EXPECT_FALSE(JournalStreamNames(":306630", 8, 306630));
  EXPECT_FALSE(JournalStreamNames("8:306630:1", 8, 306630));
  EXPECT_FALSE(JournalStreamNames("8:306630 ", 8, 306630));
  EXPECT_FALSE(JournalStreamNames("8:0x4ab06", 8, 306630));
  EXPECT_FALSE(JournalStreamNames("-8:306630", 8, 306630));
}

class LogSinkOfTest : public testing::Test {
 protected:
  void SetUp() override {
    const char* dir = std::getenv("TEST_TMPDIR");
    path_ = std::string(dir ? dir : "/tmp") + "/stderr_log_test.XXXXXX";
    fd_ = mkstemp(path_.data());
    ASSERT_GE(fd_, 0);
    struct stat st {};
    ASSERT_EQ(fstat(fd_, &st), 0);
    stream_ = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
    other_ = std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino + 1);
  }
  void TearDown() override {
    if (fd_ >= 0) close(fd_);
    unlink(path_.c_str());
  }

  std::string path_;
  int fd_ = -1;
  std::string stream_;  // "dev:ino" of fd_
  std::string other_;   // the same device, another inode
};

TEST_F(LogSinkOfTest, JournalWhenTheFdIsTheNamedStream) {
  EXPECT_EQ(LogSinkOf(fd_, stream_.c_str()), LogSink::kJournal);
}

TEST_F(LogSinkOfTest, PlainWhenUnsetOrAnotherStream) {
  EXPECT_EQ(LogSinkOf(fd_, nullptr), LogSink::kPlain);
  EXPECT_EQ(LogSinkOf(fd_, ""), LogSink::kPlain);
  EXPECT_EQ(LogSinkOf(fd_, other_.c_str()), LogSink::kPlain);
}

TEST_F(LogSinkOfTest, PlainWhenTheFdIsClosed) {
  close(fd_);
  const int closed = fd_;
  fd_ = -1;
  EXPECT_EQ(LogSinkOf(closed, stream_.c_str()), LogSink::kPlain);
}

TEST(FormatLogLineTest, PlainLinesAreUnchanged) {
  EXPECT_EQ(FormatLogLine(LogSink::kPlain, LogPriority::kError, "fatal: x"),
            "xenshmd: fatal: x\n");
  EXPECT_EQ(FormatLogLine(LogSink::kPlain, LogPriority::kInfo, "attached"),
            "xenshmd: attached\n");
}

TEST(FormatLogLineTest, JournalLinesCarryThePriorityAndNoProgramName) {
  EXPECT_EQ(FormatLogLine(LogSink::kJournal, LogPriority::kError, "fatal: x"),
            "<3>fatal: x\n");
  EXPECT_EQ(FormatLogLine(LogSink::kJournal, LogPriority::kWarning, "w"),
            "<4>w\n");
  EXPECT_EQ(FormatLogLine(LogSink::kJournal, LogPriority::kNotice, "n"),
            "<5>n\n");
  EXPECT_EQ(FormatLogLine(LogSink::kJournal, LogPriority::kInfo, "i"),
            "<6>i\n");
}

TEST(FormatLogLineTest, EveryJournalLineOfAMessageHasThePriority) {
  EXPECT_EQ(FormatLogLine(LogSink::kJournal, LogPriority::kNotice, "a\nb"),
            "<5>a\n<5>b\n");
  EXPECT_EQ(FormatLogLine(LogSink::kJournal, LogPriority::kNotice, "a\n"),
            "<5>a\n");
  EXPECT_EQ(FormatLogLine(LogSink::kJournal, LogPriority::kNotice, ""),
            "<5>\n");
}

}  // namespace
}  // namespace xenshm::service
