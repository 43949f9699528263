// How the C API reports a failure: the status as its return value, errno,
// and this thread's message for xenshm_last_error. Internal to libxenshm.
#ifndef XENSHM_FRONTEND_LIB_C_STATUS_H_
#define XENSHM_FRONTEND_LIB_C_STATUS_H_

#include <new>
#include <string>

#include "base/status.h"

namespace xenshm {

// The errno a status sets (xenshm.h lists them).
int ErrnoFor(Code code);

// Records `status` as this thread's last failure, sets errno and returns
// the code as the C API's int. REQUIRES: !status.ok().
int Fail(const Status& status);
// The same with an explicit errno (ERANGE for a buffer too small).
int Fail(const Status& status, int err);

// Runs `call` (returning an int status) and turns an exception into a
// status: no exception crosses into C.
template <typename F>
int Guarded(F&& call) {
  try {
    return call();
  } catch (const std::bad_alloc&) {
    return Fail(Status(Code::kNoMemory, "out of memory"));
  } catch (const std::exception& e) {
    return Fail(Status(Code::kUnknownFailure, e.what()));
  }
}

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_LIB_C_STATUS_H_
