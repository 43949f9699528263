// Platform: the seam between xenshm and Xen, LevelDB-Env style.
//
// Components receive a Platform by reference and never include a Xen header.
// Two implementations exist: platform/real (libxenstore, libxengnttab,
// libxenevtchn, libxenctrl and the xenshm kernel module) and the in-memory
// fake hypervisor in tests/fake_hypervisor (several domains in one process).
#ifndef XENSHM_PLATFORM_PLATFORM_H_
#define XENSHM_PLATFORM_PLATFORM_H_

#include <functional>
#include <memory>

#include "base/types.h"
#include "platform/domain_info.h"
#include "platform/event_channels.h"
#include "platform/grant_mapper.h"
#include "platform/region_granter.h"
#include "platform/xenstore.h"

namespace xenshm {

// Everything one process in one domain needs. Owns its parts.
struct Platform {
  DomainId self = 0;
  std::unique_ptr<XenStore> xenstore;
  std::unique_ptr<GrantMapper> grant_mapper;
  // A factory, because each attachment wants its own event-channel handle
  // (its own fd to poll).
  std::function<Result<std::unique_ptr<EventChannels>>()> open_event_channels;
  // dom0 only; null in guests.
  std::unique_ptr<DomainInfo> domain_info;
  std::unique_ptr<RegionGranter> region_granter;
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_PLATFORM_H_
