// Builders of StatusReport pieces for the renderers' tests: one line a
// region, peer or usage entry.
#ifndef XENSHM_TOOLS_XENSHMCTL_STATUS_REPORT_BUILDERS_H_
#define XENSHM_TOOLS_XENSHMCTL_STATUS_REPORT_BUILDERS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "tools/xenshmctl/status_report.h"

namespace xenshm::ctl::testing {

inline RegionReport Region(std::string name, std::optional<uint64_t> size = {},
                           std::optional<DomainId> owner = {},
                           std::optional<std::string> group = {},
                           std::optional<std::string> mode = {},
                           std::vector<PeerReport> peers = {}) {
  RegionReport region;
  region.name = std::move(name);
  region.size = size;
  region.owner = owner;
  region.group = std::move(group);
  region.mode = std::move(mode);
  region.peers = std::move(peers);
  return region;
}

inline PeerReport Peer(uint32_t index, schema::PeerRef attachment) {
  PeerReport peer;
  peer.index = index;
  peer.attachment = attachment;
  return peer;
}

inline PeerReport BadPeer(uint32_t index, std::string error) {
  PeerReport peer;
  peer.index = index;
  peer.error = std::move(error);
  return peer;
}

inline DomainUsageReport Usage(DomainId domain, std::string text,
                               std::vector<QuotaUse> uses = {}) {
  DomainUsageReport usage;
  usage.domain = domain;
  usage.text = std::move(text);
  usage.uses = std::move(uses);
  return usage;
}

}  // namespace xenshm::ctl::testing

#endif  // XENSHM_TOOLS_XENSHMCTL_STATUS_REPORT_BUILDERS_H_
