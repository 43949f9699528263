// The discovery calls over the real platform (xenshm_open).
#include <cerrno>

#include "frontend/qnx/compat_peer.h"
#include "frontend/qnx/handles.h"

namespace {

xenshm_client* OpenClient() {
  xenshm_client* client = nullptr;
  if (xenshm_open(0, &client) != XENSHM_OK) {
    int err = errno;
    xenshm::qnx::SetLastError(xenshm_last_error());
    errno = err;
    return nullptr;
  }
  return client;
}

}  // namespace

extern "C" {

guest_shm_factory* guest_shm_factory_open(void) {
  xenshm_client* client = OpenClient();
  return client ? xenshm::qnx::NewFactory(client, /*owns=*/true) : nullptr;
}

hyp_shm* hyp_shm_create(void) {
  xenshm_client* client = OpenClient();
  return client ? xenshm::qnx::NewHypShm(client, /*owns=*/true) : nullptr;
}

}  // extern "C"
