// Fuzz target for stanza items (backend/policy/stanza.h), what an admin
// writes in a guest's `xenshm = [...]` or dom0's policy file.
//
// Input: text. The whole of it is one item (ParseStanzaItem); split at
// '\n', its lines are a stanza (BuildDomainPolicy, item i on "line i").
//
// Invariants:
//  - An accepted item is within its documented bounds (globs, group names,
//    at most 16 distinct groups, modes without x bits, umask <= 0777, region
//    names, 1 byte <= size <= 1 GiB), leaves the fields its kind does not use
//    empty, means the same with blanks around it, and its normal form
//    (FormatStanzaItem) has no blanks and parses back to an equal item.
//  - An accepted stanza has at most 64 items, each one an accepted item; its
//    rules are those items in order with their "line N" sources; its gid is
//    one of its groups (the first by default) or empty without groups; its
//    pre-created regions are distinct, allowed by its own name rules and in
//    its groups. Limiting the known groups to its own changes nothing; to
//    none refuses it exactly when it has groups. Its xenstore form
//    (policy_codec.h), when it fits, decodes to an equal policy.
//  - Rejections are kInvalidArgument with a bounded message; a refused
//    stanza's message starts with the bad item's location.
#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "backend/policy/stanza.h"
#include "base/hostile_text.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/policy_invariants.h"
#include "xenstore-schema/limits.h"
#include "xenstore-schema/schema.h"

