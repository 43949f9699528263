#include "platform/real/real_platform.h"

#include <memory>
#include <string>
#include <utility>

#include "platform/real/real_domain_info.h"
#include "platform/real/real_event_channels.h"
#include "platform/real/real_grant_mapper.h"
#include "platform/real/real_xenstore.h"

namespace xenshm {

Result<Platform> OpenRealPlatform(PlatformRole role) {
  Platform platform;

  Result<std::unique_ptr<RealXenStore>> xenstore = RealXenStore::Open();
  if (!xenstore) return Error(std::move(xenstore.error()));
  platform.self = (*xenstore)->self();
  if (role == PlatformRole::kDom0 && platform.self != kDom0) {
    return Error(Code::kNoPermission,
                 "dom0 role asked for, but this is domain " +
                     std::to_string(platform.self));
  }
  platform.xenstore = std::move(*xenstore);

  Result<std::unique_ptr<RealGrantMapper>> mapper = RealGrantMapper::Open();
  if (!mapper) return Error(std::move(mapper.error()));
  platform.grant_mapper = std::move(*mapper);

  // Open one handle now so a missing xen-evtchn fails here rather than at
  // the first attach.
  Result<std::unique_ptr<RealEventChannels>> probe = RealEventChannels::Open();
  if (!probe) return Error(std::move(probe.error()));
  platform.open_event_channels =
      []() -> Result<std::unique_ptr<EventChannels>> {
    Result<std::unique_ptr<RealEventChannels>> channels =
        RealEventChannels::Open();
    if (!channels) return Error(std::move(channels.error()));
    return std::unique_ptr<EventChannels>(std::move(*channels));
  };

  if (role == PlatformRole::kDom0) {
    Result<std::unique_ptr<RealDomainInfo>> info = RealDomainInfo::Open();
    if (!info) return Error(std::move(info.error()));
    platform.domain_info = std::move(*info);
  }
  // platform.region_granter: see the header (OpenKmodRegionGranter).
  return platform;
}

}  // namespace xenshm
