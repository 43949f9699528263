// What xenshm.h's opaque handles hold. Internal to libxenshm.
#ifndef XENSHM_FRONTEND_LIB_C_HANDLES_H_
#define XENSHM_FRONTEND_LIB_C_HANDLES_H_

#include <memory>

#include "frontend/lib/attachment.h"
#include "platform/platform.h"
#include "xenshm/xenshm.h"

struct xenshm_client {
  // Shared with every region attached through it, so xenshm_close may come
  // before the regions are freed. A platform the caller owns (tests, the
  // project's own programs) comes with a no-op deleter.
  std::shared_ptr<xenshm::Platform> platform;
};

struct xenshm_region {
  // Declared first, so destroyed after the attachment that uses it.
  std::shared_ptr<xenshm::Platform> platform;
  std::unique_ptr<xenshm::Attachment> attachment;
};

#endif  // XENSHM_FRONTEND_LIB_C_HANDLES_H_
