// The compatibility layers' handles over a client, for the openers in
// open_real.cc (which alone call xenshm_open, so tests over the fake
// hypervisor link without it).
#ifndef XENSHM_FRONTEND_QNX_HANDLES_H_
#define XENSHM_FRONTEND_QNX_HANDLES_H_

#include "xenshm/guest_shm.h"
#include "xenshm/hyp_shm.h"

namespace xenshm::qnx {

// `owns`: the handle closes the client when it goes.
guest_shm_factory* NewFactory(xenshm_client* client, bool owns);
hyp_shm* NewHypShm(xenshm_client* client, bool owns);

}  // namespace xenshm::qnx

#endif  // XENSHM_FRONTEND_QNX_HANDLES_H_
