// Stanzas: what one domain may do with xenshm regions, as its xl config's
// `xenshm = [ ... ]` (or dom0's policy file) declares it. This is the first
// stage of the policy pipeline:
//
//   item text ──ParseStanzaItem──► StanzaItem ──BuildDomainPolicy──►
//   DomainPolicy ──policy_codec.h──► xenstore ──► evaluator.h (attach
//   decisions, with access_rules.h)
//
// The model is QNX's shmem vdev configuration:
//  - Name rules: `allow`/`deny` shell globs (fnmatch) tried in order; the
//    first match decides. A name no rule matches gets the opposite of the
//    last rule written ("an allow implies a final deny *, and vice versa").
//    No rules at all allow every name (access_rules.h).
//  - Read-only rules: a region matching an `ro` glob may be attached by
//    this domain read-only only.
//  - Regions carry an owner domain, a group and unix-like rw bits for
//    owner/group/other (0640 = owner rw, group r). A domain belongs to
//    `groups`; the regions it creates get group `gid` and mode
//    `mode & ~umask`. Execute bits mean nothing for shared memory and are
//    refused in modes.
//  - Pre-created regions (`create=`) exist from domain start, with the
//    declared size, mode (umask applied) and group, owned by the domain.
//
// Item syntax (docs/policy.md has examples). Spaces and tabs around `,` and
// `=` are ignored; keys are lower case.
//   allow=GLOB            region names this domain may use
//   deny=GLOB             region names it may not use
//   ro=GLOB               regions it may attach read-only only
//   groups=G[,G...]       the groups it belongs to (at most 16)
//   gid=G                 group of the regions it creates (one of groups)
//   mode=OCTAL            mode of regions it creates on attach (default 0666)
//   umask=OCTAL           cleared from every mode it creates (default 000)
//   create=NAME,size=SIZE[,mode=OCTAL][,gid=G]
//                         a region created when the domain starts
//   max-regions=N         quota (backend::DomainQuota): regions it created
//   max-attachments=N     ... attachments it holds at once
//   max-region-memory=SIZE  ... total size of the regions it created
//   max-mapped=SIZE       ... memory granted to it
//   max-pending=N         ... requests not yet answered
//   max-request-rate=N    ... requests acted on per second (burst 2N)
// A quota key not given keeps DomainQuota's default; xenshmd enforces
// them (docs/security.md), this only reads and carries them. N: 0..
// kMaxQuotaCount in decimal; quota SIZEs 0..kMaxQuotaBytes.
// GLOB: 1..128 bytes of region-name characters (schema::IsRegionNameChar)
// and the glob characters `*?[]!^`, brackets balanced. SIZE: 1 byte..1 GiB
// as base/numbers.h's ParseByteSize reads it (bytes, 0x hex bytes, or a
// number with a K, M or G binary suffix). G: 1..32 bytes of [A-Za-z0-9_-],
// not starting with '-'.
//
// Everything here is plain data and pure functions; a stanza is either
// wholly good or refused with the first bad item's location and reason, so a
// domain never starts half-configured.
#ifndef XENSHM_BACKEND_POLICY_STANZA_H_
#define XENSHM_BACKEND_POLICY_STANZA_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/access_policy.h"
#include "base/status.h"

