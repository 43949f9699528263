// QvmConfig: the lines of a QNX qvm configuration file (.qvmconf), split
// into words with their line numbers, and the `vdev shmem` blocks in it.
#ifndef XENSHM_TOOLS_QNX_CONFIG_QVM_CONFIG_H_
#define XENSHM_TOOLS_QNX_CONFIG_QVM_CONFIG_H_

#include <string>
#include <string_view>
#include <vector>

namespace xenshm::qnx_config {

// One option line: its first word and the rest (comments and surrounding
// blanks removed).
struct OptionLine {
  int line = 0;
  std::string keyword;
  std::string argument;
};

struct ShmemBlock {
  int line = 0;  // of the `vdev shmem` line
  std::vector<OptionLine> options;
};

struct QvmConfig {
  std::string system;  // `system NAME`, "" if none
  std::vector<ShmemBlock> shmem_blocks;
};

// Reads the configuration: a `vdev shmem` (or `vdev vdev-shmem.so`) line
// starts a block, and its option lines follow until a top-level line (the
// next `vdev`, `system`, `ram`, ...). Other devices' blocks are skipped.
QvmConfig ParseQvmConfig(std::string_view text);

// Whether `keyword` is an option a `vdev shmem` block can hold, and
// whether it is one of qvm's top-level components or settings.
bool IsShmemOption(std::string_view keyword);
bool IsTopLevel(std::string_view keyword);

}  // namespace xenshm::qnx_config

#endif  // XENSHM_TOOLS_QNX_CONFIG_QVM_CONFIG_H_
