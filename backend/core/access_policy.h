// AccessPolicy: who may attach which region, and how.
//
// The daemon asks before every attach; a refusal becomes status
// no-permission with the policy's reason, and the daemon logs the domain,
// the region and the rule. The reason goes to the guest as is, so a policy
// says in it only what the guest may know (docs/security.md): nothing of
// regions it may not use. The xl-stanza policy (backend/policy/evaluator.h:
// allow/deny patterns, modes, groups; fail closed) implements this
// interface; AllowAllPolicy is what a Daemon without one uses (tests).
#ifndef XENSHM_BACKEND_CORE_ACCESS_POLICY_H_
#define XENSHM_BACKEND_CORE_ACCESS_POLICY_H_

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/types.h"
#include "platform/domain_info.h"
#include "platform/xenstore.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {

// How soon the daemon asks again about a domain the policy is Awaiting.
inline constexpr std::chrono::milliseconds kPolicyRetry{200};

struct AttachQuestion {
  DomainId domain = 0;
  std::string region;
  schema::Access access = schema::Access::kReadWrite;
  // The attach would create the region: it does not exist and the request
  // is create-or-attach (an attach-only request never creates).
  bool creates = false;
};

// Per-domain limits on what a domain can make dom0 hold (docs/security.md).
// (Kept out of clang-format, which would split the field comments.)
// clang-format off
struct DomainQuota {
  uint32_t regions = 4;              // regions it created that still exist
  uint32_t attachments = 8;          // attachments it holds at once
  uint64_t region_bytes = 16 << 20;  // total size of the regions it created
  uint64_t mapped_bytes = 8 << 20;   // memory granted to it (grant entries x 4 KiB)
  uint32_t pending = 4;              // requests not yet answered Connected
  uint32_t request_rate = 16;        // requests acted on per second (burst 2x)
  friend bool operator==(const DomainQuota&, const DomainQuota&) = default;
};
// clang-format on

// A region a domain's policy creates when the domain starts, owned by that
// domain. The policy's own record of it: mode and gid are what the region
// will get (umask applied), so a caller or a test sees the whole decision;
// the daemon needs only name and size and learns the rest from
// OnRegionCreated.
struct PreCreate {
  std::string name;
  uint64_t size = 0;     // bytes
  uint32_t mode = 0666;  // owner/group/other rw bits
  std::string gid;       // "" = no group
  friend bool operator==(const PreCreate&, const PreCreate&) = default;
};

// Registry attribute nodes of a region, (node, value) in the order to write
// them under .../regions/<name>/: schema::kRegistryMode ("0640") and
// schema::kRegistryGid (a group name) from the policy; the daemon adds
// schema::kRegistrySize and schema::kRegistryOwner itself.
using RegionAttributes = std::vector<std::pair<std::string, std::string>>;

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // Ok to allow; kNoPermission with the rule that refused otherwise. The
  // message is sent to the domain that asked.
  virtual Status Check(const AttachQuestion& question) const = 0;

  // The limits `domain` is held to (its policy's, else the defaults).
  virtual DomainQuota QuotaOf(DomainId) const { return DomainQuota{}; }

  // Hooks for policies with state; the defaults do nothing.
  // A xenstore subtree xenshmd watches; a change there calls Refresh for
  // every domain. Empty: none.
  virtual std::string WatchedRoot() const { return {}; }
  // `domain` appeared, or its policy may have changed.
  virtual void Refresh(XenStore&, const DomainState& /*domain*/) {}
  // True while `domain`'s policy cannot be known yet (its identity is not
  // readable yet): its requests wait, unanswered, and the daemon calls
  // Refresh again within kPolicyRetry; the policy bounds the wait and then
  // decides (no access).
  virtual bool Awaiting(DomainId) const { return false; }
  // Region names whose reservation (a create= of another domain's policy)
  // a live region of another origin holds: the daemon takes the name from
  // it (docs/policy.md, "Reserved names"). Each with the declarer's name.
  virtual std::vector<std::pair<std::string, std::string>> SquattedNames()
      const {
    return {};
  }
  // The daemon renamed region `from` to `to` (it lost a reserved name).
  virtual void OnRegionRenamed(std::string_view /*from*/,
                               std::string_view /*to*/) {}
  // `domain` is gone.
  virtual void Forget(XenStore&, DomainId) {}
  // Regions to create for `domain` (they live until it dies). The daemon
  // creates each that does not exist yet and calls OnRegionCreated.
  virtual std::vector<PreCreate> RegionsToPreCreate(DomainId) const {
    return {};
  }
  // The daemon created `name` for `creator` (an attach that created it, or
  // RegionsToPreCreate); the policy records it and returns what to publish.
  virtual RegionAttributes OnRegionCreated(std::string_view /*name*/,
                                           DomainId /*creator*/) {
    return {};
  }
  // The daemon destroyed `name`.
  virtual void OnRegionDestroyed(std::string_view /*name*/) {}
  // What the policy knows of region `name`, as text for xenshmd's journal
  // (any bytes: the journal escapes them); AdoptRegion takes it back in a
  // restarted xenshmd (false: it does not understand the text).
  virtual std::string RegionRecord(std::string_view /*name*/) const {
    return {};
  }
  virtual bool AdoptRegion(std::string_view /*name*/,
                           std::string_view /*record*/) {
    return true;
  }
};

class AllowAllPolicy : public AccessPolicy {
 public:
  Status Check(const AttachQuestion&) const override { return Status(); }
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_ACCESS_POLICY_H_
