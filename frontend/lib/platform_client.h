// A libxenshm client over a Platform the caller opened: the fake hypervisor
// in tests, or a real one a program of this project opened itself (to also
// use the platform directly). Not installed: programs outside the project
// use xenshm_open / Client::Open.
#ifndef XENSHM_FRONTEND_LIB_PLATFORM_CLIENT_H_
#define XENSHM_FRONTEND_LIB_PLATFORM_CLIENT_H_

#include "platform/platform.h"
#include "xenshm/client.h"
#include "xenshm/xenshm.h"

namespace xenshm {

// A new client over `platform`, which must outlive it and every region it
// attaches. Never null (throws std::bad_alloc like any allocation).
xenshm_client* OpenClientOn(Platform& platform);

inline Client ClientOn(Platform& platform) {
  return Client(OpenClientOn(platform));
}

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_LIB_PLATFORM_CLIENT_H_
