// Access rules: the pure decisions an attach is made of, over the data model
// of stanza.h. The evaluator (evaluator.h) combines them with what it knows
// of domains and regions; the stanza builder uses DecideName to refuse a
// create= its own stanza's rules would refuse.
//
// Name rules, QNX style: rules are tried in the order written and the first
// whose glob matches (fnmatch, no flags) decides. A name no rule matches is
// refused if there is any `allow` rule (an allow implies a final `deny *`)
// and allowed if there are only `deny` rules (a deny implies a final
// `allow *`). Mixing both therefore fails closed: `deny=moo-secret`,
// `allow=moo*` allows moo* except moo-secret and nothing else. An empty list
// allows every name.
//
// Mode bits: unix-like read/write bits for the owner domain, the region's
// group and every other domain. ro needs the class's r bit, rw needs r and w
// (a mapping is always readable).
#ifndef XENSHM_BACKEND_POLICY_ACCESS_RULES_H_
#define XENSHM_BACKEND_POLICY_ACCESS_RULES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/policy/stanza.h"
#include "xenstore-schema/schema.h"

namespace xenshm::policy {

// ---------------------------------------------------------------- names

struct NameDecision {
  bool allowed = true;
  // The rule that decided; for an implied final rule, the last rule of the
  // kind that implied it (the last allow for an implied deny, the last deny
  // for an implied allow). Null when there are no rules.
  const NameRule* rule = nullptr;
  bool implied = false;
};

// REQUIRES: `rules` outlives the returned decision.
NameDecision DecideName(const std::vector<NameRule>& rules,
                        std::string_view name);

// For messages: "deny secret* (guest.cfg line 7)" or
// "implied deny * after allow moo* (guest.cfg line 6)"; "no rules" when
// decision.rule is null.
std::string DescribeDecision(const NameDecision& decision);

// True if `name` matches the fnmatch glob `pattern`.
bool GlobMatches(std::string_view pattern, std::string_view name);

// ---------------------------------------------------------------- modes

// Which set of bits applies to a domain.
enum class PeerClass { kOwner, kGroup, kOther };

// "owner", "group", "other".
std::string_view PeerClassName(PeerClass peer_class);

// The class's bits as "rw", "r-", "-w" or "--".
std::string ClassBits(uint32_t mode, PeerClass peer_class);

// True if `mode` lets `peer_class` attach with `access`: ro needs r, rw
// needs r and w.
bool ModeAllows(uint32_t mode, PeerClass peer_class, schema::Access access);

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_ACCESS_RULES_H_
