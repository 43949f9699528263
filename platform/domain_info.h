// DomainInfo: which domains exist and whether they are dying (libxenctrl).
#ifndef XENSHM_PLATFORM_DOMAIN_INFO_H_
#define XENSHM_PLATFORM_DOMAIN_INFO_H_

#include <vector>

#include "base/status.h"
#include "base/types.h"

namespace xenshm {

struct DomainState {
  DomainId id = 0;
  // Being destroyed (XEN_DOMINF_dying): Xen lists the domain until its last
  // reference drops, but it runs no more and its grant mappings and event
  // channels are gone. Take it for gone.
  bool dying = false;
};

class DomainInfo {
 public:
  virtual ~DomainInfo() = default;
  // Every domain Xen lists, dying ones included, in increasing id order.
  virtual Result<std::vector<DomainState>> List() = 0;
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_DOMAIN_INFO_H_
