// OpenRealPlatform: the Platform of a dom0 tool running on real Xen, with
// domain information (libxenctrl). Links libxenctrl whichever role is asked
// for: guest programs and libxenshm's users open OpenRealGuestPlatform
// (platform/real/real_guest_platform.h) instead.
#ifndef XENSHM_PLATFORM_REAL_REAL_PLATFORM_H_
#define XENSHM_PLATFORM_REAL_REAL_PLATFORM_H_

#include "base/status.h"
#include "platform/platform.h"

namespace xenshm {

enum class PlatformRole {
  kGuest,  // what OpenRealGuestPlatform opens
  kDom0,   // additionally domain information (libxenctrl)
};

// Opens what OpenRealGuestPlatform does; for kDom0 also libxenctrl, and
// requires self == 0. Fails with the first step's Status (its message names
// the device or daemon that is missing) and releases what it had opened.
//
// region_granter is left null: the kernel-module-backed granter is opened
// separately (platform/real/kmod_region_granter.h, OpenKmodRegionGranter())
// and moved into Platform::region_granter by the dom0 daemon.
Result<Platform> OpenRealPlatform(PlatformRole role);

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_REAL_PLATFORM_H_
