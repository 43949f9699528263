// StanzaPolicy: the AccessPolicy xenshmd uses, built from xl stanzas and
// dom0's policy file.
//
// How a question is answered (domain D attaching region R with access A):
//  1. D's policy is its own stanza (SetDomainPolicy), else the policy
//     file's `default`, else an empty policy (every name, mode 0666).
//     dom0 without a `xenshm` stanza in the policy file is unrestricted.
//  2. D's name rules must allow R (name_rules.h).
//  3. For A = rw, none of D's `ro` globs may match R.
//  4. If R exists, its mode must grant A to D's class: owner if D created
//     it, group if D is in R's group, other otherwise (region_mode.h).
//     Creating R makes D its owner, so step 4 does not apply to a create.
// A refusal is kNoPermission naming D, R and the rule, e.g.
//   "domain 3 may not attach 'moo': deny secret* (guest.cfg line 7)".
//
// Region metadata (owner, group, mode) is recorded by the daemon through
// RegionCreated/RegionDestroyed. A region with no record (created before the
// policy knew of it) is treated as mode 0666 without owner or group.
//
// Threading: not thread-safe; the daemon's one thread drives it.
#ifndef XENSHM_BACKEND_POLICY_STANZA_POLICY_H_
#define XENSHM_BACKEND_POLICY_STANZA_POLICY_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/access_policy.h"
#include "backend/policy/domain_policy.h"
#include "backend/policy/xl_config.h"
#include "base/status.h"
#include "base/types.h"

namespace xenshm::policy {

struct RegionMeta {
  std::optional<DomainId> owner;  // nullopt once the owner domain died
  std::string gid;                // "" = no group
  uint32_t mode = kDefaultMode;   // umask already applied
  friend bool operator==(const RegionMeta&, const RegionMeta&) = default;
};

// A region to create when its domain starts, umask already applied.
struct PreCreatedRegion {
  std::string name;
  uint64_t size = 0;  // bytes
  uint32_t mode = kDefaultMode;
  std::string gid;
  friend bool operator==(const PreCreatedRegion&,
                         const PreCreatedRegion&) = default;
};

// A policy refusing every name, quoting `why` as the rule's source; for a
// domain whose policy node is unreadable (fail closed, not to the default).
DomainPolicy DenyEverything(std::string why);

class StanzaPolicy : public backend::AccessPolicy {
 public:
  explicit StanzaPolicy(Dom0Policy dom0 = {});

  Status Check(const backend::AttachQuestion& question) const override;

  // Replaces the policy file's part (e.g. on SIGHUP). Domain policies and
  // region records are kept.
  void SetDom0Policy(Dom0Policy dom0);

  // Sets or replaces `domain`'s own policy (from its xenstore node). Call
  // before the domain can attach: on domain introduction, and again when
  // the node changes.
  void SetDomainPolicy(DomainId domain, DomainPolicy policy);
  // Forgets `domain`'s policy when it dies. Regions it owns keep existing
  // but lose their owner, so a later domain reusing the id does not inherit
  // owner rights.
  void RemoveDomain(DomainId domain);
  bool HasDomainPolicy(DomainId domain) const;

  // The regions to create for `domain` at its start (its own stanza's or
  // the default's `create=`), with umask applied. The daemon creates each
  // that does not exist yet and calls RegionCreated(name, domain).
  std::vector<PreCreatedRegion> PreCreatedRegions(DomainId domain) const;

  // Records that the daemon created `name` for `creator` (on an attach that
  // created it, or from PreCreatedRegions). A pre-created region gets its
  // declared mode and group, any other the creator's `mode` and `gid`;
  // both with the creator's umask applied. Returns the record.
  RegionMeta RegionCreated(std::string_view name, DomainId creator);
  // Forgets `name` when the daemon destroys it.
  void RegionDestroyed(std::string_view name);
  const RegionMeta* FindRegion(std::string_view name) const;

 private:
  // The policy governing `domain`; null means unrestricted.
  const DomainPolicy* PolicyOf(DomainId domain) const;

  Dom0Policy dom0_;
  std::map<DomainId, DomainPolicy> domains_;
  std::map<std::string, RegionMeta, std::less<>> regions_;
};

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_STANZA_POLICY_H_
