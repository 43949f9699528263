// Evaluator: the AccessPolicy xenshmd asks before every attach, built from
// xl stanzas (read back from xenstore, policy_codec.h) and dom0's policy file
// (xl_config.h). The last stage of the policy pipeline (stanza.h).
//
// How a question is answered (domain D attaching region R with access A):
//  1. D's policy is its own stanza (Refresh / SetDomainPolicy), else the
//     policy file's `default` for a guest, its `xenshm` stanza for dom0.
//     Without one D may attach nothing (fail closed): the refusal says D has
//     no xenshm policy and how to give it one.
//  2. D's name rules must allow R (access_rules.h).
//  3. For A = rw, and for a create (which is read-write whatever A says),
//     none of D's `ro` globs may match R.
//  4. If R exists, its mode must grant A to D's class: owner if D created
//     it, group if D is in R's group, other otherwise (access_rules.h).
//     Creating R makes D its owner, so step 4 does not apply to a create.
// A refusal is kNoPermission naming D, R and the rule, e.g.
//   "domain 3 may not attach 'moo': deny secret* (guest.cfg line 7)".
//
// What D is told depends only on D's own policy and the question, never on
// other domains' regions, except for a name D's rules allow: a create
// refused by an ro rule tells D that R does not exist yet, and a refusal by
// mode bits (step 4) that it does, with neither its mode nor its owner or
// group. Steps 1 and 2 come before anything about R is looked at, so a
// domain refused by them (or by step 3 for rw) gets the same answer whether
// or not R exists (docs/security.md). Check returns that answer and logs
// the full one (Explain) through the log callback, for dom0's eyes.
//
// Where a domain's policy comes from (Refresh, docs/policy.md "How a
// domain gets its policy"): its policy node (/local/domain/0/xenshm/policy/
// <domid>, written by dom0 tools and tests) when there is one; else, once
// per domain, the PolicyResolver (a pin of its UUID, an xl config of its
// name); else the policy file's default. Whatever it found is pinned to the
// domain's UUID, so a reboot or restore runs with the same rules. A bad
// node, pin or config fails closed (the domain may attach nothing, rather
// than falling back to the default) and the log says why; a domain whose
// name is not readable yet is Awaiting for up to `identity_wait`, then
// refused. Forget drops the policy and removes the node when it dies.
//
// Reserved names (reservations.h): a region name a create= declares is
// judged for every other domain by the declared region's terms (mode,
// group), whether or not the region exists yet, and only the declarer's
// start creates it. A live region of the name that is not the declared one
// is reported by SquattedNames; the daemon renames it.
//
// Region metadata (owner, group, mode) is recorded through OnRegionCreated
// and OnRegionDestroyed. A region with no record (created before the policy
// knew of it) is treated as mode 0666 without owner or group.
//
// Threading: not thread-safe; the daemon's one thread drives it.
#ifndef XENSHM_BACKEND_POLICY_EVALUATOR_H_
#define XENSHM_BACKEND_POLICY_EVALUATOR_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "backend/core/access_policy.h"
#include "backend/policy/policy_resolver.h"
#include "backend/policy/reservations.h"
#include "backend/policy/stanza.h"
#include "base/status.h"
#include "base/types.h"
#include "platform/xenstore.h"

namespace xenshm::policy {

// What the evaluator knows of a live region.
struct RegionMeta {
  std::optional<DomainId> owner;  // nullopt once the owner domain died
  std::string gid;                // "" = no group
  uint32_t mode = kDefaultMode;   // umask already applied
  // The declaring domain's name for the region its create= made; "" for a
  // region made by attaching. A declared region's owner is the declarer's
  // current domain (again after its reboot).
  std::string declarer;
  friend bool operator==(const RegionMeta&, const RegionMeta&) = default;
};

// A policy refusing every name, quoting `why` as the rule's source; for a
// domain whose policy node is unreadable (fail closed, not to the default).
DomainPolicy DenyEverything(std::string why);

class Evaluator : public backend::AccessPolicy {
 public:
  // `log` receives one line per policy event (an unreadable node, a node
  // that cannot be removed, the full reason of a refusal whose answer
  // leaves details out); may be empty.
  explicit Evaluator(Dom0Policy dom0 = {},
                     std::function<void(std::string_view)> log = {});

