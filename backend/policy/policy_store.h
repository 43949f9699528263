// Domain policies in xenstore: /local/domain/0/xenshm/policy/$DOMID, one
// node per domain holding its serialized policy (policy_codec.h). Only dom0
// may read or write them (xenstore-paths.md, "Domain policies").
//
// xenshm-xl-create writes the node while the new domain is still paused;
// xenshmd reads it when it learns of the domain (and when the node changes)
// and removes it when the domain dies. A domain without a node gets the
// dom0 policy file's `default`.
#ifndef XENSHM_BACKEND_POLICY_POLICY_STORE_H_
#define XENSHM_BACKEND_POLICY_POLICY_STORE_H_

#include <string>

#include "backend/policy/domain_policy.h"
#include "base/status.h"
#include "base/types.h"
#include "platform/xenstore.h"

namespace xenshm::policy {

// /local/domain/0/xenshm/policy
std::string PolicyRoot();
// /local/domain/0/xenshm/policy/<domid>
std::string PolicyPath(DomainId domain);

// The domain's policy. kNotFound when it has none (no stanza);
// kNoPermission if the node is not owned by dom0; kInvalidArgument naming
// the path and the bad line when the value is malformed; other codes from
// xenstore.
Result<DomainPolicy> ReadDomainPolicy(XenStore& xenstore, DomainId domain);

// Serializes and writes `policy` (replacing any earlier one), creating the
// root if needed, with permissions dom0-only. kInvalidArgument if it does
// not fit one node; xenstore errors otherwise. On failure the node may be
// missing but is never half-written (one xenstore write).
Status WriteDomainPolicy(XenStore& xenstore, DomainId domain,
                         const DomainPolicy& policy);

// Removes the domain's node; Ok if there was none.
Status RemoveDomainPolicy(XenStore& xenstore, DomainId domain);

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_POLICY_STORE_H_
