// ShmemConversion: a QNX guest's `vdev shmem` block as a xenshm stanza for
// the guest's xl config, the groups dom0's policy file must list, and what
// could not be converted (docs/porting-from-qnx.md, "Configuration").
#ifndef XENSHM_TOOLS_QNX_CONFIG_SHMEM_CONVERSION_H_
#define XENSHM_TOOLS_QNX_CONFIG_SHMEM_CONVERSION_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tools/qnx-config/qvm_config.h"

namespace xenshm::qnx_config {

struct StanzaItem {
  std::string item;  // "allow=cam*"
  int line = 0;      // the QNX line it came from; 0 for derived ones
};

// A message about line `line` of the input.
struct Remark {
  int line = 0;
  std::string text;
};

struct Conversion {
  bool has_shmem = false;  // the file has a vdev shmem block
  std::vector<StanzaItem> items;
  std::set<std::string> groups;           // dom0's policy file must list these
  std::vector<std::string> dom0_regions;  // pre-created names, for dom0
  std::vector<Remark> notes;     // converted with a caveat, or nothing to do
  std::vector<Remark> refusals;  // not convertible: no stanza is given
};

Conversion ConvertShmem(const QvmConfig& config);

// The converted text: the guest's `xenshm = [...]` and the lines for
// /etc/xenshm/policy.cfg, with comments naming `file`'s lines.
std::string RenderStanza(const Conversion& conversion, std::string_view file,
                         std::string_view system);

}  // namespace xenshm::qnx_config

#endif  // XENSHM_TOOLS_QNX_CONFIG_SHMEM_CONVERSION_H_
