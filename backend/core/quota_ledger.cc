#include "backend/core/quota_ledger.h"

namespace xenshm::backend {
namespace {

std::string Pair(uint64_t used, uint64_t limit) {
  return std::to_string(used) + "/" + std::to_string(limit);
}

// kQuotaExceeded if `used` + `more` > `limit`.
Status CheckOne(DomainId domain, uint64_t used, uint64_t more, uint64_t limit,
                std::string_view what, std::string_view key) {
  if (more == 0 || used + more <= limit) return Status();
  return Status(Code::kQuotaExceeded,
                "domain " + std::to_string(domain) + " would hold " +
                    std::to_string(used + more) + " " + std::string(what) +
                    " (" + std::to_string(used) + " now), over its limit of " +
                    std::to_string(limit) + "; raise it with " +
                    std::string(key) +
                    "= in the domain's xenshm stanza or the dom0 policy file");
}

}  // namespace

std::string FormatUsage(const DomainUsage& usage, const DomainQuota& quota) {
  return "regions=" + Pair(usage.regions, quota.regions) +
         " attachments=" + Pair(usage.attachments, quota.attachments) +
         " region-memory=" + Pair(usage.region_bytes, quota.region_bytes) +
         " mapped=" + Pair(usage.mapped_bytes, quota.mapped_bytes) +
         " pending=" + Pair(usage.pending, quota.pending) +
         " request-rate=" + std::to_string(quota.request_rate) + "/s";
}

Status CheckQuota(DomainId domain, const DomainUsage& usage,
                  const DomainUsage& more, const DomainQuota& quota) {
  XENSHM_RETURN_IF_ERROR(CheckOne(domain, usage.pending, more.pending,
                                  quota.pending, "pending requests",
                                  "max-pending"));
  XENSHM_RETURN_IF_ERROR(CheckOne(domain, usage.regions, more.regions,
                                  quota.regions, "regions it created",
                                  "max-regions"));
  XENSHM_RETURN_IF_ERROR(CheckOne(
      domain, usage.region_bytes, more.region_bytes, quota.region_bytes,
      "bytes of regions it created", "max-region-memory"));
  XENSHM_RETURN_IF_ERROR(CheckOne(domain, usage.attachments, more.attachments,
                                  quota.attachments, "attachments",
                                  "max-attachments"));
  return CheckOne(domain, usage.mapped_bytes, more.mapped_bytes,
                  quota.mapped_bytes, "bytes granted to it", "max-mapped");
}

DomainUsage QuotaLedger::UsageOf(DomainId domain) const {
  auto it = usage_.find(domain);
  return it == usage_.end() ? DomainUsage{} : it->second;
}

void QuotaLedger::Charge(DomainId domain, const DomainUsage& what) {
  DomainUsage& usage = usage_[domain];
  usage.regions += what.regions;
  usage.attachments += what.attachments;
  usage.region_bytes += what.region_bytes;
  usage.mapped_bytes += what.mapped_bytes;
  usage.pending += what.pending;
}

void QuotaLedger::Refund(DomainId domain, const DomainUsage& what) {
  auto it = usage_.find(domain);
  if (it == usage_.end()) return;
  DomainUsage& usage = it->second;
  usage.regions -= what.regions;
  usage.attachments -= what.attachments;
  usage.region_bytes -= what.region_bytes;
  usage.mapped_bytes -= what.mapped_bytes;
  usage.pending -= what.pending;
  if (usage == DomainUsage{}) usage_.erase(it);
}

}  // namespace xenshm::backend
