// What every DomainPolicy that the policy pipeline accepted must satisfy,
// however it was read (stanza items, the xenstore form, an xl config);
// shared by the policy fuzz targets.
#ifndef XENSHM_TESTS_FUZZ_POLICY_INVARIANTS_H_
#define XENSHM_TESTS_FUZZ_POLICY_INVARIANTS_H_

#include "backend/policy/stanza.h"

namespace xenshm::fuzz {

// Aborts (FUZZ_CHECK) unless: every rule's pattern is a valid glob; at most
// 16 distinct valid groups; gid is one of them (empty without groups); mode
// has no x bits and umask is at most 0777; pre-created regions have
// distinct legal names, 1 byte..1 GiB, modes without x bits, a gid among
// the groups (empty without groups) and are allowed by the policy's own
// name rules.
void CheckPolicyBounds(const policy::DomainPolicy& policy);

// The policy's xenstore form (policy_codec.h), when it fits one node,
// decodes to an equal policy and re-encodes to the same text; when it does
// not fit, the refusal is a good one.
void CheckCodecRoundTrip(const policy::DomainPolicy& policy);

}  // namespace xenshm::fuzz

#endif  // XENSHM_TESTS_FUZZ_POLICY_INVARIANTS_H_
