#include "frontend/lib/platform_opener.h"

#include "platform/real/kmod_region_granter.h"
#include "platform/real/real_guest_platform.h"

namespace xenshm {

Result<Platform> OpenPlatformForThisDomain() {
  auto platform = OpenRealGuestPlatform();
  if (!platform) return platform;
  if (platform->self == kDom0) {
    // dom0 programs map region memory through the kernel module.
    auto granter = OpenKmodRegionGranter();
    if (!granter) return std::unexpected(granter.error());
    platform->region_granter = std::move(*granter);
  }
  return platform;
}

}  // namespace xenshm
