// xenshm_open: the C API over the real platform of this domain. Its own
// file (and target), so tests over the fake hypervisor link no Xen library.
#include <memory>

#include "frontend/lib/c_handles.h"
#include "frontend/lib/c_status.h"
#include "frontend/lib/platform_opener.h"
#include "xenshm/xenshm.h"

extern "C" int xenshm_open(unsigned flags, xenshm_client** out) {
  using namespace xenshm;
  return Guarded([&] {
    if (out == nullptr) {
      return Fail(Status(Code::kInvalidArgument, "xenshm_open: out is NULL"));
    }
    if (flags != 0) {
      return Fail(Status(Code::kInvalidArgument, "xenshm_open: unknown flags " +
                                                     std::to_string(flags)));
    }
    auto platform = OpenPlatformForThisDomain();
    if (!platform) return Fail(platform.error());
    *out = new xenshm_client{std::make_shared<Platform>(std::move(*platform))};
    return static_cast<int>(XENSHM_OK);
  });
}
