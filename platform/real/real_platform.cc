#include "platform/real/real_platform.h"

#include <memory>
#include <string>
#include <utility>

#include "platform/real/real_domain_info.h"
#include "platform/real/real_guest_platform.h"

namespace xenshm {

Result<Platform> OpenRealPlatform(PlatformRole role) {
  Result<Platform> platform = OpenRealGuestPlatform();
  if (!platform || role == PlatformRole::kGuest) return platform;

  if (platform->self != kDom0) {
    return Error(Code::kNoPermission,
                 "dom0 role asked for, but this is domain " +
                     std::to_string(platform->self));
  }
  Result<std::unique_ptr<RealDomainInfo>> info = RealDomainInfo::Open();
  if (!info) return Error(std::move(info.error()));
  platform->domain_info = std::move(*info);
  // platform->region_granter: see the header (OpenKmodRegionGranter).
  return platform;
}

}  // namespace xenshm
