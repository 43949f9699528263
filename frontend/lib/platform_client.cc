#include "frontend/lib/platform_client.h"

#include <memory>

#include "frontend/lib/c_handles.h"

namespace xenshm {

xenshm_client* OpenClientOn(Platform& platform) {
  // The caller owns the platform: a no-op deleter.
  return new xenshm_client{
      std::shared_ptr<Platform>(&platform, [](Platform*) {})};
}

}  // namespace xenshm
