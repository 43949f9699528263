// One item of a `xenshm = [ ... ]` stanza, parsed and validated alone.
//
// Syntax (docs/policy.md has examples). Spaces and tabs around `,` and `=`
// are ignored; keys are lower case.
//   allow=GLOB            region names this domain may use
//   deny=GLOB             region names it may not use
//   ro=GLOB               regions it may attach read-only only
//   groups=G[,G...]       the groups it belongs to (at most 16)
//   gid=G                 group of the regions it creates (one of groups)
//   mode=OCTAL            mode of regions it creates on attach (default 0666)
//   umask=OCTAL           cleared from every mode it creates (default 000)
//   create=NAME,size=SIZE[,mode=OCTAL][,gid=G]
//                         a region created when the domain starts
// GLOB: 1..128 bytes of region-name characters and the glob characters
// `*?[]!^`, brackets balanced. SIZE: decimal bytes, or with a K, M or G
// suffix (binary units), 1 byte..1 GiB. G: 1..32 bytes of [A-Za-z0-9_-],
// not starting with '-'.
#ifndef XENSHM_BACKEND_POLICY_STANZA_ITEM_H_
#define XENSHM_BACKEND_POLICY_STANZA_ITEM_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace xenshm::policy {

inline constexpr size_t kMaxItemLength = 256;
inline constexpr size_t kMaxPatternLength = 128;
inline constexpr size_t kMaxGroupNameLength = 32;
inline constexpr size_t kMaxGroups = 16;

enum class ItemKind {
  kAllow,
  kDeny,
  kReadOnly,
  kGroups,
  kGid,
  kMode,
  kUmask,
  kCreate,
};

struct StanzaItem {
  ItemKind kind = ItemKind::kAllow;
  std::string pattern;              // allow, deny, ro
  std::vector<std::string> groups;  // groups
  std::string group;                // gid; create's gid (empty if absent)
  uint32_t octal = 0;               // mode, umask; create's mode if has_mode
  bool has_mode = false;            // create only
  std::string name;                 // create
  uint64_t size = 0;                // create
};

// The key as written ("allow", "ro", "create", ...).
std::string_view ItemKey(ItemKind kind);

// kInvalidArgument with the reason (without location) on a bad item.
Result<StanzaItem> ParseStanzaItem(std::string_view text);

// The item's normal form, which ParseStanzaItem reads back to an equal item:
// no spaces, sizes in bytes, modes as four octal digits.
std::string FormatStanzaItem(const StanzaItem& item);

Result<std::string> ParseGlob(std::string_view text);
Result<std::string> ParseGroupName(std::string_view text);
// Bytes with an optional K/M/G suffix, 1..kMaxRegionBytes.
Result<uint64_t> ParseRegionSize(std::string_view text);

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_STANZA_ITEM_H_
