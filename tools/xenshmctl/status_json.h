// `xenshmctl status --json`: the StatusReport as one JSON document, for
// scripts and monitoring. Its shape is docs/xenshmctl-status.schema.json;
// kStatusJsonVersion is the document's "version", raised only when a field
// is removed or changes meaning (adding a field keeps it).
#ifndef XENSHM_TOOLS_XENSHMCTL_STATUS_JSON_H_
#define XENSHM_TOOLS_XENSHMCTL_STATUS_JSON_H_

#include <string>

#include "tools/xenshmctl/status_report.h"

namespace xenshm::ctl {

inline constexpr int kStatusJsonVersion = 1;

// The document, pretty-printed, ending in '\n'. Strings are escaped as JSON
// requires; bytes that are not UTF-8 become U+FFFD, so the output is always
// valid JSON whatever the registry holds. Attributes the registry lacks or
// has malformed are null.
std::string RenderStatusJson(const StatusReport& report);

}  // namespace xenshm::ctl

#endif  // XENSHM_TOOLS_XENSHMCTL_STATUS_JSON_H_
