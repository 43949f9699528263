#include "tools/qnx-config/qvm_config.h"

#include <array>

namespace xenshm::qnx_config {
namespace {

std::string_view Trim(std::string_view text) {
  const size_t first = text.find_first_not_of(" \t\r");
  if (first == std::string_view::npos) return {};
  const size_t last = text.find_last_not_of(" \t\r");
  return text.substr(first, last - first + 1);
}

}  // namespace

bool IsShmemOption(std::string_view keyword) {
  // vdev shmem's own options, then the options every vdev takes.
  static constexpr std::array<std::string_view, 11> kOptions = {
      "allow", "deny", "create", "gid",  "umask", "subst",
      "sched", "loc",  "intr",   "name", "log"};
  for (std::string_view option : kOptions) {
    if (keyword == option) return true;
  }
  return false;
}

bool IsTopLevel(std::string_view keyword) {
  // qvm's components and settings: each ends the vdev block before it.
  static constexpr std::array<std::string_view, 20> kTopLevel = {
      "vdev",   "system",   "ram",     "rom",       "cpu",
      "load",   "pass",     "reserve", "cmdline",   "initrd",
      "logger", "debug",    "dryrun",  "dump",      "generate",
      "set",    "suppress", "user",    "tolerance", "unsupported"};
  for (std::string_view top : kTopLevel) {
    if (keyword == top) return true;
  }
  return false;
}

QvmConfig ParseQvmConfig(std::string_view text) {
  QvmConfig config;
  ShmemBlock* block = nullptr;
  int number = 0;
  while (!text.empty()) {
    ++number;
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{}
                                         : text.substr(end + 1);
    line = Trim(line.substr(0, line.find('#')));
    if (line.empty()) continue;
    const size_t space = line.find_first_of(" \t");
    const std::string_view keyword = line.substr(0, space);
    const std::string_view argument = space == std::string_view::npos
                                          ? std::string_view{}
                                          : Trim(line.substr(space));
    if (keyword == "vdev") {
      block = nullptr;
      if (argument == "shmem" || argument == "vdev-shmem.so") {
        config.shmem_blocks.push_back({number, {}});
        block = &config.shmem_blocks.back();
      }
      continue;
    }
    // Inside a block every line but a top-level one is an option (an
    // unknown one is refused later, not silently taken for another device).
    if (block != nullptr && !IsTopLevel(keyword)) {
      block->options.push_back(
          {number, std::string(keyword), std::string(argument)});
      continue;
    }
    block = nullptr;
    if (keyword == "system") config.system = std::string(argument);
  }
  return config;
}

}  // namespace xenshm::qnx_config
