// PinStore: dom0's record of which policy each domain UUID runs with, one
// file per UUID in a root-only directory (xenshmd's --state-dir, by default
// /var/lib/xenshm/pins). xenshm-xl-create writes a domain's pin before it
// creates the domain; xenshmd writes one when it found a policy another way
// (a policy node, a config file), so that the domain's reboot, `xl
// restore` or migration in, all of which keep the UUID, gets the same
// rules. Files survive xenshmd restarts and host reboots (xendomains
// restores saved domains at boot).
//
// A pin file, at most kMaxPinBytes:
//   xenshm-pin 1
//   name=camera
//   origin=xenshm-xl-create camera.cfg
//   xenshm-policy 1          <- policy_codec.h's text, to the end
//   allow=cam*<TAB>camera.cfg line 4
// Files are written whole (a temporary file renamed over the old one) and
// read as untrusted text: a file that does not parse is reported, not used.
#ifndef XENSHM_BACKEND_POLICY_PIN_STORE_H_
#define XENSHM_BACKEND_POLICY_PIN_STORE_H_

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/policy/policy_resolver.h"
#include "base/status.h"
#include "base/uuid.h"

namespace xenshm::policy {

inline constexpr std::string_view kPinHeader = "xenshm-pin 1";
inline constexpr std::string_view kStandardPinDirectory =
    "/var/lib/xenshm/pins";
inline constexpr size_t kMaxPinBytes = 4096;
// The most pins kept; writing one more drops the oldest (pins are made by
// dom0's domain starts, never by guests, so this is bookkeeping, not
// defence).
inline constexpr size_t kMaxPins = 1024;
inline constexpr size_t kMaxDomainNameLength = 64;

// A domain name as a pin stores it: 1..kMaxDomainNameLength printable ASCII
// bytes, no '/' or '\\'.
bool IsPinnableDomainName(std::string_view text);

// The file text of `pin`; kInvalidArgument when a field is out of bounds.
Result<std::string> EncodePin(const PinnedPolicy& pin);
// The pin in `text` (its uuid is not in the text: the caller sets it from
// the file name); kInvalidArgument with the line that is wrong.
Result<PinnedPolicy> DecodePin(std::string_view text);

class PinStore {
 public:
  explicit PinStore(std::string directory);

  // The pin of `uuid`; nullopt if none. kInvalidArgument for a bad file.
  Result<std::optional<PinnedPolicy>> Read(std::string_view uuid) const;
  // Writes `pin` (creating the directory, mode 0700) and removes every
  // other pin with the same name.
  Status Write(const PinnedPolicy& pin) const;
  Status Remove(std::string_view uuid) const;
  // Every readable pin; `on_bad` hears of each file that is not.
  std::vector<PinnedPolicy> List(
      const std::function<void(const std::string&)>& on_bad = {}) const;
  const std::string& directory() const { return directory_; }

 private:
  std::string PathOf(std::string_view uuid) const;
  std::string directory_;
};

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_PIN_STORE_H_
