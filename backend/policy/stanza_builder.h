// Builds a DomainPolicy from a stanza's items, validating each item and the
// stanza as a whole, so that a domain never starts half-configured: either
// every item is good and the policy is complete, or the first bad item is
// reported with where it was written and why.
#ifndef XENSHM_BACKEND_POLICY_STANZA_BUILDER_H_
#define XENSHM_BACKEND_POLICY_STANZA_BUILDER_H_

#include <cstddef>
#include <optional>
#include <set>
#include <span>
#include <string>

#include "backend/policy/domain_policy.h"
#include "base/status.h"

namespace xenshm::policy {

inline constexpr size_t kMaxItems = 64;

// An item's text and where it was written.
struct LocatedItem {
  std::string text;
  std::string file;  // may be empty
  int line = 0;      // 1-based; 0 when unknown
  // When set, the rule source kept verbatim instead of "FILE line N" (a
  // policy read back from xenstore keeps the source it was written with).
  std::optional<RuleSource> source;
};

// "guest.cfg:7" (or "guest.cfg", or "item 3" with neither), for errors.
std::string ErrorLocation(const LocatedItem& item, size_t index);
// "guest.cfg line 7", kept in rules for refusal messages.
RuleSource SourceOf(const LocatedItem& item);

struct StanzaLimits {
  // When set, every group named must be one of these (the dom0 policy
  // file's `groups`); catches typos in guest stanzas.
  const std::set<std::string>* known_groups = nullptr;
};

// kInvalidArgument "guest.cfg:7: 'deny=a b': <reason>" for the first bad
// item, or a stanza-wide problem located at the item that shows it:
// more than kMaxItems items, a key other than allow/deny/ro/create given
// twice, a gid that is not one of the domain's groups, an unknown group,
// two create= of one name, or a create= that the stanza's own name rules
// refuse.
Result<DomainPolicy> BuildDomainPolicy(std::span<const LocatedItem> items,
                                       const StanzaLimits& limits = {});

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_STANZA_BUILDER_H_
