#include "tools/xenshmctl/status_text.h"

#include "base/numbers.h"

namespace xenshm::ctl {
namespace {

std::string OrDash(const std::optional<std::string>& text) {
  return text.value_or("-");
}

std::string PeerText(const PeerReport& peer) {
  return std::to_string(peer.index) + "=" +
         (peer.attachment ? "dom" + schema::FormatPeerRef(*peer.attachment)
                          : "? (" + peer.error + ")");
}

std::string RegionLine(const RegionReport& region) {
  std::string line =
      "region '" + region.name + "': size " +
      (region.size ? FormatByteSize(*region.size) : "-") + ", owner dom" +
      (region.owner ? std::to_string(*region.owner) : "-") + ", group " +
      OrDash(region.group) + ", mode " + OrDash(region.mode) + ", peers";
  if (region.peers.empty()) line += " none";
  for (const PeerReport& peer : region.peers) line += " " + PeerText(peer);
  return line + "\n";
}

}  // namespace

std::string RenderBudgetText(const GrantBudgetReport& budget) {
  return "grant table: " + std::to_string(budget.max_frames) + " frames x " +
         std::to_string(budget.entries_per_frame) +
         " entries = " + std::to_string(budget.max_entries) +
         " entries; xenshm holds " + std::to_string(budget.module_entries) +
         "; about " + std::to_string(budget.free_estimate) +
         " free (xenshmd keeps " + std::to_string(budget.reserve) +
         " for dom0's own drivers)\n"
         "to raise it: Xen boot option gnttab_max_frames=N (now " +
         std::to_string(budget.max_frames) + "); each frame adds " +
         std::to_string(budget.entries_per_frame) + " entries\n";
}

std::string RenderStatusText(const StatusReport& report) {
  const GranterCounts& counts = report.counts;
  std::string text = "module interface: " + report.module_abi + "\n" +
                     "module: " + std::to_string(counts.regions) +
                     " regions, " + std::to_string(counts.pages) + " pages, " +
                     std::to_string(counts.grants) + " grants, " +
                     std::to_string(counts.deferred_frees) +
                     " deferred frees\n" + RenderBudgetText(report.budget);
  if (report.usage.empty()) text += "quota usage: no guest holds anything\n";
  for (const DomainUsageReport& usage : report.usage) {
    text += "domain " + std::to_string(usage.domain) + ": " + usage.text + "\n";
  }
  if (report.regions.empty()) text += "regions: none\n";
  for (const RegionReport& region : report.regions) text += RegionLine(region);
  return text;
}

}  // namespace xenshm::ctl
