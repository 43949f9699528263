// A DomainPolicy's xenstore form: the text xenshm-xl-create writes and
// xenshmd reads (xenstore-paths.md, "Domain policies"), and the node that
// holds it.
//
//   xenshm-policy 1
//   groups=video,audio
//   max-region-memory=167772160
//   allow=moo*<TAB>guest.cfg line 7
//   create=moo,size=134217728,mode=0660,gid=video<TAB>guest.cfg line 9
//
// A header line, then one normalized stanza item per line, each optionally
// followed by a tab and the place it was written (printable ASCII, kept for
// refusal messages). The reader treats the text as hostile even though only
// dom0 writes it: bounded size, printable ASCII, and the same item parser
// and stanza checks as the xl config path (stanza.h).
//
// The node is /local/domain/0/xenshm/policy/$DOMID, dom0-only. xenshm-xl-
// create writes it while the new domain is still paused; xenshmd reads it
// when it learns of the domain (and when the node changes) and removes it
// when the domain dies. A domain without a node gets the dom0 policy file's
// `default`, or no access at all without one (evaluator.h).
#ifndef XENSHM_BACKEND_POLICY_POLICY_CODEC_H_
#define XENSHM_BACKEND_POLICY_POLICY_CODEC_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "backend/policy/stanza.h"
#include "base/status.h"
#include "base/types.h"
#include "platform/xenstore.h"

namespace xenshm::policy {

inline constexpr std::string_view kPolicyHeader = "xenshm-policy 1";
// Fits one xenstore write (XENSTORE_PAYLOAD_MAX is 4096 with the path).
inline constexpr size_t kMaxSerializedPolicyBytes = 3072;
inline constexpr size_t kMaxSourceLength = 160;

// ---------------------------------------------------------------- text

// kInvalidArgument if the result would exceed kMaxSerializedPolicyBytes.
// Sources longer than kMaxSourceLength are shortened, and characters other
// than printable ASCII replaced by '?'.
Result<std::string> SerializePolicy(const DomainPolicy& policy);

// Inverse of SerializePolicy. kInvalidArgument with "policy line N: reason"
// (or BuildDomainPolicy's "policy:N: 'item': reason") on anything malformed;
// never a policy missing a line it could not read.
Result<DomainPolicy> ParseSerializedPolicy(std::string_view text);

// ---------------------------------------------------------------- node

// /local/domain/0/xenshm/policy
std::string PolicyRoot();
// /local/domain/0/xenshm/policy/<domid>
std::string PolicyPath(DomainId domain);

// The domain's policy. kNotFound when it has none (no stanza);
// kNoPermission if the node is not owned by dom0; kInvalidArgument naming
// the path and the bad line when the value is malformed; other codes from
// xenstore.
Result<DomainPolicy> ReadDomainPolicy(XenStore& xenstore, DomainId domain);

// The value of `path` when dom0 owns the node: what a guest could have
// written is not dom0's word. kNoPermission naming the path otherwise; the
// read's own error (kNotFound, ...) when it fails.
Result<std::string> ReadDom0OwnedNode(XenStore& xenstore,
                                      const std::string& path);

// Serializes and writes `policy` (replacing any earlier one), creating the
// root if needed, with permissions dom0-only. kInvalidArgument if it does
// not fit one node; xenstore errors otherwise. On failure the node may be
// missing but is never half-written (one xenstore write).
Status WriteDomainPolicy(XenStore& xenstore, DomainId domain,
                         const DomainPolicy& policy);

// Removes the domain's node; Ok if there was none.
Status RemoveDomainPolicy(XenStore& xenstore, DomainId domain);

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_POLICY_CODEC_H_
