// Which interface the loaded xenshm kernel module speaks, and whether it
// serves us (XENSHM_IOC_VERSION, uapi/xenshm_uapi.h).
//
// xenshmd and the module are upgraded separately (a package installs both,
// but the running module stays loaded until it is reloaded, and it cannot
// be while regions live). So the granter asks the module at open:
//   - ENOTTY: the module predates XENSHM_IOC_VERSION, ABI 1, which has every
//     ioctl the granter calls; it works;
//   - an ABI older than we need: a Status that says how to load the
//     installed module;
//   - a newer ABI: fine, revisions only add ioctls, unless the module says
//     it no longer serves callers as old as us (min_abi).
// The decision is pure (CheckKmodAbi) so it is tested without a module.
#ifndef XENSHM_PLATFORM_REAL_KMOD_ABI_H_
#define XENSHM_PLATFORM_REAL_KMOD_ABI_H_

#include <cstdint>
#include <string>

#include "base/status.h"
#include "uapi/xenshm_uapi.h"

namespace xenshm {

// What the module said about itself.
struct KmodAbi {
  uint32_t abi = 1;
  uint32_t min_abi = 1;   // the oldest ABI whose callers it serves
  uint64_t features = 0;  // XENSHM_IOC_VERSION's optional behaviours
  bool reported = false;  // false: it predates XENSHM_IOC_VERSION (ABI 1)
};

// What a caller needs of the module: at least this ABI, and these features.
struct KmodAbiNeed {
  uint32_t abi = 1;
  uint64_t features = 0;
};

// Every ioctl KmodRegionGranter calls is ABI 1's (XENSHM_IOC_VERSION is
// asked but optional). Raise this when the granter starts to rely on an
// ioctl of a later ABI.
inline constexpr KmodAbiNeed kKmodAbiForGranter{.abi = 1, .features = 0};
// What `xenshmd --reset` needs to release an earlier xenshmd's regions
// (LIST, RELEASE): so it works on any module, and the way to a newer module
// (release the regions that pin the old one, then reload it) stays open.
inline constexpr KmodAbiNeed kKmodAbiForReset{.abi = 1, .features = 0};

// From XENSHM_IOC_VERSION: `err` 0 with the module's `answer`, or the errno
// of a failed call. ENOTTY is a module older than the ioctl: ABI 1. Any
// other errno is kIoError; so is an answer that names no ABI (0), or an
// oldest-served ABI above its own.
Result<KmodAbi> KmodAbiFromVersionIoctl(int err, const xenshm_version& answer);

// Ok if a module that says `loaded` serves a caller of this tree's ABI
// (`caller_abi`, XENSHM_ABI_VERSION) that needs `need`. Otherwise kIoError
// with what to do: for a module that is too old, detach or stop the
// guests, `xenshmd --reset`, `modprobe -r xenshm`, `modprobe xenshm`; for
// one too new for us, install the xenshmd that matches it.
Status CheckKmodAbi(const KmodAbi& loaded, KmodAbiNeed need,
                    uint32_t caller_abi = XENSHM_ABI_VERSION);

// "ABI 2" / "ABI 2, features 0x4" / "ABI 1 (predates XENSHM_IOC_VERSION)".
std::string DescribeKmodAbi(const KmodAbi& abi);

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_KMOD_ABI_H_
