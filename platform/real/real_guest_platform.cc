#include "platform/real/real_guest_platform.h"

#include <memory>
#include <utility>

#include "platform/real/real_event_channels.h"
#include "platform/real/real_grant_mapper.h"
#include "platform/real/real_xenstore.h"

namespace xenshm {

Result<Platform> OpenRealGuestPlatform() {
  Platform platform;

  Result<std::unique_ptr<RealXenStore>> xenstore = RealXenStore::Open();
  if (!xenstore) return Error(std::move(xenstore.error()));
  platform.self = (*xenstore)->self();
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
  return platform;
}

}  // namespace xenshm
