#include "platform/real/kmod_abi.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>

namespace xenshm {
namespace {

std::string Hex(uint64_t value) {
  char text[24];
  std::snprintf(text, sizeof(text), "0x%llx",
                static_cast<unsigned long long>(value));
  return text;
}

}  // namespace

Result<KmodAbi> KmodAbiFromVersionIoctl(int err, const xenshm_version& answer) {
  if (err == ENOTTY) return KmodAbi{};  // ABI 1, which has no such ioctl
  if (err != 0) return Error(StatusFromErrno(err, "XENSHM_IOC_VERSION"));
  if (answer.abi == 0 || answer.min_abi > answer.abi) {
    return Error(Code::kIoError,
                 "XENSHM_IOC_VERSION: the module answered abi " +
                     std::to_string(answer.abi) + ", min_abi " +
                     std::to_string(answer.min_abi) +
                     ": not a xenshm module this program understands");
  }
  return KmodAbi{.abi = answer.abi,
                 .min_abi = answer.min_abi,
                 .features = answer.features,
                 .reported = true};
}

Status CheckKmodAbi(const KmodAbi& loaded, KmodAbiNeed need,
                    uint32_t caller_abi) {
  const uint64_t missing = need.features & ~loaded.features;
  if (loaded.abi < need.abi || missing != 0) {
    std::string what = "the loaded xenshm kernel module is " +
                       DescribeKmodAbi(loaded) + "; this program needs ABI " +
                       std::to_string(need.abi);
    if (missing != 0) what += " with features " + Hex(missing);
    return Status(Code::kIoError,
                  what +
                      ". Load the installed module: detach every peer or "
                      "stop the guests that use xenshm, then `xenshmd "
                      "--reset` (releases what is left), `modprobe -r "
                      "xenshm`, `modprobe xenshm`, and start xenshmd again");
  }
  if (loaded.min_abi > caller_abi) {
    return Status(
        Code::kIoError,
        "the loaded xenshm kernel module is " + DescribeKmodAbi(loaded) +
            " and serves callers of ABI " + std::to_string(loaded.min_abi) +
            " or later; this program speaks ABI " + std::to_string(caller_abi) +
            ": install the xenshmd and tools that match the module");
  }
  return Status::Ok();
}

std::string DescribeKmodAbi(const KmodAbi& abi) {
  if (!abi.reported) return "ABI 1 (predates XENSHM_IOC_VERSION)";
  std::string text = "ABI " + std::to_string(abi.abi);
  if (abi.features != 0) text += ", features " + Hex(abi.features);
  return text;
}

}  // namespace xenshm
