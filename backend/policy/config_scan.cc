#include "backend/policy/config_scan.h"

#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <utility>

#include "backend/policy/xl_config.h"

namespace xenshm::policy {
namespace {

// Editor backups and dpkg's leftovers are not configs xl was given.
bool LooksLikeConfig(const std::string& file) {
  return !file.empty() && file.front() != '.' && file.back() != '~' &&
         file.find(".dpkg-") == std::string::npos && !file.ends_with(".bak") &&
         !file.ends_with(".save");
}

// Two copies of one stanza differ only in where their rules were written.
DomainPolicy WithoutSources(DomainPolicy policy) {
  for (NameRule& rule : policy.name_rules) rule.source.clear();
  for (ReadOnlyRule& rule : policy.read_only) rule.source.clear();
  for (RegionSpec& spec : policy.pre_created) spec.source.clear();
  return policy;
}

}  // namespace

ConfigScan::ConfigScan(std::vector<std::string> directories,
                       StanzaLimits limits,
                       std::function<void(const std::string&)> log)
    : directories_(std::move(directories)),
      limits_(limits),
      log_(std::move(log)) {}

Result<std::optional<FoundPolicy>> ConfigScan::Find(
    const std::string& name) const {
  std::optional<FoundPolicy> found;
  bool named = false;  // a file of that name exists, stanza or not
  std::string named_file;
  std::set<std::pair<dev_t, ino_t>> seen;
  for (const std::string& directory : directories_) {
    std::error_code error;
    std::filesystem::directory_iterator it(directory, error);
    if (error) continue;
    size_t files = 0;
    for (const auto& entry : it) {
      const std::string file = entry.path().filename().string();
      if (!LooksLikeConfig(file)) continue;
      if (++files > kMaxConfigFilesPerDirectory) break;
      const std::string path = entry.path().string();
      struct stat st;
      if (stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
      if (!seen.insert({st.st_dev, st.st_ino}).second) continue;
      if ((st.st_uid != 0 && st.st_uid != geteuid()) ||
          (st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        if (log_) {
          log_(path +
               ": not used as an xl config: it is not root's, or "
               "others may write it");
        }
        continue;
      }
      auto text = ReadConfigText(path);
      if (!text) continue;
      auto config_name = ParseConfigString(*text, path, "name");
      if (!config_name || !*config_name || **config_name != name) continue;
      auto stanza = ParseGuestConfig(*text, path, limits_);
      if (!stanza) return Error(stanza.error());
      if (named) {
        const bool same =
            (!found && !*stanza) ||
            (found && *stanza &&
             WithoutSources(found->policy) == WithoutSources(**stanza));
        if (!same) {
          return Error(Code::kInvalidArgument,
                       "two xl configs name domain '" + name + "' (" +
                           named_file + ", " + path +
                           ") with different xenshm stanzas");
        }
        continue;
      }
      named = true;
      named_file = path;
      if (*stanza) found = FoundPolicy{std::move(**stanza), path, false};
    }
  }
  return found;
}

}  // namespace xenshm::policy
