// JournalStore: where xenshmd keeps its StateJournal between two runs.
//
// FileJournalStore writes a root-only file atomically (a new file, then
// rename), so a daemon killed mid-write leaves the old journal or the new
// one, never half of one. Its default place is /run/xenshm: a tmpfs that
// goes with a reboot, exactly as the kernel module's regions do.
// MemoryJournalStore is the same for tests (it outlives the Daemon that
// wrote it, like the file).
#ifndef XENSHM_BACKEND_CORE_JOURNAL_STORE_H_
#define XENSHM_BACKEND_CORE_JOURNAL_STORE_H_

#include <functional>
#include <mutex>
#include <optional>
#include <string>

#include "base/status.h"

namespace xenshm::backend {

inline constexpr std::string_view kDefaultJournalPath = "/run/xenshm/journal";

class JournalStore {
 public:
  virtual ~JournalStore() = default;
  // The last saved text; nullopt when there is none.
  virtual Result<std::optional<std::string>> Load() = 0;
  virtual Status Save(const std::string& text) = 0;
  virtual Status Remove() = 0;
  // Where it is, for messages.
  virtual std::string Where() const = 0;
};

class FileJournalStore : public JournalStore {
 public:
  // Its directory is created (0700) on the first Save.
  explicit FileJournalStore(std::string path) : path_(std::move(path)) {}
  Result<std::optional<std::string>> Load() override;
  Status Save(const std::string& text) override;
  Status Remove() override;
  std::string Where() const override { return path_; }

 private:
  std::string path_;
};

// Thread-safe; `before_save`, when set, runs first in every Save and may
// fail it (tests inject a crash there).
class MemoryJournalStore : public JournalStore {
 public:
  Result<std::optional<std::string>> Load() override;
  Status Save(const std::string& text) override;
  Status Remove() override;
  std::string Where() const override { return "memory"; }

  std::optional<std::string> text() const;
  void set_text(std::optional<std::string> text);
  std::function<Status()> before_save;

 private:
  mutable std::mutex mu_;
  std::optional<std::string> text_;  // GUARDED_BY(mu_)
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_JOURNAL_STORE_H_
