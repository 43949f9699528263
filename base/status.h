// Status and Result: errors as values with a stable code a user can act on.
//
// The types are libxenshm's public ones (xenshm/status.h), so the library,
// the daemon and the CLIs share one Status; this header adds what only the
// project's own code uses. errno becomes a Status in exactly one function
// (StatusFromErrno).
#ifndef XENSHM_BASE_STATUS_H_
#define XENSHM_BASE_STATUS_H_

#include <string_view>
#include <utility>

#include "xenshm/status.h"

namespace xenshm {

// The one place errno becomes a Status. `context` names what failed
// ("xs_read /local/domain/3/name").
Status StatusFromErrno(int err, std::string_view context);

// What XENSHM_RETURN_IF_ERROR returns: converts to a Status or to any
// Result<T>, so the macro works in functions returning either.
struct ErrorReturn {
  Status status;
  operator Status() const { return status; }
  template <typename T>
  operator Result<T>() const {
    return std::unexpected<Status>(status);
  }
};

}  // namespace xenshm

// Early return on a failed Status.
#define XENSHM_RETURN_IF_ERROR(expr)                           \
  do {                                                         \
    ::xenshm::Status xenshm_status_ = (expr);                  \
    if (!xenshm_status_.ok()) {                                \
      return ::xenshm::ErrorReturn{std::move(xenshm_status_)}; \
    }                                                          \
  } while (0)

#endif  // XENSHM_BASE_STATUS_H_
