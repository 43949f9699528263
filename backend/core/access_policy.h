// AccessPolicy: who may attach which region, and how.
//
// The daemon asks before every attach; a refusal becomes status
// no-permission with the policy's reason, and the daemon logs the domain,
// the region and the rule. The xl-stanza policy (allow/deny patterns, modes,
// groups) implements this interface; AllowAllPolicy is the default.
#ifndef XENSHM_BACKEND_CORE_ACCESS_POLICY_H_
#define XENSHM_BACKEND_CORE_ACCESS_POLICY_H_

#include <string>

#include "platform/status.h"
#include "platform/types.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {

struct AttachQuestion {
  DomainId domain = 0;
  std::string region;
  schema::Access access = schema::Access::kReadWrite;
  bool creates = false;  // the region does not exist yet
};

class AccessPolicy {
 public:
  virtual ~AccessPolicy() = default;
  // Ok to allow; kNoPermission with the rule that refused otherwise.
  virtual Status Check(const AttachQuestion& question) const = 0;
};

class AllowAllPolicy : public AccessPolicy {
 public:
  Status Check(const AttachQuestion&) const override { return Status(); }
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_ACCESS_POLICY_H_
