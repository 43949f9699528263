// Command line of xenshm-xl-create:
//
//   xenshm-xl-create [--policy-file=PATH] [--pin-dir=PATH] [--check]
//                    [XL-OPTIONS] CONFIG [KEY=VALUE...]
//   xenshm-xl-create --help
//
// XL-OPTIONS are passed to `xl create` (e.g. -q, -d, -e); those that keep
// it from returning the new domain are refused: -c and -V (attach a
// console/viewer and block), -F (stays in the foreground), -n (dry run: use
// --check), and -p (a paused domain nobody unpauses). `-f CONFIG` and
// `--defconfig=CONFIG` name the config like xl's. KEY=VALUE arguments are
// config lines appended to the file, as xl does.
#ifndef XENSHM_TOOLS_XL_CREATE_XL_CREATE_ARGS_H_
#define XENSHM_TOOLS_XL_CREATE_XL_CREATE_ARGS_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace xenshm::tools {

inline constexpr const char* kDefaultPolicyFile = "/etc/xenshm/policy.cfg";

struct XlCreateArgs {
  std::string policy_file = kDefaultPolicyFile;
  std::string pin_dir =
      "/var/lib/xenshm/pins";  // policy::kStandardPinDirectory
  bool check_only = false;     // validate and print the policy; start nothing
  bool help = false;           // --help alone: print the usage, nothing else
  std::vector<std::string> xl_options;
  std::string config;
  std::vector<std::string> overrides;  // KEY=VALUE lines
};

// kInvalidArgument with the reason (and a usage hint) on a bad command line.
Result<XlCreateArgs> ParseXlCreateArgs(const std::vector<std::string>& argv);

std::string XlCreateUsage();

}  // namespace xenshm::tools

#endif  // XENSHM_TOOLS_XL_CREATE_XL_CREATE_ARGS_H_
