// Reading xenshm stanzas from xl config files with Xen's own parser
// (libxlutil), so a stanza means exactly what xl would read.
//
// A guest's stanza is the list setting `xenshm = [ "...", ... ]` in its xl
// config (stanza.h has the item syntax). dom0's policy file
// (conventionally /etc/xenshm/policy.cfg) uses the same syntax:
//   groups  = [ "video", "audio" ]   the only group names stanzas may use
//   default = [ ... ]                 for domains started without a stanza
//                                     (no create=: a region cannot belong
//                                     to every such domain)
//   xenshm  = [ ... ]                 for dom0's own programs
// All three are optional; without `default` a guest without a stanza may
// attach nothing, without `xenshm` neither may dom0's programs
// (evaluator.h). backend/policy/policy.cfg.default is the file xenshm
// ships. Every error is "FILE:LINE: 'item': reason"
// (LINE found by FindSettingLines below; libxlutil does not report item
// lines).
//
// The only part of the policy that links libxlutil (its own Bazel target,
// :xl_config): xenshmd's evaluator and the xenstore codec do not need it.
#ifndef XENSHM_BACKEND_POLICY_XL_CONFIG_H_
#define XENSHM_BACKEND_POLICY_XL_CONFIG_H_

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/policy/stanza.h"
#include "base/status.h"

namespace xenshm::policy {

inline constexpr std::string_view kStanzaKey = "xenshm";
inline constexpr std::string_view kDefaultKey = "default";
inline constexpr std::string_view kGroupsKey = "groups";
// Config files larger than this are refused before parsing.
inline constexpr size_t kMaxConfigBytes = 1 << 20;

// The policy in xl config `text` (named `file` in messages), or nullopt when
// it has no `xenshm` setting. `extra_lines` are appended as `xl create`
// appends its key=value arguments; items written there are located as
// "command line N". kInvalidArgument with FILE:LINE and the reason on a bad
// file or stanza.
Result<std::optional<DomainPolicy>> ParseGuestConfig(
    std::string_view text, std::string_view file,
    const StanzaLimits& limits = {},
    std::span<const std::string> extra_lines = {});
// The same for a file on disk; kNotFound/kIoError if it cannot be read.
Result<std::optional<DomainPolicy>> ReadGuestConfig(
    const std::string& path, const StanzaLimits& limits = {},
    std::span<const std::string> extra_lines = {});

// The string setting `key` (e.g. "name") of an xl config, as xl reads it
// with `extra_lines` appended; nullopt when unset or not a string.
Result<std::optional<std::string>> ParseConfigString(
    std::string_view text, std::string_view file, std::string_view key,
    std::span<const std::string> extra_lines = {});

// Dom0Policy::file is `file`.
Result<Dom0Policy> ParseDom0PolicyFile(std::string_view text,
                                       std::string_view file);
Result<Dom0Policy> ReadDom0PolicyFile(const std::string& path);

// The whole of a (small) text file; kNotFound, kIoError, or
// kInvalidArgument past kMaxConfigBytes.
Result<std::string> ReadConfigText(const std::string& path);

// Where a list setting's items were written in an xl config file.
//
// libxlutil returns a list's items but not their lines, so this scans the
// text with the same lexical rules (comments, quoted strings with escapes,
// `=` replacing and `+=` appending) to find the line of each item of the
// setting's final value. It never fails: on text libxlutil would reject, or
// if it loses track, it returns fewer lines and callers fall back to
// "item N".
struct SettingLines {
  int key_line = 0;             // line of the last assignment; 0 if none
  std::vector<int> item_lines;  // 1-based, one per item of the final list
};

SettingLines FindSettingLines(std::string_view text, std::string_view key);

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_XL_CONFIG_H_
