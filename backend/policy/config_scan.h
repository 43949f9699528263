// ConfigScan: the stanza of a domain started by plain `xl create FILE` or
// by xendomains (which runs `xl create` on every file of /etc/xen/auto),
// found by the domain's name among the xl config files of a few directories
// (by default kStandardConfigDirectories). Used only when neither a policy
// node nor a pin names the domain (policy_resolver.h).
//
// Only files an attacker cannot have written count: regular files (symlinks
// followed, as Debian links /etc/xen/auto entries to ../NAME.cfg) owned by
// root (or by the user running xenshmd) and writable by nobody else; others
// are skipped and logged. A file libxlutil cannot parse is skipped (xl
// could not have started a domain from it); a file of the right name whose
// stanza is bad is an error, and so are two files of one name whose
// stanzas differ: the domain then gets no access, never a guess.
#ifndef XENSHM_BACKEND_POLICY_CONFIG_SCAN_H_
#define XENSHM_BACKEND_POLICY_CONFIG_SCAN_H_

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "backend/policy/policy_resolver.h"
#include "backend/policy/stanza.h"
#include "base/status.h"

namespace xenshm::policy {

inline const std::vector<std::string>& StandardConfigDirectories() {
  static const std::vector<std::string> directories = {"/etc/xen/auto",
                                                       "/etc/xen"};
  return directories;
}
// At most this many files are read per directory.
inline constexpr size_t kMaxConfigFilesPerDirectory = 256;

class ConfigScan {
 public:
  ConfigScan(std::vector<std::string> directories, StanzaLimits limits,
             std::function<void(const std::string&)> log = {});
  // The stanza of the config named `name`; nullopt when no file has that
  // name, or the file has no stanza.
  Result<std::optional<FoundPolicy>> Find(const std::string& name) const;

 private:
  std::vector<std::string> directories_;
  StanzaLimits limits_;
  std::function<void(const std::string&)> log_;
};

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_CONFIG_SCAN_H_
