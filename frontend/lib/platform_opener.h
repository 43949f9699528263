// Opens the real platform for whichever domain this program runs in: a
// guest's (xenstore, gntdev, evtchn), or in dom0 additionally the xenshm
// kernel module, through which dom0 programs map regions.
#ifndef XENSHM_FRONTEND_LIB_PLATFORM_OPENER_H_
#define XENSHM_FRONTEND_LIB_PLATFORM_OPENER_H_

#include "base/status.h"
#include "platform/platform.h"

namespace xenshm {

Result<Platform> OpenPlatformForThisDomain();

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_LIB_PLATFORM_OPENER_H_
