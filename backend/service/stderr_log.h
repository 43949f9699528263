// How xenshmd writes a log line to stderr: plain "xenshmd: ..." lines on a
// terminal or a file, and "<N>..." lines when stderr is the journal.
//
// systemd connects a service's stderr to journald and sets $JOURNAL_STREAM
// to "DEVICE:INODE" (decimal) of that stream. A program that finds its own
// stderr to be that stream (same device and inode by fstat(2), as
// sd_journal_stream_fd(3) and sd-daemon(3) describe) may start each line
// with a syslog priority in angle brackets, "<3>" for an error, which
// journald files as the line's priority and strips. journald already names
// the program, so journal lines carry no "xenshmd: " prefix of their own.
// A child that inherits $JOURNAL_STREAM with its stderr redirected elsewhere
// sees a different inode and keeps the plain lines.
#ifndef XENSHM_BACKEND_SERVICE_STDERR_LOG_H_
#define XENSHM_BACKEND_SERVICE_STDERR_LOG_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "backend/core/log_priority.h"

namespace xenshm::service {

enum class LogSink {
  kPlain,    // "xenshmd: LINE"
  kJournal,  // "<N>LINE", N the syslog priority
};

// Whether `journal_stream` (the value of $JOURNAL_STREAM) is exactly
// "DEVICE:INODE" in decimal for this device and inode.
bool JournalStreamNames(std::string_view journal_stream, uint64_t device,
                        uint64_t inode);

// kJournal if `fd` is the stream `journal_stream` names (nullptr: the
// variable is unset), else kPlain; kPlain as well if fstat(fd) fails.
LogSink LogSinkOf(int fd, const char* journal_stream);

// One log line as xenshmd writes it, newline included. In the journal every
// line of a multi-line message gets the priority, so none is filed as
// journald's default (info); plain lines are "xenshmd: " and the message.
std::string FormatLogLine(LogSink sink, backend::LogPriority priority,
                          std::string_view message);

}  // namespace xenshm::service

#endif  // XENSHM_BACKEND_SERVICE_STDERR_LOG_H_
