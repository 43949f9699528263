// The serialized form of a DomainPolicy: what xenshm-xl-create writes to
// xenstore for xenshmd to read (xenstore-paths.md, "Domain policies").
//
//   xenshm-policy 1
//   groups=video,audio
//   allow=moo*<TAB>guest.cfg line 7
//   create=moo,size=134217728,mode=0660,gid=video<TAB>guest.cfg line 9
//
// A header line, then one normalized stanza item per line, each optionally
// followed by a tab and the place it was written (printable ASCII, kept for
// refusal messages). The reader treats the text as hostile even though only
// dom0 writes it: bounded size, printable ASCII, and the same item parser
// and stanza checks as the xl config path.
#ifndef XENSHM_BACKEND_POLICY_POLICY_CODEC_H_
#define XENSHM_BACKEND_POLICY_POLICY_CODEC_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "backend/policy/domain_policy.h"
#include "base/status.h"

namespace xenshm::policy {

inline constexpr std::string_view kPolicyHeader = "xenshm-policy 1";
// Fits one xenstore write (XENSTORE_PAYLOAD_MAX is 4096 with the path).
inline constexpr size_t kMaxSerializedPolicyBytes = 3072;
inline constexpr size_t kMaxSourceLength = 160;

// kInvalidArgument if the result would exceed kMaxSerializedPolicyBytes.
// Sources longer than kMaxSourceLength are shortened, and characters other
// than printable ASCII replaced by '?'.
Result<std::string> SerializePolicy(const DomainPolicy& policy);

// Inverse of SerializePolicy. kInvalidArgument with "policy line N: reason"
// on anything malformed.
Result<DomainPolicy> ParseSerializedPolicy(std::string_view text);

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_POLICY_CODEC_H_
