// xenshm.h's status names, sentences and the per-thread last error.
#include "frontend/lib/c_status.h"

#include <cerrno>
#include <string>

#include "xenshm/xenshm.h"

namespace xenshm {
namespace {

// The C values are ABI and equal the project's codes, so a status crosses
// the C boundary as a plain cast.
#define XENSHM_SAME(c_value, code) \
  static_assert(static_cast<int>(Code::code) == c_value, #c_value)
XENSHM_SAME(XENSHM_OK, kOk);
XENSHM_SAME(XENSHM_UNKNOWN_FAILURE, kUnknownFailure);
XENSHM_SAME(XENSHM_NO_MEMORY, kNoMemory);
XENSHM_SAME(XENSHM_CLIENT_MAX, kClientMax);
XENSHM_SAME(XENSHM_ILLEGAL_NAME, kIllegalName);
XENSHM_SAME(XENSHM_NO_PERMISSION, kNoPermission);
XENSHM_SAME(XENSHM_DOES_NOT_EXIST, kDoesNotExist);
XENSHM_SAME(XENSHM_GRANT_BUDGET, kGrantBudget);
XENSHM_SAME(XENSHM_ALREADY_ATTACHED, kAlreadyAttached);
XENSHM_SAME(XENSHM_INVALID_ARGUMENT, kInvalidArgument);
XENSHM_SAME(XENSHM_BACKEND_UNAVAILABLE, kBackendUnavailable);
XENSHM_SAME(XENSHM_TIMED_OUT, kTimedOut);
XENSHM_SAME(XENSHM_AGAIN, kAgain);
XENSHM_SAME(XENSHM_QUOTA_EXCEEDED, kQuotaExceeded);
XENSHM_SAME(XENSHM_IO_ERROR, kIoError);
XENSHM_SAME(XENSHM_NOT_FOUND, kNotFound);
XENSHM_SAME(XENSHM_BUSY, kBusy);
XENSHM_SAME(XENSHM_RATE_LIMITED, kRateLimited);
#undef XENSHM_SAME
// A code added to Code must be added to xenshm.h too.
static_assert(static_cast<int>(Code::kRateLimited) == XENSHM_RATE_LIMITED &&
              std::size(status_internal::kSpellings) == 18);

thread_local std::string last_error;

bool Known(int status) {
  return status >= XENSHM_OK && status <= XENSHM_RATE_LIMITED;
}

}  // namespace

int ErrnoFor(Code code) {
  switch (code) {
    case Code::kOk:
      return 0;
    case Code::kNoMemory:
      return ENOMEM;
    case Code::kClientMax:
      return EUSERS;
    case Code::kIllegalName:
    case Code::kInvalidArgument:
      return EINVAL;
    case Code::kNoPermission:
      return EACCES;
    case Code::kDoesNotExist:
    case Code::kNotFound:
      return ENOENT;
    case Code::kGrantBudget:
      return ENOSPC;
    case Code::kAlreadyAttached:
      return EEXIST;
    case Code::kBackendUnavailable:
      return ECONNREFUSED;
    case Code::kTimedOut:
      return ETIMEDOUT;
    case Code::kAgain:
    case Code::kRateLimited:
      return EAGAIN;
    case Code::kQuotaExceeded:
      return EDQUOT;
    case Code::kBusy:
      return EBUSY;
    case Code::kUnknownFailure:
    case Code::kIoError:
      return EIO;
  }
  return EIO;
}

int Fail(const Status& status) { return Fail(status, ErrnoFor(status.code())); }

int Fail(const Status& status, int err) {
  try {
    last_error = status.message();
  } catch (...) {
    last_error.clear();  // the code still says what failed
  }
  errno = err;
  return static_cast<int>(status.code());
}

}  // namespace xenshm

extern "C" {

const char* xenshm_status_name(int status) {
  if (!xenshm::Known(status)) return "unknown-failure";
  // CodeName's names are literals, so NUL-terminated.
  return xenshm::CodeName(static_cast<xenshm::Code>(status)).data();
}

const char* xenshm_strerror(int status) {
  switch (status) {
    case XENSHM_OK:
      return "Success";
    case XENSHM_NO_MEMORY:
      return "Out of memory";
    case XENSHM_CLIENT_MAX:
      return "Too many peers or handles";
    case XENSHM_ILLEGAL_NAME:
      return "Illegal region name";
    case XENSHM_NO_PERMISSION:
      return "Permission denied by xenshm policy";
    case XENSHM_DOES_NOT_EXIST:
      return "No such region";
    case XENSHM_GRANT_BUDGET:
      return "Not enough grant table space in dom0";
    case XENSHM_ALREADY_ATTACHED:
      return "Handle already attached";
    case XENSHM_INVALID_ARGUMENT:
      return "Invalid argument";
    case XENSHM_BACKEND_UNAVAILABLE:
      return "xenshmd unavailable";
    case XENSHM_TIMED_OUT:
      return "Timed out";
    case XENSHM_AGAIN:
      return "Try again";
    case XENSHM_QUOTA_EXCEEDED:
      return "Quota exceeded";
    case XENSHM_IO_ERROR:
      return "Input/output error";
    case XENSHM_NOT_FOUND:
      return "Not found";
    case XENSHM_BUSY:
      return "Busy";
    case XENSHM_RATE_LIMITED:
      return "Rate limited";
    default:
      return "Unknown failure";
  }
}

const char* xenshm_last_error(void) { return xenshm::last_error.c_str(); }

}  // extern "C"
