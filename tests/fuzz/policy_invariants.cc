#include "tests/fuzz/policy_invariants.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "backend/policy/access_rules.h"
#include "backend/policy/policy_codec.h"
#include "tests/fuzz/fuzz_check.h"
#include "xenstore-schema/limits.h"
#include "xenstore-schema/schema.h"

namespace xenshm::fuzz {
namespace {

using namespace xenshm::policy;

bool Contains(const std::vector<std::string>& list, const std::string& x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

}  // namespace

void CheckPolicyBounds(const DomainPolicy& policy) {
  for (const NameRule& rule : policy.name_rules) {
    FUZZ_CHECK(ParseGlob(rule.pattern).has_value(), rule.pattern);
  }
  for (const ReadOnlyRule& rule : policy.read_only) {
    FUZZ_CHECK(ParseGlob(rule.pattern).has_value(), rule.pattern);
  }
  FUZZ_CHECK(policy.groups.size() <= kMaxGroups, "more than 16 groups");
  const std::set<std::string> distinct(policy.groups.begin(),
                                       policy.groups.end());
  FUZZ_CHECK(distinct.size() == policy.groups.size(), "a group twice");
  for (const std::string& group : policy.groups) {
    FUZZ_CHECK(ParseGroupName(group).has_value(), group);
  }
  if (policy.groups.empty()) {
    FUZZ_CHECK(policy.gid.empty(), policy.gid);
  } else {
    FUZZ_CHECK(Contains(policy.groups, policy.gid), policy.gid);
  }
  FUZZ_CHECK((policy.mode & ~0666u) == 0, FormatMode(policy.mode));
  FUZZ_CHECK(policy.umask <= 0777, std::to_string(policy.umask));
  std::set<std::string> names;
  for (const RegionSpec& spec : policy.pre_created) {
    FUZZ_CHECK(schema::ParseRegionName(spec.name).has_value(), spec.name);
    FUZZ_CHECK(names.insert(spec.name).second, spec.name + " twice");
    FUZZ_CHECK(spec.size >= 1 && spec.size <= schema::kMaxRegionBytes,
               spec.name);
    FUZZ_CHECK((spec.mode & ~0666u) == 0, spec.name);
    FUZZ_CHECK(spec.gid.empty() ? policy.groups.empty()
                                : Contains(policy.groups, spec.gid),
               spec.name + " gid " + spec.gid);
    FUZZ_CHECK(DecideName(policy.name_rules, spec.name).allowed, spec.name);
  }
}

void CheckCodecRoundTrip(const DomainPolicy& policy) {
  auto serialized = SerializePolicy(policy);
  if (!serialized) {
    CheckRejection(serialized.error(), {Code::kInvalidArgument},
                   "SerializePolicy");
    return;
  }
  FUZZ_CHECK(serialized->size() <= kMaxSerializedPolicyBytes, *serialized);
  auto decoded = ParseSerializedPolicy(*serialized);
  FUZZ_CHECK(decoded && *decoded == policy,
             *serialized + (decoded ? "decoded to another policy"
                                    : decoded.error().message()));
  auto again = SerializePolicy(*decoded);
  FUZZ_CHECK(again && *again == *serialized, *serialized);
}

}  // namespace xenshm::fuzz
