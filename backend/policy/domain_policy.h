// DomainPolicy: what one domain may do with xenshm regions, as its xl
// stanza (or dom0's policy file) declares it.
//
// The model is QNX's shmem vdev configuration:
//  - Name rules: `allow`/`deny` shell globs (fnmatch) tried in order; the
//    first match decides. A name no rule matches gets the opposite of the
//    last rule written ("an allow implies a final deny *, and vice versa").
//    No rules at all allow every name.
//  - Read-only rules: a region matching an `ro` glob may be attached by
//    this domain read-only only.
//  - Regions carry an owner domain, a group and unix-like rw bits for
//    owner/group/other (region_mode.h). A domain belongs to `groups`; the
//    regions it creates get group `gid` and mode `mode & ~umask`.
//  - Pre-created regions (`create=`) exist from domain start, with the
//    declared size, mode (umask applied) and group, owned by the domain.
//
// Everything here is plain data; StanzaPolicy evaluates it and
// stanza_builder.h produces it from stanza items.
#ifndef XENSHM_BACKEND_POLICY_DOMAIN_POLICY_H_
#define XENSHM_BACKEND_POLICY_DOMAIN_POLICY_H_

#include <cstdint>
#include <string>
#include <vector>

namespace xenshm::policy {

inline constexpr uint32_t kDefaultMode = 0666;
inline constexpr uint32_t kDefaultUmask = 0;

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

// A region created when the domain starts (`create=`).
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
  friend bool operator==(const DomainPolicy&, const DomainPolicy&) = default;
};

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_DOMAIN_POLICY_H_