  // backend::AccessPolicy. The answer the asking domain may see; when
  // Explain says more, Explain's message is logged.
  Status Check(const backend::AttachQuestion& question) const override;
  // The same decision with everything dom0 knows: a refusal by mode bits
  // names the region's mode, owner and group, e.g. "domain 2 may not
  // attach 'frames' read-write: region mode 0640 (owner domain 1, group
  // video) gives group only r-". For dom0's log and tests, never a guest.
  Status Explain(const backend::AttachQuestion& question) const;
  // The `quota` of the domain's policy (step 1 above), DomainQuota's
  // defaults for a domain without one (it may attach nothing anyway).
  backend::DomainQuota QuotaOf(DomainId domain) const override;
  // PolicyRoot() (policy_codec.h).
  std::string WatchedRoot() const override;
  // Finds `domain`'s policy as above.
  void Refresh(XenStore& xenstore, const DomainState& domain) override;
  void Refresh(XenStore& xenstore, DomainId domain) {
    DomainState state;
    state.id = domain;
    Refresh(xenstore, state);
  }
  bool Awaiting(DomainId domain) const override;
  std::vector<std::pair<std::string, std::string>> SquattedNames()
      const override;
  void OnRegionRenamed(std::string_view from, std::string_view to) override;
  // RemoveDomain, and removes the domain's policy node (never dom0's).
  void Forget(XenStore& xenstore, DomainId domain) override;
  // Its own stanza's or the default's `create=`, with umask applied; only
  // the names reserved for it (a name another domain declared first is
  // left out: Refresh logged the conflict).
  std::vector<backend::PreCreate> RegionsToPreCreate(
      DomainId domain) const override;
  // Records `name` as created by `creator`: a pre-created region gets its
  // declared mode and group, any other the creator's `mode` and `gid`; both
  // with the creator's umask applied. Returns kRegistryMode (and
  // kRegistryGid when there is a group) for the registry.
  backend::RegionAttributes OnRegionCreated(std::string_view name,
                                            DomainId creator) override;
  // Forgets `name`'s record.
  void OnRegionDestroyed(std::string_view name) override;
  // The record as "owner=", "mode=", "gid=", "declarer=" lines, and back.
  std::string RegionRecord(std::string_view name) const override;
  bool AdoptRegion(std::string_view name, std::string_view record) override;

  // Where policies of domains without a policy node come from, and how long
  // a domain whose name cannot be read yet waits; loads the reservations
  // of every pin. `resolver` must outlive the Evaluator.
  void SetResolver(PolicyResolver* resolver,
                   std::chrono::milliseconds identity_wait);
  // Replaces the policy file's part; domain policies and region records are
  // kept. xenshmd reads its policy file once, at start, so nothing calls
  // this there yet; it is what a reload will call.
  void SetDom0Policy(Dom0Policy dom0);
  // Sets or replaces `domain`'s own policy. Refresh calls it; tests and
  // tools may call it directly, before the domain can attach.
  void SetDomainPolicy(DomainId domain, DomainPolicy policy);
  // Forgets `domain`'s policy when it dies. Regions it owns keep existing
  // but lose their owner, so a later domain reusing the id does not inherit
  // owner rights.
  void RemoveDomain(DomainId domain);
  bool HasDomainPolicy(DomainId domain) const;
  const ReservationBook& reservations() const { return reservations_; }
  // The record of a region; null if none.
  const RegionMeta* FindRegion(std::string_view name) const;

 private:
  struct Decision {
    Status told;         // Check's answer
    std::string detail;  // Explain's message when it says more; else ""
  };
  Decision Decide(const backend::AttachQuestion& question) const;
  // The policy governing `domain`; null means none (it may attach nothing).
  const DomainPolicy* PolicyOf(DomainId domain) const;
  // The reservation of `region` when `domain` is not its declarer.
  const Reservation* ReservedFromOthers(DomainId domain,
                                        std::string_view region) const;
  // `domain` runs with `found` from now on: pinned, its create= names
  // declared, the regions it declared earlier owned by it again.
  void Adopt(const DomainIdentity& who, const FoundPolicy& found);
  // Declares `policy`'s create= names for `declarer`, logging conflicts.
  void Declare(const std::string& declarer, const DomainPolicy& policy);
  void Log(const std::string& line) const;

  Dom0Policy dom0_;
  std::function<void(std::string_view)> log_;
  std::map<DomainId, DomainPolicy> domains_;
  std::map<std::string, RegionMeta, std::less<>> regions_;
  PolicyResolver* resolver_ = nullptr;
  std::chrono::milliseconds identity_wait_{5000};
  std::map<DomainId, DomainIdentity> identities_;
  // Domains whose policy came from their policy node (its removal takes
  // it away), and those the resolver was asked about (asked once).
  std::set<DomainId> from_node_;
  std::set<DomainId> resolved_;
  // Domains Awaiting, since when.
  std::map<DomainId, std::chrono::steady_clock::time_point> awaiting_;
  ReservationBook reservations_;
};

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_EVALUATOR_H_
