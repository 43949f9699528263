#include "backend/policy/stanza.h"

#include <algorithm>
#include <map>
#include <optional>

#include "backend/policy/access_rules.h"
#include "base/hostile_text.h"
#include "base/numbers.h"
#include "xenstore-schema/limits.h"
#include "xenstore-schema/schema.h"

namespace xenshm::policy {
namespace {

std::string_view Trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) {
    text.remove_prefix(1);
  }
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) {
    text.remove_suffix(1);
  }
  return text;
}

std::vector<std::string_view> Split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t at = text.find(separator);
    parts.push_back(Trim(text.substr(0, at)));
    if (at == std::string_view::npos) return parts;
    text.remove_prefix(at + 1);
  }
}

struct KeyValue {
  std::string_view key;
  std::string_view value;
};

Result<KeyValue> SplitKeyValue(std::string_view text) {
  size_t at = text.find('=');
  if (at == std::string_view::npos) {
    return Error(Code::kInvalidArgument,
                 "'" + std::string(text) + "' is not key=value");
  }
  return KeyValue{Trim(text.substr(0, at)), Trim(text.substr(at + 1))};
}

// Group names: the region-name alphabet without '.'.
bool IsGroupNameChar(char c) { return schema::IsRegionNameChar(c) && c != '.'; }

// Octal digits, 1..4 of them, at most 0777.
Result<uint32_t> ParseOctal(std::string_view text, std::string_view what) {
  if (text.empty() || text.size() > 4) {
    return Error(Code::kInvalidArgument,
                 std::string(what) + " must be 1 to 4 octal digits");
  }
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '7') {
      return Error(
          Code::kInvalidArgument,
          std::string(what) + " '" + std::string(text) + "' is not octal");
    }
    value = value * 8 + static_cast<uint32_t>(c - '0');
  }
  if (value > 0777) {
    return Error(
        Code::kInvalidArgument,
        std::string(what) + " " + std::string(text) + " has bits beyond 0777");
  }
  return value;
}
Result<StanzaItem> ParseCreate(std::string_view value) {
  std::vector<std::string_view> parts = Split(value, ',');
  StanzaItem item;
  item.kind = ItemKind::kCreate;
  auto name = schema::ParseRegionName(parts[0]);
  if (!name) {
    return Error(Code::kInvalidArgument, "create: " + name.error().message());
  }
  item.name = *name;
  bool has_size = false;
  bool has_gid = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    auto kv = SplitKeyValue(parts[i]);
    if (!kv)
      return Error(Code::kInvalidArgument, "create: " + kv.error().message());
    if (kv->key == "size" && !has_size) {
      auto size = ParseRegionSize(kv->value);
      if (!size) return Error(size.error());
      item.size = *size;
      has_size = true;
    } else if (kv->key == "mode" && !item.has_mode) {
      auto mode = ParseMode(kv->value);
      if (!mode) return Error(mode.error());
      item.octal = *mode;
      item.has_mode = true;
    } else if (kv->key == "gid" && !has_gid) {
      auto group = ParseGroupName(kv->value);
      if (!group) return Error(group.error());
      item.group = *group;
      has_gid = true;
    } else if (kv->key == "size" || kv->key == "mode" || kv->key == "gid") {
      return Error(Code::kInvalidArgument,
                   "create: " + std::string(kv->key) + " given twice");
    } else {
      return Error(Code::kInvalidArgument,
                   "create: unknown option '" + std::string(kv->key) +
                       "' (expected size, mode or gid)");
    }
  }
  if (!has_size) {
    return Error(Code::kInvalidArgument,
                 "create=" + item.name + " has no size=");
  }
  return item;
}

std::string Quoted(const std::string& text) { return "'" + text + "'"; }

// An item as written, for messages: verbatim if it could be an item at all
// (printable, at most kMaxItemLength bytes), else escaped and shortened, so
// a refusal of a hostile item stays one bounded, printable line.
std::string QuotedItem(const std::string& text) {
  if (text.size() <= kMaxItemLength && IsPrintableAscii(text)) {
    return Quoted(text);
  }
  return QuoteHostile(text);
}

}  // namespace

// ---------------------------------------------------------------- items

