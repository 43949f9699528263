#include "backend/service/stderr_log.h"

#include <sys/stat.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "base/numbers.h"

namespace xenshm::service {

bool JournalStreamNames(std::string_view journal_stream, uint64_t device,
                        uint64_t inode) {
  const size_t colon = journal_stream.find(':');
  if (colon == std::string_view::npos) return false;
  auto dev = ParseDecimal(journal_stream.substr(0, colon), UINT64_MAX,
                          "JOURNAL_STREAM device");
  auto ino = ParseDecimal(journal_stream.substr(colon + 1), UINT64_MAX,
                          "JOURNAL_STREAM inode");
  return dev && ino && *dev == device && *ino == inode;
}

LogSink LogSinkOf(int fd, const char* journal_stream) {
  if (journal_stream == nullptr) return LogSink::kPlain;
  struct stat st {};
  if (fstat(fd, &st) != 0) return LogSink::kPlain;
  return JournalStreamNames(journal_stream, static_cast<uint64_t>(st.st_dev),
                            static_cast<uint64_t>(st.st_ino))
             ? LogSink::kJournal
             : LogSink::kPlain;
}

std::string FormatLogLine(LogSink sink, backend::LogPriority priority,
                          std::string_view message) {
  std::string out;
  if (sink == LogSink::kPlain) {
    out.reserve(message.size() + 10);
    out.append("xenshmd: ").append(message).push_back('\n');
    return out;
  }
  const std::string prefix =
      "<" + std::to_string(static_cast<int>(priority)) + ">";
  for (;;) {
    const size_t newline = message.find('\n');
    out.append(prefix).append(message.substr(0, newline)).push_back('\n');
    if (newline == std::string_view::npos) break;
    message.remove_prefix(newline + 1);
    if (message.empty()) break;  // a trailing newline ends the message
  }
  return out;
}

}  // namespace xenshm::service
