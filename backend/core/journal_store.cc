#include "backend/core/journal_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace xenshm::backend {
namespace {

// Past any journal xenshmd writes (a line per region and per peer).
constexpr size_t kMaxJournalBytes = 16 << 20;

}  // namespace

Result<std::optional<std::string>> FileJournalStore::Load() {
  const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT) return std::optional<std::string>();
    return Error(StatusFromErrno(errno, "open " + path_));
  }
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) || info.st_uid != 0 ||
      (info.st_mode & 0077) != 0) {
    close(fd);
    return Error(Code::kNoPermission,
                 path_ +
                     " is not a root-only file: not trusted as xenshmd's "
                     "journal");
  }
  std::string text;
  char buffer[65536];
  while (true) {
    const ssize_t got = read(fd, buffer, sizeof(buffer));
    if (got < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      close(fd);
      return Error(StatusFromErrno(error, "read " + path_));
    }
    if (got == 0) break;
    text.append(buffer, static_cast<size_t>(got));
    if (text.size() > kMaxJournalBytes) {
      close(fd);
      return Error(Code::kInvalidArgument, path_ + " is too large");
    }
  }
  close(fd);
  return std::optional<std::string>(std::move(text));
}

Status FileJournalStore::Save(const std::string& text) {
  const std::filesystem::path path(path_);
  std::error_code ignored;
  if (path.has_parent_path() &&
      std::filesystem::create_directories(path.parent_path(), ignored)) {
    (void)chmod(path.parent_path().c_str(), 0700);
  }
  const std::string temporary = path_ + ".new";
  const int fd =
      open(temporary.c_str(),
           O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return StatusFromErrno(errno, "create " + temporary);
  size_t written = 0;
  while (written < text.size()) {
    const ssize_t put = write(fd, text.data() + written, text.size() - written);
    if (put < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      close(fd);
      return StatusFromErrno(error, "write " + temporary);
    }
    written += static_cast<size_t>(put);
  }
  // On tmpfs fsync costs nothing; elsewhere it keeps rename's promise.
  if (fsync(fd) != 0 || close(fd) != 0) {
    return StatusFromErrno(errno, "write " + temporary);
  }
  if (rename(temporary.c_str(), path_.c_str()) != 0) {
    return StatusFromErrno(errno, "rename " + temporary);
  }
  return Status();
}

Status FileJournalStore::Remove() {
  if (unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return StatusFromErrno(errno, "remove " + path_);
  }
  return Status();
}

Result<std::optional<std::string>> MemoryJournalStore::Load() {
  std::lock_guard lock(mu_);
  return text_;
}

Status MemoryJournalStore::Save(const std::string& text) {
  if (before_save) XENSHM_RETURN_IF_ERROR(before_save());
  std::lock_guard lock(mu_);
  text_ = text;
  return Status();
}

Status MemoryJournalStore::Remove() {
  std::lock_guard lock(mu_);
  text_.reset();
  return Status();
}

std::optional<std::string> MemoryJournalStore::text() const {
  std::lock_guard lock(mu_);
  return text_;
}

void MemoryJournalStore::set_text(std::optional<std::string> text) {
  std::lock_guard lock(mu_);
  text_ = std::move(text);
}

}  // namespace xenshm::backend
