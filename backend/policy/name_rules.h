// Name rules: which region names a domain may use, QNX style.
//
// Rules are tried in the order written and the first whose glob matches
// (fnmatch, no flags) decides. A name no rule matches is refused if there
// is any `allow` rule (an allow implies a final `deny *`) and allowed if
// there are only `deny` rules (a deny implies a final `allow *`). Mixing
// both therefore fails closed: `deny=moo-secret`, `allow=moo*` allows
// moo* except moo-secret and nothing else. An empty list allows every name.
#ifndef XENSHM_BACKEND_POLICY_NAME_RULES_H_
#define XENSHM_BACKEND_POLICY_NAME_RULES_H_

#include <string>
#include <string_view>
#include <vector>

#include "backend/policy/domain_policy.h"

namespace xenshm::policy {

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

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_NAME_RULES_H_