std::string_view ItemKey(ItemKind kind) {
  switch (kind) {
    case ItemKind::kAllow:
      return "allow";
    case ItemKind::kDeny:
      return "deny";
    case ItemKind::kReadOnly:
      return "ro";
    case ItemKind::kGroups:
      return "groups";
    case ItemKind::kGid:
      return "gid";
    case ItemKind::kMode:
      return "mode";
    case ItemKind::kUmask:
      return "umask";
    case ItemKind::kCreate:
      return "create";
    case ItemKind::kMaxRegions:
      return "max-regions";
    case ItemKind::kMaxAttachments:
      return "max-attachments";
    case ItemKind::kMaxRegionMemory:
      return "max-region-memory";
    case ItemKind::kMaxMapped:
      return "max-mapped";
    case ItemKind::kMaxPending:
      return "max-pending";
    case ItemKind::kMaxRequestRate:
      return "max-request-rate";
  }
  return "?";
}

Result<uint64_t> ParseQuotaValue(ItemKind kind, std::string_view text) {
  const std::string_view key = ItemKey(kind);
  if (kind == ItemKind::kMaxRegionMemory || kind == ItemKind::kMaxMapped) {
    return ParseByteSize(text, kMaxQuotaBytes, key);
  }
  return ParseDecimal(text, kMaxQuotaCount, key);
}

Result<std::string> ParseGlob(std::string_view text) {
  if (text.empty()) return Error(Code::kInvalidArgument, "empty pattern");
  if (text.size() > kMaxPatternLength) {
    return Error(Code::kInvalidArgument, "pattern is " +
                                             std::to_string(text.size()) +
                                             " bytes, longer than " +
                                             std::to_string(kMaxPatternLength));
  }
  bool in_bracket = false;
  size_t bracket_start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '[' && !in_bracket) {
      in_bracket = true;
      bracket_start = i;
      // "[]...]" and "[!]...]": a ']' right after the opening is literal.
      size_t next = i + 1;
      if (next < text.size() && (text[next] == '!' || text[next] == '^')) {
        ++next;
      }
      if (next < text.size() && text[next] == ']') i = next;
      continue;
    }
    if (c == ']' && in_bracket) {
      in_bracket = false;
      continue;
    }
    if (!schema::IsRegionNameChar(c) && c != '*' && c != '?' && c != '[' &&
        c != ']' && c != '!' && c != '^') {
      return Error(Code::kInvalidArgument,
                   "pattern '" + std::string(text) +
                       "' has a character outside region-name characters "
                       "and *?[]!^");
    }
  }
  if (in_bracket) {
    return Error(Code::kInvalidArgument, "pattern '" + std::string(text) +
                                             "' has an unclosed '[' at " +
                                             std::to_string(bracket_start + 1));
  }
  return std::string(text);
}

Result<std::string> ParseGroupName(std::string_view text) {
  if (text.empty()) return Error(Code::kInvalidArgument, "empty group name");
  if (text.size() > kMaxGroupNameLength) {
    return Error(Code::kInvalidArgument,
                 "group name is longer than " +
                     std::to_string(kMaxGroupNameLength) + " bytes");
  }
  for (char c : text) {
    if (!IsGroupNameChar(c)) {
      return Error(Code::kInvalidArgument,
                   "group name " + QuoteHostile(text) +
                       " has a character outside [A-Za-z0-9_-]");
    }
  }
  if (text.front() == '-') {
    return Error(Code::kInvalidArgument,
                 "group name '" + std::string(text) + "' starts with '-'");
  }
  return std::string(text);
}

Result<uint64_t> ParseRegionSize(std::string_view text) {
  auto size = ParseByteSize(text, schema::kMaxRegionBytes, "size");
  if (!size) return size;
  if (*size == 0) return Error(Code::kInvalidArgument, "size is zero");
  return size;
}

Result<uint32_t> ParseMode(std::string_view text) {
  auto mode = ParseOctal(text, "mode");
  if (!mode) return mode;
  if ((*mode & 0111) != 0) {
    return Error(Code::kInvalidArgument,
                 "mode " + std::string(text) +
                     " has execute bits; region modes have only r and w");
  }
  return mode;
}

Result<uint32_t> ParseUmask(std::string_view text) {
  return ParseOctal(text, "umask");
}

std::string FormatMode(uint32_t mode) {
  std::string out = "0000";
  for (int i = 3; i >= 1; --i) {
    out[i] = static_cast<char>('0' + (mode & 7));
    mode >>= 3;
  }
  return out;
}

