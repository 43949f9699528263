#include "tools/xenshmctl/status_report.h"

#include <algorithm>
#include <string_view>

#include "base/numbers.h"

namespace xenshm::ctl {
namespace {

// The children of `path`; none when it does not exist.
Result<std::vector<std::string>> ListOrNone(XenStore& xenstore,
                                            const std::string& path) {
  auto children = xenstore.List(kNoTransaction, path);
  if (!children && children.error().code() == Code::kNotFound) {
    return std::vector<std::string>{};
  }
  return children;
}

std::optional<std::string> ReadAttribute(XenStore& xenstore,
                                         const std::string& region_path,
                                         std::string_view node) {
  auto value =
      xenstore.Read(kNoTransaction, region_path + "/" + std::string(node));
  if (!value) return std::nullopt;
  return *value;
}

bool IsModeText(std::string_view text) {
  return text.size() == 4 && std::all_of(text.begin(), text.end(), [](char c) {
           return c >= '0' && c <= '7';
         });
}

std::vector<PeerReport> ReadPeers(XenStore& xenstore,
                                  const std::string& region_path) {
  const std::string peers_path =
      region_path + "/" + std::string(schema::kNodePeers);
  std::vector<PeerReport> peers;
  auto indexes = xenstore.List(kNoTransaction, peers_path);
  for (const std::string& key : indexes.value_or(std::vector<std::string>{})) {
    auto index = schema::ParsePeerIndex(key);
    if (!index) continue;
    PeerReport peer;
    peer.index = static_cast<uint32_t>(*index);
    auto value = xenstore.Read(kNoTransaction, peers_path + "/" + key);
    auto ref = value ? schema::ParsePeerRef(*value)
                     : Result<schema::PeerRef>(Error(value.error()));
    if (ref) {
      peer.attachment = *ref;
    } else {
      peer.error = ref.error().message();
    }
    peers.push_back(std::move(peer));
  }
  std::sort(peers.begin(), peers.end(),
            [](const PeerReport& a, const PeerReport& b) {
              return a.index < b.index;
            });
  return peers;
}

}  // namespace

Result<std::vector<RegionReport>> ReadRegions(XenStore& xenstore) {
  auto keys = ListOrNone(xenstore, schema::RegistryRoot());
  if (!keys) return Error(keys.error());
  std::vector<RegionReport> regions;
  for (const std::string& key : *keys) {
    RegionReport region;
    region.name = schema::RegionNameOfRegistryKey(key);
    const std::string path = schema::RegistryRoot() + "/" + key;
    if (auto size = ReadAttribute(xenstore, path, schema::kRegistrySize)) {
      if (auto n = ParseDecimal(*size, schema::kMaxRegionBytes, "size")) {
        region.size = *n;
      }
    }
    if (auto owner = ReadAttribute(xenstore, path, schema::kRegistryOwner)) {
      if (auto domain = schema::ParseDomainId(*owner)) region.owner = *domain;
    }
    region.group = ReadAttribute(xenstore, path, schema::kRegistryGid);
    if (auto mode = ReadAttribute(xenstore, path, schema::kRegistryMode)) {
      if (IsModeText(*mode)) region.mode = *mode;
    }
    region.peers = ReadPeers(xenstore, path);
    regions.push_back(std::move(region));
  }
  std::sort(regions.begin(), regions.end(),
            [](const RegionReport& a, const RegionReport& b) {
              return a.name < b.name;
            });
  return regions;
}

std::vector<QuotaUse> ParseUsageLine(std::string_view line) {
  std::vector<QuotaUse> uses;
  bool more = !line.empty();
  while (more) {
    const size_t space = line.find(' ');
    more = space != std::string_view::npos;
    std::string_view item = line.substr(0, space);
    line = more ? line.substr(space + 1) : "";
    const size_t equals = item.find('=');
    if (equals == std::string_view::npos || equals == 0) return {};
    QuotaUse use;
    use.key = std::string(item.substr(0, equals));
    std::string_view value = item.substr(equals + 1);
    if (value.ends_with("/s")) {
      value.remove_suffix(2);
    } else {
      const size_t slash = value.find('/');
      if (slash == std::string_view::npos) return {};
      auto used = ParseDecimal(value.substr(0, slash), UINT64_MAX, use.key);
      if (!used) return {};
      use.used = *used;
      value = value.substr(slash + 1);
    }
    auto limit = ParseDecimal(value, UINT64_MAX, use.key);
    if (!limit) return {};
    use.limit = *limit;
    uses.push_back(std::move(use));
  }
  return uses;
}

Result<std::vector<DomainUsageReport>> ReadUsage(XenStore& xenstore) {
  auto keys = ListOrNone(xenstore, schema::UsageRoot());
  if (!keys) return Error(keys.error());
  std::vector<DomainUsageReport> usage;
  for (const std::string& key : *keys) {
    auto domain = schema::ParseDomainId(key);
    if (!domain) continue;
    auto line = xenstore.Read(kNoTransaction, schema::UsageRoot() + "/" + key);
    if (!line) continue;  // removed since the listing: it holds nothing now
    DomainUsageReport report;
    report.domain = *domain;
    report.text = *line;
    report.uses = ParseUsageLine(*line);
    usage.push_back(std::move(report));
  }
  std::sort(usage.begin(), usage.end(),
            [](const DomainUsageReport& a, const DomainUsageReport& b) {
              return a.domain < b.domain;
            });
  return usage;
}

}  // namespace xenshm::ctl
