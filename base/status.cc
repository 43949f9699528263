#include "base/status.h"

#include <cerrno>
#include <cstring>
#include <string>

namespace xenshm {

Status StatusFromErrno(int err, std::string_view context) {
  std::string message = std::string(context) + ": " + std::strerror(err);
  switch (err) {
    case 0:
      return Status();
    case ENOMEM:
      return Status(Code::kNoMemory, message);
    case EACCES:
    case EPERM:
      return Status(Code::kNoPermission, message);
    case ENOENT:
      return Status(Code::kNotFound, message);
    case EAGAIN:
      return Status(Code::kAgain, message);
    case ENOSPC:
    case EDQUOT:
      return Status(Code::kQuotaExceeded, message);
    case EINVAL:
    case E2BIG:
    case ERANGE:
      return Status(Code::kInvalidArgument, message);
    case EBUSY:
      return Status(Code::kBusy, message);
    case ETIMEDOUT:
      return Status(Code::kTimedOut, message);
    case EEXIST:
      return Status(Code::kAlreadyAttached, message);
    default:
      return Status(Code::kIoError, message);
  }
}

}  // namespace xenshm
