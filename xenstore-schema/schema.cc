#include "xenstore-schema/schema.h"

#include <algorithm>
#include <string>

#include "base/hostile_text.h"

namespace xenshm::schema {
namespace {

constexpr std::string_view kLocalDomain = "/local/domain/";
constexpr std::string_view kFrontendSuffix = "/device/xenshm";

}  // namespace

std::string DomainPath(DomainId domain) {
  return std::string(kLocalDomain) + std::to_string(domain);
}
std::string FrontendRoot(DomainId domain) {
  return DomainPath(domain) + std::string(kFrontendSuffix);
}
std::string FrontendPath(DomainId domain, uint32_t handle) {
  return FrontendRoot(domain) + "/" + std::to_string(handle);
}
std::string FrontendNode(DomainId domain, uint32_t handle,
                         std::string_view node) {
  return FrontendPath(domain, handle) + "/" + std::string(node);
}
std::string BackendRoot() { return "/local/domain/0/backend/xenshm"; }
std::string BackendDomainPath(DomainId domain) {
  return BackendRoot() + "/" + std::to_string(domain);
}
std::string BackendPath(DomainId domain, uint32_t handle) {
  return BackendDomainPath(domain) + "/" + std::to_string(handle);
}
std::string BackendNode(DomainId domain, uint32_t handle,
                        std::string_view node) {
  return BackendPath(domain, handle) + "/" + std::string(node);
}
std::string RegistryRoot() { return "/local/domain/0/xenshm/regions"; }
std::string UsageRoot() { return "/local/domain/0/xenshm/usage"; }
std::string UsagePath(DomainId domain) {
  return UsageRoot() + "/" + std::to_string(domain);
}
std::string RegistryKey(std::string_view region_name) {
  std::string key(region_name);
  std::replace(key.begin(), key.end(), '.', '@');
  return key;
}

std::string RegionNameOfRegistryKey(std::string_view key) {
  std::string name(key);
  // A displaced region's leading '@' is its own.
  std::replace(name.begin() + (name.starts_with('@') ? 1 : 0), name.end(), '@',
               '.');
  return name;
}

std::string RegistryPath(std::string_view region_name) {
  return RegistryRoot() + "/" + RegistryKey(region_name);
}
std::string FormatPeerRef(PeerRef peer) {
  return std::to_string(peer.domain) + "/" + std::to_string(peer.handle);
}

Result<PeerRef> ParsePeerRef(std::string_view value) {
  const size_t slash = value.find('/');
  if (slash == std::string_view::npos) {
    return Error(Code::kInvalidArgument,
                 "peer " + QuoteHostile(value) + " is not <domid>/<handle>");
  }
  auto domain = ParseDomainId(value.substr(0, slash));
  if (!domain) return std::unexpected(domain.error());
  auto handle = ParseHandle(value.substr(slash + 1));
  if (!handle) return std::unexpected(handle.error());
  return PeerRef{*domain, *handle};
}

std::string RegistryPeerPath(std::string_view region_name, uint32_t index) {
  return RegistryPath(region_name) + "/" + std::string(kNodePeers) + "/" +
         std::to_string(index);
}

std::string BackendMemberPath(DomainId domain, uint32_t handle,
                              uint32_t index) {
  return BackendNode(domain, handle, kNodeMembers) + "/" +
         std::to_string(index);
}
std::string FrontendListEntry(DomainId domain, uint32_t handle,
                              std::string_view list, uint32_t index) {
  return FrontendNode(domain, handle, list) + "/" + std::to_string(index);
}

std::optional<FrontendLocation> ParseFrontendPath(std::string_view path) {
  if (!path.starts_with(kLocalDomain)) return std::nullopt;
  path.remove_prefix(kLocalDomain.size());
  size_t slash = path.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto domain = ParseDomainId(path.substr(0, slash));
  if (!domain) return std::nullopt;
  path.remove_prefix(slash);
  if (!path.starts_with(kFrontendSuffix)) return std::nullopt;
  path.remove_prefix(kFrontendSuffix.size());
  FrontendLocation location;
  location.domain = *domain;
  if (path.empty()) return location;
  if (path.front() != '/') return std::nullopt;
  path.remove_prefix(1);
  slash = path.find('/');
  auto handle = ParseHandle(path.substr(0, slash));
  if (!handle) return std::nullopt;
  location.handle = *handle;
  if (slash != std::string_view::npos) {
    location.node = std::string(path.substr(slash + 1));
  }
  return location;
}

std::optional<SignalEntry> ParseSignalEntry(std::string_view node) {
  for (std::string_view list : {kNodeOffers, kNodeBound}) {
    if (!node.starts_with(list) || node.size() <= list.size() ||
        node[list.size()] != '/') {
      continue;
    }
    auto index = ParsePeerIndex(node.substr(list.size() + 1));
    if (!index) return std::nullopt;
    return SignalEntry{std::string(list), *index};
  }
  return std::nullopt;
}

bool IsRegionNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

Result<std::string> ParseRegionName(std::string_view value) {
  if (value.empty()) return Error(Code::kIllegalName, "region name is empty");
  if (value.size() > kMaxNameLength) {
    return Error(Code::kIllegalName,
                 "region name is " + std::to_string(value.size()) +
                     " bytes, longer than " + std::to_string(kMaxNameLength));
  }
  for (char c : value) {
    if (!IsRegionNameChar(c)) {
      return Error(Code::kIllegalName,
                   "region name " + QuoteHostile(value) +
                       " has a character outside [A-Za-z0-9._-]");
    }
  }
  if (value.front() == '.') {
    return Error(Code::kIllegalName,
                 "region name " + QuoteHostile(value) + " starts with '.'");
  }
  return std::string(value);
}

Result<uint64_t> ParseSize(std::string_view value) {
  auto size = ParseDecimal(value, kMaxRegionBytes, "size");
  if (!size) return size;
  if (*size == 0) return Error(Code::kInvalidArgument, "size is zero");
  return size;
}

Result<AttachMode> ParseMode(std::string_view value) {
  if (value == "create-or-attach") return AttachMode::kCreateOrAttach;
  if (value == "attach") return AttachMode::kAttachOnly;
  return Error(
      Code::kInvalidArgument,
      "mode " + QuoteHostile(value) + " is not create-or-attach or attach");
}

Result<Access> ParseAccess(std::string_view value) {
  if (value == "rw") return Access::kReadWrite;
  if (value == "ro") return Access::kReadOnly;
  return Error(Code::kInvalidArgument,
               "access " + QuoteHostile(value) + " is not rw or ro");
}

Result<XenbusState> ParseState(std::string_view value) {
  auto number = ParseDecimal(value, 6, "state");
  if (!number) return std::unexpected(number.error());
  return static_cast<XenbusState>(*number);
}

Result<uint32_t> ParseHandle(std::string_view value) {
  auto number = ParseDecimal(value, kMaxHandle, "handle");
  if (!number) return std::unexpected(number.error());
  return static_cast<uint32_t>(*number);
}

Result<int> ParsePid(std::string_view value) {
  auto number = ParseDecimal(value, 4194304, "pid");
  if (!number) return std::unexpected(number.error());
  if (*number == 0) return Error(Code::kInvalidArgument, "pid 0");
  return static_cast<int>(*number);
}

Result<DomainId> ParseDomainId(std::string_view value) {
  // DOMID_FIRST_RESERVED is 0x7ff0.
  auto number = ParseDecimal(value, 0x7fef, "domain id");
  if (!number) return std::unexpected(number.error());
  return static_cast<DomainId>(*number);
}

Result<uint32_t> ParsePeerIndex(std::string_view value) {
  auto number = ParseDecimal(value, kMaxPeers - 1, "peer index");
  if (!number) return std::unexpected(number.error());
  return static_cast<uint32_t>(*number);
}

Result<EventPort> ParsePort(std::string_view value) {
  auto number = ParseDecimal(value, (1u << 17) - 1, "event channel port");
  if (!number) return std::unexpected(number.error());
  if (*number == 0) {
    return Error(Code::kInvalidArgument, "event channel port 0 is reserved");
  }
  return static_cast<EventPort>(*number);
}

std::string_view ModeName(AttachMode mode) {
  return mode == AttachMode::kAttachOnly ? "attach" : "create-or-attach";
}

std::string_view AccessName(Access access) {
  return access == Access::kReadOnly ? "ro" : "rw";
}

std::string StateValue(XenbusState state) {
  return std::to_string(static_cast<int>(state));
}

Status CheckFrontendTransition(XenbusState from, XenbusState to) {
  if (static_cast<int>(to) < static_cast<int>(from) ||
      to == XenbusState::kUnknown || to == XenbusState::kInitWait) {
    return Status(Code::kInvalidArgument, "frontend state may not move from " +
                                              StateValue(from) + " to " +
                                              StateValue(to));
  }
  return Status();
}

uint64_t PagesFor(uint64_t bytes) {
  return (bytes + kPageSize - 1) / kPageSize;
}

}  // namespace xenshm::schema
