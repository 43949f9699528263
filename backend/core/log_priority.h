// LogPriority: how much a log line of xenshmd matters, in syslog's numbers
// (sd-daemon(3)'s "<N>" prefixes), so journald can file each line right.
#ifndef XENSHM_BACKEND_CORE_LOG_PRIORITY_H_
#define XENSHM_BACKEND_CORE_LOG_PRIORITY_H_

namespace xenshm::backend {

enum class LogPriority {
  kError = 3,    // something the daemon should do failed
  kWarning = 4,  // it carries on, but an operator should look
  kNotice = 5,   // normal but significant: refusals, restarts, adoption
  kInfo = 6,     // the everyday story: attaches, detaches
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_LOG_PRIORITY_H_