namespace xenshm::fuzz {
namespace {

using namespace xenshm::policy;

void CheckItemBounds(const StanzaItem& item, std::string_view text) {
  const std::string where(text);
  switch (item.kind) {
    case ItemKind::kAllow:
    case ItemKind::kDeny:
    case ItemKind::kReadOnly:
      FUZZ_CHECK(ParseGlob(item.pattern).has_value(), where);
      FUZZ_CHECK(item.groups.empty() && item.group.empty() && item.octal == 0 &&
                     !item.has_mode && item.name.empty() && item.size == 0,
                 where);
      break;
    case ItemKind::kGroups: {
      FUZZ_CHECK(!item.groups.empty() && item.groups.size() <= kMaxGroups,
                 where);
      std::set<std::string> distinct(item.groups.begin(), item.groups.end());
      FUZZ_CHECK(distinct.size() == item.groups.size(), where);
      for (const std::string& group : item.groups) {
        FUZZ_CHECK(ParseGroupName(group).has_value(), where);
      }
      FUZZ_CHECK(item.pattern.empty() && item.group.empty() &&
                     item.octal == 0 && item.name.empty(),
                 where);
      break;
    }
    case ItemKind::kGid:
      FUZZ_CHECK(ParseGroupName(item.group).has_value(), where);
      FUZZ_CHECK(item.pattern.empty() && item.groups.empty(), where);
      break;
    case ItemKind::kMode:
      FUZZ_CHECK((item.octal & ~0666u) == 0, where);
      FUZZ_CHECK(item.pattern.empty() && item.groups.empty(), where);
      break;
    case ItemKind::kUmask:
      FUZZ_CHECK(item.octal <= 0777, where);
      FUZZ_CHECK(item.pattern.empty() && item.groups.empty(), where);
      break;
    case ItemKind::kCreate:
      FUZZ_CHECK(schema::ParseRegionName(item.name).has_value(), where);
      FUZZ_CHECK(item.size >= 1 && item.size <= schema::kMaxRegionBytes, where);
      FUZZ_CHECK(item.has_mode ? (item.octal & ~0666u) == 0 : item.octal == 0,
                 where);
      FUZZ_CHECK(item.group.empty() || ParseGroupName(item.group).has_value(),
                 where);
      FUZZ_CHECK(item.pattern.empty() && item.groups.empty(), where);
      break;
    case ItemKind::kMaxRegions:
    case ItemKind::kMaxAttachments:
    case ItemKind::kMaxPending:
    case ItemKind::kMaxRequestRate:
      FUZZ_CHECK(item.limit <= kMaxQuotaCount, where);
      FUZZ_CHECK(item.pattern.empty() && item.groups.empty() &&
                     item.name.empty() && item.size == 0,
                 where);
      break;
    case ItemKind::kMaxRegionMemory:
    case ItemKind::kMaxMapped:
      FUZZ_CHECK(item.limit <= kMaxQuotaBytes, where);
      FUZZ_CHECK(item.pattern.empty() && item.groups.empty() &&
                     item.name.empty() && item.size == 0,
                 where);
      break;
  }
}

void CheckItem(std::string_view text) {
  auto item = ParseStanzaItem(text);
  if (!item) {
    CheckRejection(item.error(), {Code::kInvalidArgument}, "ParseStanzaItem",
                   1024, /*tabs_ok=*/true);
    return;
  }
  CheckItemBounds(*item, text);
  const std::string normal = FormatStanzaItem(*item);
  FUZZ_CHECK(normal.find_first_of(" \t") == std::string::npos, normal);
  auto again = ParseStanzaItem(normal);
  FUZZ_CHECK(again && *again == *item, std::string(text) + " -> " + normal);
  FUZZ_CHECK(FormatStanzaItem(*again) == normal, normal);
  const std::string padded = " \t" + std::string(text) + "\t ";
  if (padded.size() <= kMaxItemLength) {
    auto blank = ParseStanzaItem(padded);
    FUZZ_CHECK(blank && *blank == *item, padded);
  }
}

std::vector<LocatedItem> Lines(std::string_view text) {
  std::vector<LocatedItem> items;
  while (true) {
    const size_t end = text.find('\n');
    LocatedItem item;
    item.text = std::string(text.substr(0, end));
    item.line = static_cast<int>(items.size()) + 1;
    items.push_back(std::move(item));
    if (end == std::string_view::npos) return items;
    text.remove_prefix(end + 1);
  }
}

// The stanza's rules are its allow/deny/ro items in order, with "line N"
// sources; everything else CheckPolicyBounds checks.
void CheckPolicy(const DomainPolicy& policy,
                 const std::vector<LocatedItem>& items) {
  FUZZ_CHECK(items.size() <= kMaxItems, std::to_string(items.size()));
  CheckPolicyBounds(policy);
  size_t rule = 0;
  size_t read_only = 0;
  for (const LocatedItem& located : items) {
    auto item = ParseStanzaItem(located.text);
    FUZZ_CHECK(item.has_value(), located.text);
    const std::string source = "line " + std::to_string(located.line);
    if (item->kind == ItemKind::kAllow || item->kind == ItemKind::kDeny) {
      FUZZ_CHECK(rule < policy.name_rules.size(), located.text);
      const NameRule& written = policy.name_rules[rule++];
      FUZZ_CHECK(written.pattern == item->pattern && written.source == source,
                 located.text);
      FUZZ_CHECK((written.verdict == NameVerdict::kAllow) ==
                     (item->kind == ItemKind::kAllow),
                 located.text);
    } else if (item->kind == ItemKind::kReadOnly) {
      FUZZ_CHECK(read_only < policy.read_only.size(), located.text);
      const ReadOnlyRule& written = policy.read_only[read_only++];
      FUZZ_CHECK(written.pattern == item->pattern && written.source == source,
                 located.text);
    }
  }
  FUZZ_CHECK(rule == policy.name_rules.size(), "extra name rules");
  FUZZ_CHECK(read_only == policy.read_only.size(), "extra ro rules");
  for (const RegionSpec& spec : policy.pre_created) {
    FUZZ_CHECK(spec.source.starts_with("line "), spec.source);
  }
}

void CheckStanza(std::string_view text) {
  const std::vector<LocatedItem> items = Lines(text);
  auto policy = BuildDomainPolicy(items);
  if (!policy) {
    const Status& error = policy.error();
    CheckRejection(error, {Code::kInvalidArgument}, "BuildDomainPolicy", 4096,
                   /*tabs_ok=*/true);
    FUZZ_CHECK(error.message().starts_with("line "), error.message());
    const size_t line = std::stoul(error.message().substr(5));
    FUZZ_CHECK(line >= 1 && line <= items.size(), error.message());
    // The item as written when it could be one, else escaped and shortened.
    const std::string& bad = items[line - 1].text;
    const std::string quoted =
        ": " +
        (bad.size() <= kMaxItemLength && IsPrintableAscii(bad)
             ? "'" + bad + "'"
             : QuoteHostile(bad)) +
        ": ";
    FUZZ_CHECK(error.message().find(quoted) != std::string::npos,
               error.message());
    return;
  }
  CheckPolicy(*policy, items);

  const std::set<std::string> own(policy->groups.begin(), policy->groups.end());
  StanzaLimits limited;
  limited.known_groups = &own;
  auto same = BuildDomainPolicy(items, limited);
  FUZZ_CHECK(same && *same == *policy, "known groups = its own groups");
  const std::set<std::string> none;
  limited.known_groups = &none;
  auto unknown = BuildDomainPolicy(items, limited);
  FUZZ_CHECK(unknown.has_value() == policy->groups.empty(),
             "known groups = none");

  CheckCodecRoundTrip(*policy);
}

}  // namespace
}  // namespace xenshm::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = xenshm::fuzz::AsText(data, size);
  xenshm::fuzz::CheckItem(text);
  xenshm::fuzz::CheckStanza(text);
  return 0;
}
