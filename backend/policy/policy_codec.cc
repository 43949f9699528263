#include "backend/policy/policy_codec.h"

#include <algorithm>
#include <vector>

#include "base/hostile_text.h"

namespace xenshm::policy {
namespace {

constexpr std::string_view kFileName = "policy";

std::string CleanSource(const RuleSource& source) {
  std::string clean = source.substr(0, kMaxSourceLength);
  for (char& c : clean) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  return clean;
}

void AddLine(std::string& out, const StanzaItem& item,
             const RuleSource& source) {
  out += FormatStanzaItem(item);
  if (!source.empty()) out += "\t" + CleanSource(source);
  out += "\n";
}

struct QuotaLine {
  ItemKind kind;
  uint64_t value;
  uint64_t standard;  // DomainQuota's default
};

const std::vector<XsPermission>& Dom0Only() {
  static const std::vector<XsPermission> perms = {{kDom0, XsAccess::kNone}};
  return perms;
}

}  // namespace

Result<std::string> SerializePolicy(const DomainPolicy& policy) {
  std::string out = std::string(kPolicyHeader) + "\n";
  if (!policy.groups.empty()) {
    StanzaItem item;
    item.kind = ItemKind::kGroups;
    item.groups = policy.groups;
    AddLine(out, item, "");
  }
  // The builder gives a stanza without gid= the first group.
  const std::string implied_gid =
      policy.groups.empty() ? std::string() : policy.groups.front();
  if (policy.gid != implied_gid) {
    StanzaItem item;
    item.kind = ItemKind::kGid;
    item.group = policy.gid;
    AddLine(out, item, "");
  }
  if (policy.mode != kDefaultMode) {
    StanzaItem item;
    item.kind = ItemKind::kMode;
    item.octal = policy.mode;
    AddLine(out, item, "");
  }
  if (policy.umask != kDefaultUmask) {
    StanzaItem item;
    item.kind = ItemKind::kUmask;
    item.octal = policy.umask;
    AddLine(out, item, "");
  }
  // Quota items only where they differ from the defaults, as mode and umask.
  const backend::DomainQuota& quota = policy.quota;
  const backend::DomainQuota standard;
  const QuotaLine quota_lines[] = {
      {ItemKind::kMaxRegions, quota.regions, standard.regions},
      {ItemKind::kMaxAttachments, quota.attachments, standard.attachments},
      {ItemKind::kMaxRegionMemory, quota.region_bytes, standard.region_bytes},
      {ItemKind::kMaxMapped, quota.mapped_bytes, standard.mapped_bytes},
      {ItemKind::kMaxPending, quota.pending, standard.pending},
      {ItemKind::kMaxRequestRate, quota.request_rate, standard.request_rate},
  };
  for (const QuotaLine& line : quota_lines) {
    if (line.value == line.standard) continue;
    StanzaItem item;
    item.kind = line.kind;
    item.limit = line.value;
    AddLine(out, item, "");
  }
  for (const NameRule& rule : policy.name_rules) {
    StanzaItem item;
    item.kind = rule.verdict == NameVerdict::kAllow ? ItemKind::kAllow
                                                    : ItemKind::kDeny;
    item.pattern = rule.pattern;
    AddLine(out, item, rule.source);
  }
  for (const ReadOnlyRule& rule : policy.read_only) {
    StanzaItem item;
    item.kind = ItemKind::kReadOnly;
    item.pattern = rule.pattern;
    AddLine(out, item, rule.source);
  }
  for (const RegionSpec& spec : policy.pre_created) {
    StanzaItem item;
    item.kind = ItemKind::kCreate;
    item.name = spec.name;
    item.size = spec.size;
    item.octal = spec.mode;
    item.has_mode = true;
    item.group = spec.gid;
    AddLine(out, item, spec.source);
  }
  if (out.size() > kMaxSerializedPolicyBytes) {
    return Error(Code::kInvalidArgument,
                 "the policy is " + std::to_string(out.size()) +
                     " bytes serialized, more than the " +
                     std::to_string(kMaxSerializedPolicyBytes) +
                     " one xenstore node holds; use fewer or shorter items");
  }
  return out;
}

Result<DomainPolicy> ParseSerializedPolicy(std::string_view text) {
  if (text.size() > kMaxSerializedPolicyBytes) {
    return Error(Code::kInvalidArgument,
                 "policy is " + std::to_string(text.size()) +
                     " bytes, more than " +
                     std::to_string(kMaxSerializedPolicyBytes));
  }
  if (!text.starts_with(kPolicyHeader) ||
      (text.size() > kPolicyHeader.size() &&
       text[kPolicyHeader.size()] != '\n')) {
    return Error(Code::kInvalidArgument, "policy line 1: expected header '" +
                                             std::string(kPolicyHeader) + "'");
  }
  text.remove_prefix(std::min(text.size(), kPolicyHeader.size() + 1));
  if (!text.empty() && text.back() != '\n') {
    return Error(Code::kInvalidArgument,
                 "policy: last line has no newline (truncated?)");
  }
  std::vector<LocatedItem> items;
  int line = 1;
  while (!text.empty()) {
    ++line;
    const size_t end = text.find('\n');
    std::string_view row = text.substr(0, end);
    text.remove_prefix(end + 1);
    LocatedItem item;
    item.file = std::string(kFileName);
    item.line = line;
    item.source.emplace();
    const size_t tab = row.find('\t');
    if (tab != std::string_view::npos) {
      std::string_view source = row.substr(tab + 1);
      if (source.empty() || source.size() > kMaxSourceLength) {
        return Error(Code::kInvalidArgument,
                     "policy line " + std::to_string(line) +
                         ": source must be 1.." +
                         std::to_string(kMaxSourceLength) + " bytes");
      }
      if (!IsPrintableAscii(source)) {
        return Error(Code::kInvalidArgument,
                     "policy line " + std::to_string(line) +
                         ": source is not printable ASCII");
      }
      item.source = std::string(source);
      row = row.substr(0, tab);
    }
    item.text = std::string(row);
    items.push_back(std::move(item));
  }
  return BuildDomainPolicy(items);
}

// ---------------------------------------------------------------- node

std::string PolicyRoot() { return "/local/domain/0/xenshm/policy"; }

std::string PolicyPath(DomainId domain) {
  return PolicyRoot() + "/" + std::to_string(domain);
}

Result<std::string> ReadDom0OwnedNode(XenStore& xenstore,
                                      const std::string& path) {
  auto perms = xenstore.GetPermissions(kNoTransaction, path);
  if (!perms) return Error(perms.error());
  if (perms->empty() || (*perms)[0].domain != kDom0) {
    return Error(Code::kNoPermission,
                 path + " is not owned by dom0; ignoring it");
  }
  return xenstore.Read(kNoTransaction, path);
}

Result<DomainPolicy> ReadDomainPolicy(XenStore& xenstore, DomainId domain) {
  const std::string path = PolicyPath(domain);
  auto value = ReadDom0OwnedNode(xenstore, path);
  if (!value) return Error(value.error());
  auto policy = ParseSerializedPolicy(*value);
  if (!policy) {
    return Error(policy.error().code(), path + ": " + policy.error().message());
  }
  return policy;
}

Status WriteDomainPolicy(XenStore& xenstore, DomainId domain,
                         const DomainPolicy& policy) {
  auto text = SerializePolicy(policy);
  if (!text) {
    return Status(text.error().code(), "domain " + std::to_string(domain) +
                                           ": " + text.error().message());
  }
  XENSHM_RETURN_IF_ERROR(xenstore.Mkdir(kNoTransaction, PolicyRoot()));
  XENSHM_RETURN_IF_ERROR(
      xenstore.SetPermissions(kNoTransaction, PolicyRoot(), Dom0Only()));
  const std::string path = PolicyPath(domain);
  // Created under the dom0-only root, the node inherits its permissions;
  // setting them again covers a node left by an earlier domain.
  XENSHM_RETURN_IF_ERROR(xenstore.Write(kNoTransaction, path, *text));
  return xenstore.SetPermissions(kNoTransaction, path, Dom0Only());
}

Status RemoveDomainPolicy(XenStore& xenstore, DomainId domain) {
  Status removed = xenstore.Remove(kNoTransaction, PolicyPath(domain));
  if (removed.code() == Code::kNotFound) return Status();
  return removed;
}

}  // namespace xenshm::policy
