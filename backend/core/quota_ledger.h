// QuotaLedger: what each domain makes dom0 hold, against its DomainQuota.
//
// Who pays (docs/security.md, "Quotas"):
//  - a region's pages are charged to the domain whose attach created it,
//    for as long as the region exists, whoever joins or leaves meanwhile
//    (so no domain's usage rises through another domain's action);
//    regions a policy pre-creates are the administrator's and charged to
//    nobody;
//  - an attachment and the grant entries it holds (its region's pages plus
//    its grant directory) are charged to the attaching domain;
//  - a request is pending from the moment xenshmd reads its state until it
//    is joined and Connected; pending requests are counted from the
//    AttachmentTable, not here.
// Charges of a domain that died stay until what they pay for is released.
#ifndef XENSHM_BACKEND_CORE_QUOTA_LEDGER_H_
#define XENSHM_BACKEND_CORE_QUOTA_LEDGER_H_

#include <cstdint>
#include <map>
#include <string>

#include "backend/core/access_policy.h"
#include "base/status.h"
#include "base/types.h"

namespace xenshm::backend {

struct DomainUsage {
  uint32_t regions = 0;
  uint32_t attachments = 0;
  uint64_t region_bytes = 0;
  uint64_t mapped_bytes = 0;
  uint32_t pending = 0;
  friend bool operator==(const DomainUsage&, const DomainUsage&) = default;
};

// "regions=1/4 attachments=2/8 region-memory=4096/16777216 mapped=8192/
// 8388608 pending=0/4 request-rate=16/s": a domain's usage against its
// quota, one line (the rate is the limit only: it changes every request,
// the line is written only at charges and refunds).
std::string FormatUsage(const DomainUsage& usage, const DomainQuota& quota);

// kQuotaExceeded naming the limit, the numbers and the key that raises it
// when `usage` + `more` exceeds `quota` anywhere.
Status CheckQuota(DomainId domain, const DomainUsage& usage,
                  const DomainUsage& more, const DomainQuota& quota);

class QuotaLedger {
 public:
  // Zero for a domain never charged.
  DomainUsage UsageOf(DomainId domain) const;
  void Charge(DomainId domain, const DomainUsage& what);
  // REQUIRES: `what` was charged to `domain`.
  void Refund(DomainId domain, const DomainUsage& what);
  // Domains with a charge, by id.
  const std::map<DomainId, DomainUsage>& all() const { return usage_; }

 private:
  std::map<DomainId, DomainUsage> usage_;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_QUOTA_LEDGER_H_
