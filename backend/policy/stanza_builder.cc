#include "backend/policy/stanza_builder.h"

#include <algorithm>
#include <map>
#include <optional>

#include "backend/policy/name_rules.h"
#include "backend/policy/stanza_item.h"

namespace xenshm::policy {
namespace {

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

}  // namespace

std::string ErrorLocation(const LocatedItem& item, size_t index) {
  if (item.line > 0) {
    return (item.file.empty() ? std::string("line ") : item.file + ":") +
           std::to_string(item.line);
  }
  if (!item.file.empty()) {
    return item.file + " item " + std::to_string(index + 1);
  }
  return "item " + std::to_string(index + 1);
}

RuleSource SourceOf(const LocatedItem& item) {
  if (item.source) return *item.source;
  if (item.line > 0) {
    return (item.file.empty() ? std::string() : item.file + " ") + "line " +
           std::to_string(item.line);
  }
  return item.file;
}

Result<DomainPolicy> BuildDomainPolicy(std::span<const LocatedItem> items,
                                       const StanzaLimits& limits) {
  auto fail = [&](size_t index, const std::string& reason) {
    return Error(Code::kInvalidArgument, ErrorLocation(items[index], index) +
                                             ": " + Quoted(items[index].text) +
                                             ": " + reason);
  };
  if (items.size() > kMaxItems) {
    return fail(kMaxItems,
                "more than " + std::to_string(kMaxItems) + " xenshm items");
  }
  DomainPolicy policy;
  std::map<ItemKind, size_t> single;  // where each single-use key was seen
  std::optional<size_t> gid_index;
  std::optional<size_t> groups_index;
  std::vector<std::pair<StanzaItem, size_t>> creates;
  for (size_t i = 0; i < items.size(); ++i) {
    auto parsed = ParseStanzaItem(items[i].text);
    if (!parsed) return fail(i, parsed.error().message());
    StanzaItem& item = *parsed;
    const RuleSource source = SourceOf(items[i]);
    switch (item.kind) {
      case ItemKind::kAllow:
      case ItemKind::kDeny:
        policy.name_rules.push_back({item.kind == ItemKind::kAllow
                                         ? NameVerdict::kAllow
                                         : NameVerdict::kDeny,
                                     item.pattern, source});
        continue;
      case ItemKind::kReadOnly:
        policy.read_only.push_back({item.pattern, source});
        continue;
      case ItemKind::kCreate:
        creates.emplace_back(std::move(item), i);
        continue;
      default:
        break;
    }
    if (auto [seen, inserted] = single.try_emplace(item.kind, i); !inserted) {
      return fail(i,
                  std::string(ItemKey(item.kind)) + "= given twice (first at " +
                      ErrorLocation(items[seen->second], seen->second) + ")");
    }
    switch (item.kind) {
      case ItemKind::kGroups:
        if (limits.known_groups != nullptr) {
          for (const std::string& group : item.groups) {
            if (!limits.known_groups->contains(group)) {
              return fail(i, "group " + Quoted(group) +
                                 " is not in the dom0 policy file's groups");
            }
          }
        }
        policy.groups = item.groups;
        groups_index = i;
        break;
      case ItemKind::kGid:
        policy.gid = item.group;
        gid_index = i;
        break;
      case ItemKind::kMode:
        policy.mode = item.octal;
        break;
      case ItemKind::kUmask:
        policy.umask = item.octal;
        break;
      default:
        break;
    }
  }
  auto is_member = [&](const std::string& group) {
    return std::find(policy.groups.begin(), policy.groups.end(), group) !=
           policy.groups.end();
  };
  if (gid_index) {
    if (!is_member(policy.gid)) {
      return fail(*gid_index, "gid " + Quoted(policy.gid) +
                                  " is not one of the domain's groups" +
                                  (groups_index ? "" : " (no groups= given)"));
    }
  } else if (!policy.groups.empty()) {
    policy.gid = policy.groups.front();
  }
  for (auto& [item, index] : creates) {
    RegionSpec spec;
    spec.name = item.name;
    spec.size = item.size;
    spec.mode = item.has_mode ? item.octal : kDefaultMode;
    spec.gid = item.group.empty() ? policy.gid : item.group;
    spec.source = SourceOf(items[index]);
    if (!item.group.empty() && !is_member(item.group)) {
      return fail(index, "gid " + Quoted(item.group) +
                             " is not one of the domain's groups");
    }
    for (const RegionSpec& earlier : policy.pre_created) {
      if (earlier.name == spec.name) {
        return fail(index, "region " + Quoted(spec.name) +
                               " is created twice (first at " + earlier.source +
                               ")");
      }
    }
    NameDecision decision = DecideName(policy.name_rules, spec.name);
    if (!decision.allowed) {
      return fail(index, "the stanza's own rule " + DescribeDecision(decision) +
                             " refuses " + Quoted(spec.name));
    }
    policy.pre_created.push_back(std::move(spec));
  }
  return policy;
}

}  // namespace xenshm::policy
