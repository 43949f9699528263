#include "tools/xl-create/xl_create_args.h"

#include <set>

namespace xenshm::tools {
namespace {

// xl create options that keep xl from returning the created domain (a
// console, a viewer, the foreground, a dry run) or that xenshm-xl-create
// cannot check (-p leaves the domain paused: use xl create -p and
// xenshm-xl-create --check, then xl unpause).
const std::set<std::string>& RefusedOptions() {
  static const std::set<std::string> refused = {
      "-p", "-c", "-V", "--vncviewer", "--vncviewer-autopass",
      "-A", "-F", "-n", "--dryrun"};
  return refused;
}

Status Bad(const std::string& reason) {
  return Status(Code::kInvalidArgument, reason + "\n" + XlCreateUsage());
}

}  // namespace

std::string XlCreateUsage() {
  return "usage: xenshm-xl-create [--policy-file=PATH] [--pin-dir=PATH] "
         "[--check] "
         "[xl create options] CONFIG [KEY=VALUE...]\n"
         "       xenshm-xl-create --help";
}

Result<XlCreateArgs> ParseXlCreateArgs(const std::vector<std::string>& argv) {
  XlCreateArgs args;
  if (argv.size() == 1 && (argv[0] == "--help" || argv[0] == "-h")) {
    args.help = true;
    return args;
  }
  size_t i = 0;
  bool have_config = false;
  for (; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.empty() || arg[0] != '-') break;
    if (arg == "--check") {
      args.check_only = true;
    } else if (arg.starts_with("--policy-file=")) {
      args.policy_file = arg.substr(sizeof("--policy-file=") - 1);
      if (args.policy_file.empty()) return Error(Bad("empty --policy-file"));
    } else if (arg.starts_with("--pin-dir=")) {
      args.pin_dir = arg.substr(sizeof("--pin-dir=") - 1);
      if (args.pin_dir.empty()) return Error(Bad("empty --pin-dir"));
    } else if (arg == "-f" || arg == "--defconfig") {
      if (i + 1 >= argv.size()) return Error(Bad(arg + " needs a file"));
      args.config = argv[++i];
      have_config = true;
    } else if (arg.starts_with("--defconfig=")) {
      args.config = arg.substr(sizeof("--defconfig=") - 1);
      have_config = true;
    } else if (arg.starts_with("-f") && arg.size() > 2) {
      args.config = arg.substr(2);
      have_config = true;
    } else if (RefusedOptions().contains(arg)) {
      return Error(Bad("xl create option " + arg +
                       " cannot be used: xenshm-xl-create pins the domain's "
                       "xenshm policy and waits for xl create to finish"));
    } else {
      args.xl_options.push_back(arg);
    }
  }
  if (!have_config) {
    if (i >= argv.size()) return Error(Bad("no config file given"));
    args.config = argv[i++];
  }
  for (; i < argv.size(); ++i) {
    if (argv[i].find('=') == std::string::npos) {
      return Error(
          Bad("'" + argv[i] + "' is not KEY=VALUE (only one config file)"));
    }
    args.overrides.push_back(argv[i]);
  }
  if (args.config.empty()) return Error(Bad("empty config file name"));
  return args;
}

}  // namespace xenshm::tools
