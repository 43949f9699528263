// OpenRealGuestPlatform: the Platform of a program using only Xen's stable
// guest libraries (libxenstore, libxengnttab, libxenevtchn). It links no
// libxenctrl, so it is what guest programs and libxenshm's users open, dom0
// programs included: libxenshm never reads Platform::domain_info.
#ifndef XENSHM_PLATFORM_REAL_REAL_GUEST_PLATFORM_H_
#define XENSHM_PLATFORM_REAL_REAL_GUEST_PLATFORM_H_

#include "base/status.h"
#include "platform/platform.h"

namespace xenshm {

// Opens xenstore (learning Platform::self from the node "domid"), gntdev and
// the event-channel factory. Fails with the first step's Status (its message
// names the device or daemon that is missing) and releases what it had
// opened.
//
// domain_info and region_granter are left null. dom0 programs that map
// regions open the kernel-module granter themselves
// (platform/real/kmod_region_granter.h); xenshmd, which needs domain
// information, opens OpenRealPlatform(PlatformRole::kDom0) instead
// (platform/real/real_platform.h, which links libxenctrl).
Result<Platform> OpenRealGuestPlatform();

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_REAL_GUEST_PLATFORM_H_