Result<StanzaItem> ParseStanzaItem(std::string_view text) {
  if (text.size() > kMaxItemLength) {
    return Error(Code::kInvalidArgument,
                 "item is " + std::to_string(text.size()) +
                     " bytes, longer than " + std::to_string(kMaxItemLength));
  }
  for (char c : text) {
    if (c != '\t' && (c < 0x20 || c > 0x7e)) {
      return Error(Code::kInvalidArgument,
                   "item has a byte that is not printable ASCII");
    }
  }
  auto kv = SplitKeyValue(Trim(text));
  if (!kv) return Error(kv.error());
  StanzaItem item;
  const std::string_view key = kv->key;
  const std::string_view value = kv->value;
  if (key == "create") return ParseCreate(value);
  if (key == "allow" || key == "deny" || key == "ro") {
    item.kind = key == "allow"  ? ItemKind::kAllow
                : key == "deny" ? ItemKind::kDeny
                                : ItemKind::kReadOnly;
    auto glob = ParseGlob(value);
    if (!glob) return Error(glob.error());
    item.pattern = *glob;
    return item;
  }
  if (key == "groups") {
    item.kind = ItemKind::kGroups;
    for (std::string_view part : Split(value, ',')) {
      auto group = ParseGroupName(part);
      if (!group) return Error(group.error());
      if (std::find(item.groups.begin(), item.groups.end(), *group) !=
          item.groups.end()) {
        return Error(Code::kInvalidArgument,
                     "group '" + *group + "' listed twice");
      }
      item.groups.push_back(*group);
    }
    if (item.groups.size() > kMaxGroups) {
      return Error(Code::kInvalidArgument,
                   "more than " + std::to_string(kMaxGroups) + " groups");
    }
    return item;
  }
  if (key == "gid") {
    item.kind = ItemKind::kGid;
    auto group = ParseGroupName(value);
    if (!group) return Error(group.error());
    item.group = *group;
    return item;
  }
  if (key == "mode" || key == "umask") {
    item.kind = key == "mode" ? ItemKind::kMode : ItemKind::kUmask;
    auto octal = key == "mode" ? ParseMode(value) : ParseUmask(value);
    if (!octal) return Error(octal.error());
    item.octal = *octal;
    return item;
  }
  for (ItemKind kind : kQuotaItems) {
    if (key != ItemKey(kind)) continue;
    item.kind = kind;
    auto limit = ParseQuotaValue(kind, value);
    if (!limit) return Error(limit.error());
    item.limit = *limit;
    return item;
  }
  return Error(Code::kInvalidArgument,
               "unknown key '" + std::string(key) +
                   "' (expected allow, deny, ro, groups, gid, mode, umask, "
                   "create, max-regions, max-attachments, max-region-memory, "
                   "max-mapped, max-pending or max-request-rate)");
}

std::string FormatStanzaItem(const StanzaItem& item) {
  std::string out = std::string(ItemKey(item.kind)) + "=";
  switch (item.kind) {
    case ItemKind::kAllow:
    case ItemKind::kDeny:
    case ItemKind::kReadOnly:
      return out + item.pattern;
    case ItemKind::kGroups:
      for (size_t i = 0; i < item.groups.size(); ++i) {
        if (i > 0) out += ",";
        out += item.groups[i];
      }
      return out;
    case ItemKind::kGid:
      return out + item.group;
    case ItemKind::kMode:
    case ItemKind::kUmask:
      return out + FormatMode(item.octal);
    case ItemKind::kCreate:
      out += item.name + ",size=" + std::to_string(item.size);
      if (item.has_mode) out += ",mode=" + FormatMode(item.octal);
      if (!item.group.empty()) out += ",gid=" + item.group;
      return out;
    case ItemKind::kMaxRegions:
    case ItemKind::kMaxAttachments:
    case ItemKind::kMaxRegionMemory:
    case ItemKind::kMaxMapped:
    case ItemKind::kMaxPending:
    case ItemKind::kMaxRequestRate:
      return out + std::to_string(item.limit);
  }
  return out;
}

// ---------------------------------------------------------------- building

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
    return Error(Code::kInvalidArgument,
                 ErrorLocation(items[index], index) + ": " +
                     QuotedItem(items[index].text) + ": " + reason);
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
      case ItemKind::kMaxRegions:
        policy.quota.regions = static_cast<uint32_t>(item.limit);
        break;
      case ItemKind::kMaxAttachments:
        policy.quota.attachments = static_cast<uint32_t>(item.limit);
        break;
      case ItemKind::kMaxRegionMemory:
        policy.quota.region_bytes = item.limit;
        break;
      case ItemKind::kMaxMapped:
        policy.quota.mapped_bytes = item.limit;
        break;
      case ItemKind::kMaxPending:
        policy.quota.pending = static_cast<uint32_t>(item.limit);
        break;
      case ItemKind::kMaxRequestRate:
        policy.quota.request_rate = static_cast<uint32_t>(item.limit);
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
