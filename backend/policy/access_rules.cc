#include "backend/policy/access_rules.h"

#include <fnmatch.h>

namespace xenshm::policy {
namespace {

std::string_view VerdictName(NameVerdict verdict) {
  return verdict == NameVerdict::kAllow ? "allow" : "deny";
}

std::string WithSource(std::string text, const RuleSource& source) {
  if (!source.empty()) text += " (" + source + ")";
  return text;
}

int Shift(PeerClass peer_class) {
  switch (peer_class) {
    case PeerClass::kOwner:
      return 6;
    case PeerClass::kGroup:
      return 3;
    case PeerClass::kOther:
      return 0;
  }
  return 0;
}

}  // namespace

bool GlobMatches(std::string_view pattern, std::string_view name) {
  return fnmatch(std::string(pattern).c_str(), std::string(name).c_str(), 0) ==
         0;
}

NameDecision DecideName(const std::vector<NameRule>& rules,
                        std::string_view name) {
  for (const NameRule& rule : rules) {
    if (GlobMatches(rule.pattern, name)) {
      return {rule.verdict == NameVerdict::kAllow, &rule, false};
    }
  }
  if (rules.empty()) return {};
  const NameRule* last_allow = nullptr;
  for (const NameRule& rule : rules) {
    if (rule.verdict == NameVerdict::kAllow) last_allow = &rule;
  }
  if (last_allow != nullptr) return {false, last_allow, true};
  return {true, &rules.back(), true};
}

std::string DescribeDecision(const NameDecision& decision) {
  if (decision.rule == nullptr) return "no rules";
  const NameRule& rule = *decision.rule;
  std::string said =
      std::string(VerdictName(rule.verdict)) + " " + rule.pattern;
  if (!decision.implied) return WithSource(said, rule.source);
  return WithSource(std::string("implied ") +
                        (decision.allowed ? "allow *" : "deny *") + " after " +
                        said,
                    rule.source);
}

std::string_view PeerClassName(PeerClass peer_class) {
  switch (peer_class) {
    case PeerClass::kOwner:
      return "owner";
    case PeerClass::kGroup:
      return "group";
    case PeerClass::kOther:
      return "other";
  }
  return "other";
}

std::string ClassBits(uint32_t mode, PeerClass peer_class) {
  const uint32_t bits = (mode >> Shift(peer_class)) & 7;
  return std::string{(bits & 4) ? 'r' : '-', (bits & 2) ? 'w' : '-'};
}

bool ModeAllows(uint32_t mode, PeerClass peer_class, schema::Access access) {
  const uint32_t bits = (mode >> Shift(peer_class)) & 7;
  const uint32_t need = access == schema::Access::kReadOnly ? 4u : 6u;
  return (bits & need) == need;
}

}  // namespace xenshm::policy
