// DomainInfo: which domains exist, whether they are dying, and their UUIDs
// (libxenctrl).
#ifndef XENSHM_PLATFORM_DOMAIN_INFO_H_
#define XENSHM_PLATFORM_DOMAIN_INFO_H_

#include <string>
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
  // The domain's handle as the toolstack set it at creation, formatted as
  // libxl prints UUIDs ("6d1a3c9e-0b6f-4c47-9a0e-5f2b1d7c8e90"). The guest
  // cannot change it, and xl keeps it across a reboot, `xl save`/`xl
  // restore` and migration, so it names the domain across domids
  // (docs/policy.md). "" when unknown.
  std::string uuid;
};

class DomainInfo {
 public:
  virtual ~DomainInfo() = default;
  // Every domain Xen lists, dying ones included, in increasing id order.
  virtual Result<std::vector<DomainState>> List() = 0;
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_DOMAIN_INFO_H_
