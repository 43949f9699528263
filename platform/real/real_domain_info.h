// RealDomainInfo: DomainInfo over libxenctrl (xc_domain_getinfolist).
//
// Needs privcmd (/dev/xen/privcmd), i.e. dom0 or another privileged domain.
#ifndef XENSHM_PLATFORM_REAL_REAL_DOMAIN_INFO_H_
#define XENSHM_PLATFORM_REAL_REAL_DOMAIN_INFO_H_

#include <memory>
#include <vector>

#include "base/status.h"
#include "base/types.h"
#include "platform/domain_info.h"

struct xc_interface_core;  // libxenctrl's opaque handle (xc_interface).

namespace xenshm {

class RealDomainInfo final : public DomainInfo {
 public:
  static Result<std::unique_ptr<RealDomainInfo>> Open();

  ~RealDomainInfo() override;
  RealDomainInfo(const RealDomainInfo&) = delete;
  RealDomainInfo& operator=(const RealDomainInfo&) = delete;

  Result<std::vector<DomainState>> List() override;

 private:
  explicit RealDomainInfo(xc_interface_core* xch) : xch_(xch) {}

  xc_interface_core* xch_;  // owned; closed by the destructor
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_REAL_DOMAIN_INFO_H_
