#include "tools/xenshmctl/status_json.h"

#include <nlohmann/json.hpp>

namespace xenshm::ctl {
namespace {

// Keys in the order written here, which reads better than sorted.
using json = nlohmann::ordered_json;

template <typename T>
json OrNull(const std::optional<T>& value) {
  return value ? json(*value) : json(nullptr);
}

json PeerJson(const PeerReport& peer) {
  json out = {{"index", peer.index}};
  if (peer.attachment) {
    out["domain"] = peer.attachment->domain;
    out["handle"] = peer.attachment->handle;
  } else {
    out["error"] = peer.error;
  }
  return out;
}

json RegionJson(const RegionReport& region) {
  json peers = json::array();
  for (const PeerReport& peer : region.peers) peers.push_back(PeerJson(peer));
  return {{"name", region.name},           {"size", OrNull(region.size)},
          {"owner", OrNull(region.owner)}, {"group", OrNull(region.group)},
          {"mode", OrNull(region.mode)},   {"peers", std::move(peers)}};
}

json UsageJson(const DomainUsageReport& usage) {
  json quotas = json(nullptr);
  if (!usage.uses.empty()) {
    quotas = json::object();
    for (const QuotaUse& use : usage.uses) {
      json item = {{"limit", use.limit}};
      if (use.used) item["used"] = *use.used;
      quotas[use.key] = std::move(item);
    }
  }
  return {{"domain", usage.domain}, {"text", usage.text}, {"quotas", quotas}};
}

}  // namespace

std::string RenderStatusJson(const StatusReport& report) {
  const GrantBudgetReport& budget = report.budget;
  json regions = json::array();
  for (const RegionReport& region : report.regions) {
    regions.push_back(RegionJson(region));
  }
  json usage = json::array();
  for (const DomainUsageReport& domain : report.usage) {
    usage.push_back(UsageJson(domain));
  }
  const json document = {
      {"version", kStatusJsonVersion},
      {"module",
       {{"interface", report.module_abi},
        {"regions", report.counts.regions},
        {"pages", report.counts.pages},
        {"grants", report.counts.grants},
        {"deferred_frees", report.counts.deferred_frees}}},
      {"grant_table",
       {{"max_frames", budget.max_frames},
        {"entries_per_frame", budget.entries_per_frame},
        {"max_entries", budget.max_entries},
        {"xenshm_entries", budget.module_entries},
        {"free_estimate", budget.free_estimate},
        {"reserve", budget.reserve}}},
      {"usage", std::move(usage)},
      {"regions", std::move(regions)},
  };
  return document.dump(2, ' ', /*ensure_ascii=*/false,
                       json::error_handler_t::replace) +
         "\n";
}

}  // namespace xenshm::ctl
