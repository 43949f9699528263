// StatusReport: what `xenshmctl status` shows, gathered once and rendered
// either as text (status_text.h) or as JSON (status_json.h), so the two
// outputs cannot drift apart.
//
// The registry part is read from xenstore, where xenshmd publishes it
// (docs/xenstore.md); it is dom0's own data, but it is still read as text
// that may be malformed: a value that does not parse is kept as nullopt (or
// as an error string for a peer), never guessed.
#ifndef XENSHM_TOOLS_XENSHMCTL_STATUS_REPORT_H_
#define XENSHM_TOOLS_XENSHMCTL_STATUS_REPORT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "platform/region_granter.h"
#include "platform/xenstore.h"
#include "xenstore-schema/schema.h"

namespace xenshm::ctl {

// dom0's grant table as the kernel module reports it.
struct GrantBudgetReport {
  uint32_t max_frames = 0;
  uint32_t entries_per_frame = 0;
  uint64_t max_entries = 0;
  uint64_t module_entries = 0;
  uint64_t free_estimate = 0;
  uint64_t reserve = 0;  // entries xenshmd leaves to dom0's own drivers
};

// One `key=used/limit` of a usage line; `used` is absent for a rate.
struct QuotaUse {
  std::string key;  // "regions", "region-memory", "request-rate", ...
  std::optional<uint64_t> used;
  uint64_t limit = 0;
};

// A domain's usage against its quota (backend/core/quota_ledger.h's
// FormatUsage line). `uses` is empty when the line does not parse; `text`
// is always the line as published.
struct DomainUsageReport {
  DomainId domain = 0;
  std::string text;
  std::vector<QuotaUse> uses;
};

struct PeerReport {
  uint32_t index = 0;
  std::optional<schema::PeerRef> attachment;  // nullopt: see `error`
  std::string error;
};

struct RegionReport {
  std::string name;
  // Each nullopt when the registry has no such attribute or a malformed one.
  std::optional<uint64_t> size;
  std::optional<DomainId> owner;
  std::optional<std::string> group;
  std::optional<std::string> mode;  // four octal digits, e.g. "0640"
  std::vector<PeerReport> peers;    // by index
};

struct StatusReport {
  std::string module_abi;  // DescribeKmodAbi's text
  GranterCounts counts;
  GrantBudgetReport budget;
  std::vector<DomainUsageReport> usage;  // by domain id
  std::vector<RegionReport> regions;     // by name
};

// The registry's regions and the published usage lines, read from
// `xenstore` outside a transaction. A registry that does not exist yet is
// empty; any other failure to list it (no permission: not root) is the
// error, never an empty report. Entries whose key is not what xenshmd
// writes (a usage key that is no domain id, a peer index that is no
// number) are left out: they cannot have come from xenshmd. Attributes
// are read one by one, so a region destroyed meanwhile may show some as
// absent.
Result<std::vector<RegionReport>> ReadRegions(XenStore& xenstore);
Result<std::vector<DomainUsageReport>> ReadUsage(XenStore& xenstore);

// FormatUsage's line split into its `key=used/limit` and `key=limit/s`
// items; empty if any item is malformed.
std::vector<QuotaUse> ParseUsageLine(std::string_view line);

}  // namespace xenshm::ctl

#endif  // XENSHM_TOOLS_XENSHMCTL_STATUS_REPORT_H_
