// OpenRealPlatform: the Platform of a process running on real Xen.
#ifndef XENSHM_PLATFORM_REAL_REAL_PLATFORM_H_
#define XENSHM_PLATFORM_REAL_REAL_PLATFORM_H_

#include "base/status.h"
#include "platform/platform.h"

namespace xenshm {

enum class PlatformRole {
  kGuest,  // a domU process: xenstore, grant mapping, event channels
  kDom0,   // additionally domain information (libxenctrl)
};

// Opens xenstore (learning Platform::self from the node "domid"), gntdev and
// the event-channel factory; for kDom0 also libxenctrl, and requires
// self == 0. Fails with the first step's Status (its message names the
// device or daemon that is missing) and releases what it had opened.
//
// region_granter is left null: the kernel-module-backed granter is opened
// separately (platform/real/kmod_region_granter.h, OpenKmodRegionGranter())
// and moved into Platform::region_granter by the dom0 daemon.
Result<Platform> OpenRealPlatform(PlatformRole role);

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_REAL_PLATFORM_H_
