// The CLI's signal actions (see xenshm_main.cc's usage). Peers are named by
// domain (`dom:3`), by index (`peer:2`), or `all` (everyone but me).
#ifndef XENSHM_FRONTEND_CLI_SIGNAL_ACTIONS_H_
#define XENSHM_FRONTEND_CLI_SIGNAL_ACTIONS_H_

#include <optional>
#include <string_view>

#include "xenshm/client.h"

namespace xenshm::cli {

// Runs `action` if it is a signal action. nullopt: not a signal action;
// otherwise whether it succeeded. `last_report` carries a signal's report to
// the expect-reached/expect-missed checks that follow it.
std::optional<bool> RunSignalAction(Region& region, std::string_view action,
                                    SignalReport& last_report);

}  // namespace xenshm::cli

#endif  // XENSHM_FRONTEND_CLI_SIGNAL_ACTIONS_H_
