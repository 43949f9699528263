#include "backend/policy/stanza_item.h"

#include <algorithm>

#include "backend/policy/region_mode.h"
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

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
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

}  // namespace

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
  }
  return "?";
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
    if (!IsNameChar(c) && c != '*' && c != '?' && c != '[' && c != ']' &&
        c != '!' && c != '^') {
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
    if (!IsNameChar(c) || c == '.') {
      return Error(Code::kInvalidArgument,
                   "group name '" + std::string(text) +
                       "' has a character outside [A-Za-z0-9_-]");
    }
  }
  if (text.front() == '-') {
    return Error(Code::kInvalidArgument,
                 "group name '" + std::string(text) + "' starts with '-'");
  }
  return std::string(text);
}

Result<uint64_t> ParseRegionSize(std::string_view text) {
  uint64_t unit = 1;
  std::string_view digits = text;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'K':
      case 'k':
        unit = 1ull << 10;
        break;
      case 'M':
      case 'm':
        unit = 1ull << 20;
        break;
      case 'G':
      case 'g':
        unit = 1ull << 30;
        break;
      default:
        break;
    }
    if (unit != 1) digits.remove_suffix(1);
  }
  auto number = schema::ParseDecimal(digits, schema::kMaxRegionBytes, "size");
  if (!number) {
    return Error(Code::kInvalidArgument,
                 "size '" + std::string(text) +
                     "' is not a size (bytes, or a number with K, M or G): " +
                     number.error().message());
  }
  if (*number == 0) return Error(Code::kInvalidArgument, "size is zero");
  if (*number > schema::kMaxRegionBytes / unit) {
    return Error(Code::kInvalidArgument,
                 "size " + std::string(text) + " is larger than " +
                     std::to_string(schema::kMaxRegionBytes) + " bytes");
  }
  return *number * unit;
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
  return Error(Code::kInvalidArgument,
               "unknown key '" + std::string(key) +
                   "' (expected allow, deny, ro, groups, gid, mode, umask or "
                   "create)");
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
  }
  return out;
}

}  // namespace xenshm::policy
