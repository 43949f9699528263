#include "frontend/cli/platform_opener.h"

#include "platform/real/real_platform.h"

namespace xenshm::cli {

Result<Platform> OpenPlatformForThisDomain() {
  auto platform = OpenRealPlatform(PlatformRole::kGuest);
  if (!platform) return platform;
  // dom0 programs map region memory through the kernel module (added with
  // the module's granter; until then a dom0 attach reports it missing).
  return platform;
}

}  // namespace xenshm::cli
