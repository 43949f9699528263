// `xenshmctl status` for a person: a few lines, then one line per region.
#ifndef XENSHM_TOOLS_XENSHMCTL_STATUS_TEXT_H_
#define XENSHM_TOOLS_XENSHMCTL_STATUS_TEXT_H_

#include <string>

#include "tools/xenshmctl/status_report.h"

namespace xenshm::ctl {

// The grant-table lines (also printed by `xenshmctl budget`).
std::string RenderBudgetText(const GrantBudgetReport& budget);

// Every line of `xenshmctl status`, each ending in '\n'. Attributes the
// registry lacks (or has malformed) are shown as "-".
std::string RenderStatusText(const StatusReport& report);

}  // namespace xenshm::ctl

#endif  // XENSHM_TOOLS_XENSHMCTL_STATUS_TEXT_H_
