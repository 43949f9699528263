// Transitional: xenshmd_main.cc still includes this header and names
// DaemonPolicy. The evaluator now implements backend::AccessPolicy itself;
// delete this file once xenshmd_main.cc includes evaluator.h and
// constructs policy::Evaluator.
#ifndef XENSHM_BACKEND_POLICY_DAEMON_POLICY_H_
#define XENSHM_BACKEND_POLICY_DAEMON_POLICY_H_

#include "backend/policy/evaluator.h"

namespace xenshm::policy {

using DaemonPolicy = Evaluator;

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_DAEMON_POLICY_H_