namespace xenshm::policy {

inline constexpr uint32_t kDefaultMode = 0666;
inline constexpr uint32_t kDefaultUmask = 0;
inline constexpr size_t kMaxItemLength = 256;
inline constexpr size_t kMaxPatternLength = 128;
inline constexpr size_t kMaxGroupNameLength = 32;
inline constexpr size_t kMaxGroups = 16;
inline constexpr size_t kMaxItems = 64;
inline constexpr uint64_t kMaxQuotaCount = 4096;
inline constexpr uint64_t kMaxQuotaBytes = uint64_t{64} << 30;

// ---------------------------------------------------------------- the model

// Where a rule was written, for messages ("guest.cfg line 7"); free text,
// may be empty.
using RuleSource = std::string;

enum class NameVerdict { kAllow, kDeny };

struct NameRule {
  NameVerdict verdict = NameVerdict::kAllow;
  std::string pattern;  // fnmatch glob over region names
  RuleSource source;
  friend bool operator==(const NameRule&, const NameRule&) = default;
};

struct ReadOnlyRule {
  std::string pattern;
  RuleSource source;
  friend bool operator==(const ReadOnlyRule&, const ReadOnlyRule&) = default;
};

// A region created when the domain starts (`create=`), as declared.
struct RegionSpec {
  std::string name;
  uint64_t size = 0;             // bytes, 1..schema::kMaxRegionBytes
  uint32_t mode = kDefaultMode;  // as declared; umask is applied at creation
  std::string gid;               // resolved: the item's gid or the domain's
  RuleSource source;
  friend bool operator==(const RegionSpec&, const RegionSpec&) = default;
};

struct DomainPolicy {
  std::vector<NameRule> name_rules;  // in the order written
  std::vector<ReadOnlyRule> read_only;
  std::vector<std::string> groups;  // the domain's groups, as written
  std::string gid;                  // group of regions it creates; "" = none
  uint32_t mode = kDefaultMode;     // mode of regions it creates on attach
  uint32_t umask = kDefaultUmask;
  std::vector<RegionSpec> pre_created;
  backend::DomainQuota quota;  // max-* items; the defaults where not given
  friend bool operator==(const DomainPolicy&, const DomainPolicy&) = default;
};

// Where dom0's policy file lives unless xenshmd and xenshm-xl-create are
// told otherwise (--policy, --policy-file).
inline constexpr std::string_view kStandardPolicyFile =
    "/etc/xenshm/policy.cfg";

// dom0's policy file (xl_config.h reads it). Fail closed: a guest without
// a stanza of its own gets `fallback` or nothing, dom0's programs get `dom0`
// or nothing (evaluator.h).
struct Dom0Policy {
  std::optional<std::set<std::string>> groups;  // the only names stanzas use
  std::optional<DomainPolicy> fallback;  // `default`: domains without stanza
  std::optional<DomainPolicy> dom0;      // `xenshm`: dom0's own programs
  // Where it was read from (or would be: xenshmd's --policy path when the
  // file does not exist), for refusal messages; "" = the standard path.
  std::string file;
};

// ---------------------------------------------------------------- items

enum class ItemKind {
  kAllow,
  kDeny,
  kReadOnly,
  kGroups,
  kGid,
  kMode,
  kUmask,
  kCreate,
  kMaxRegions,
  kMaxAttachments,
  kMaxRegionMemory,
  kMaxMapped,
  kMaxPending,
  kMaxRequestRate,
};

// One item, parsed and validated alone.
struct StanzaItem {
  ItemKind kind = ItemKind::kAllow;
  std::string pattern;              // allow, deny, ro
  std::vector<std::string> groups;  // groups
  std::string group;                // gid; create's gid (empty if absent)
  uint32_t octal = 0;               // mode, umask; create's mode if has_mode
  bool has_mode = false;            // create only
  std::string name;                 // create
  uint64_t size = 0;                // create
  uint64_t limit = 0;               // max-*: a count or bytes
  friend bool operator==(const StanzaItem&, const StanzaItem&) = default;
};

// The key as written ("allow", "ro", "create", "max-mapped", ...).
std::string_view ItemKey(ItemKind kind);
// The max-* keys, in the order the xenstore form writes them.
inline constexpr ItemKind kQuotaItems[] = {
    ItemKind::kMaxRegions,      ItemKind::kMaxAttachments,
    ItemKind::kMaxRegionMemory, ItemKind::kMaxMapped,
    ItemKind::kMaxPending,      ItemKind::kMaxRequestRate};

// kInvalidArgument with the reason (without location) on a bad item.
Result<StanzaItem> ParseStanzaItem(std::string_view text);

// The item's normal form, which ParseStanzaItem reads back to an equal item:
// no spaces, sizes in decimal bytes, modes as four octal digits.
std::string FormatStanzaItem(const StanzaItem& item);

Result<std::string> ParseGlob(std::string_view text);
Result<std::string> ParseGroupName(std::string_view text);
// A region size: ParseByteSize's syntax, 1..kMaxRegionBytes.
Result<uint64_t> ParseRegionSize(std::string_view text);
// A mode: 1..4 octal digits, only r/w bits (a subset of 0666).
// kInvalidArgument naming the reason otherwise.
Result<uint32_t> ParseMode(std::string_view text);
// A umask: 1..4 octal digits, at most 0777 (x bits are accepted and ignored,
// so the familiar 022 and 027 work).
Result<uint32_t> ParseUmask(std::string_view text);
// A quota value for `kind` (REQUIRES: one of kQuotaItems): a decimal count
// 0..kMaxQuotaCount, or for max-region-memory and max-mapped a size in
// ParseByteSize's syntax, 0..kMaxQuotaBytes.
Result<uint64_t> ParseQuotaValue(ItemKind kind, std::string_view text);
// Four octal digits: "0660".
std::string FormatMode(uint32_t mode);

// ---------------------------------------------------------------- building

// An item's text and where it was written.
struct LocatedItem {
  std::string text;
  std::string file;  // may be empty
  int line = 0;      // 1-based; 0 when unknown
  // When set, the rule source kept verbatim instead of "FILE line N" (a
  // policy read back from xenstore keeps the source it was written with).
  std::optional<RuleSource> source;
};

// "guest.cfg:7" (or "guest.cfg", or "item 3" with neither), for errors.
std::string ErrorLocation(const LocatedItem& item, size_t index);
// "guest.cfg line 7", kept in rules for refusal messages.
RuleSource SourceOf(const LocatedItem& item);

struct StanzaLimits {
  // When set, every group named must be one of these (the dom0 policy
  // file's `groups`); catches typos in guest stanzas.
  const std::set<std::string>* known_groups = nullptr;
};

// The stanza's policy, or kInvalidArgument "guest.cfg:7: 'deny=a b':
// <reason>" for the first bad item, or a stanza-wide problem located at the
// item that shows it: more than kMaxItems items, a key other than
// allow/deny/ro/create given twice (each max-* key once), a gid that is not one
// of the domain's groups, an unknown group, two create= of one name, or a
// create= that the stanza's own name rules refuse. Without gid=, the gid is the
// first group.
Result<DomainPolicy> BuildDomainPolicy(std::span<const LocatedItem> items,
                                       const StanzaLimits& limits = {});

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_STANZA_H_
