// AccessPolicy: who may attach which region, and how.
//
// The daemon asks before every attach; a refusal becomes status
// no-permission with the policy's reason, and the daemon logs the domain,
// the region and the rule. The xl-stanza policy (allow/deny patterns, modes,
// groups) implements this interface; AllowAllPolicy is the default.
#ifndef XENSHM_BACKEND_CORE_ACCESS_POLICY_H_
#define XENSHM_BACKEND_CORE_ACCESS_POLICY_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/types.h"
#include "platform/xenstore.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {

struct AttachQuestion {
  DomainId domain = 0;
  std::string region;
  schema::Access access = schema::Access::kReadWrite;
  bool creates = false;  // the region does not exist yet
};

// A region a domain's policy creates when the domain starts.
struct PreCreate {
  std::string name;
  uint64_t size = 0;  // bytes
};

// Published with a region in the registry (e.g. "mode" = "0640").
using RegionAttributes = std::vector<std::pair<std::string, std::string>>;

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // Ok to allow; kNoPermission with the rule that refused otherwise.
  virtual Status Check(const AttachQuestion& question) const = 0;

  // Hooks for policies with state; the defaults do nothing.
  // A xenstore subtree xenshmd watches; a change there calls Refresh for
  // every domain. Empty: none.
  virtual std::string WatchedRoot() const { return {}; }
  // `domain` appeared, or its policy may have changed.
  virtual void Refresh(XenStore&, DomainId) {}
  // `domain` is gone.
  virtual void Forget(XenStore&, DomainId) {}
  // Regions to create for `domain` (they live until it dies).
  virtual std::vector<PreCreate> RegionsToPreCreate(DomainId) const {
    return {};
  }
  virtual RegionAttributes OnRegionCreated(std::string_view /*name*/,
                                           DomainId /*creator*/) {
    return {};
  }
  virtual void OnRegionDestroyed(std::string_view /*name*/) {}
};

class AllowAllPolicy : public AccessPolicy {
 public:
  Status Check(const AttachQuestion&) const override { return Status(); }
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_ACCESS_POLICY_H_
