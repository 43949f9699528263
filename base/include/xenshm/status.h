// Status and Result: errors as values with a stable code a user can act on.
//
// The one Status type of xenshm. The same codes appear in the xenstore
// `status` node, in libxenshm's return values and in the CLIs' output, so a
// user sees one vocabulary everywhere. (Inside the project, base/status.h
// re-exports this header and adds the internals' helpers.)
#ifndef XENSHM_FRONTEND_STATUS_H_
#define XENSHM_FRONTEND_STATUS_H_

#include <expected>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace xenshm {

enum class Code {
  kOk = 0,
  // QNX shmem vdev's set.
  kUnknownFailure,
  kNoMemory,
  kClientMax,
  kIllegalName,
  kNoPermission,
  kDoesNotExist,
  // xenshm's additions.
  kGrantBudget,         // dom0's grant table cannot hold the grants asked for.
  kAlreadyAttached,     // this (domain, handle) is already attached.
  kInvalidArgument,     // a malformed request or value.
  kBackendUnavailable,  // no xenshmd answered in time.
  kTimedOut,
  kAgain,          // transient (xenstore transaction conflict, EAGAIN).
  kQuotaExceeded,  // xenstore quota (ENOSPC) or another per-domain limit.
  kIoError,        // an unexpected errno from the platform.
  kNotFound,       // a path, port or object does not exist (ENOENT).
  kBusy,           // the object is still in use (EBUSY).
  kRateLimited,    // the domain sent requests faster than its rate limit.
};

// Inline, as everything in the installed headers: libxenshm.so exports only
// its C API (xenshm/xenshm.h), so no installed header may need a C++ symbol
// at link time.
namespace status_internal {
struct CodeSpelling {
  Code code;
  std::string_view name;
};
inline constexpr CodeSpelling kSpellings[] = {
    {Code::kOk, "ok"},
    {Code::kUnknownFailure, "unknown-failure"},
    {Code::kNoMemory, "no-memory"},
    {Code::kClientMax, "client-max"},
    {Code::kIllegalName, "illegal-name"},
    {Code::kNoPermission, "no-permission"},
    {Code::kDoesNotExist, "does-not-exist"},
    {Code::kGrantBudget, "grant-budget"},
    {Code::kAlreadyAttached, "already-attached"},
    {Code::kInvalidArgument, "invalid-argument"},
    {Code::kBackendUnavailable, "backend-unavailable"},
    {Code::kTimedOut, "timed-out"},
    {Code::kAgain, "again"},
    {Code::kQuotaExceeded, "quota-exceeded"},
    {Code::kIoError, "io-error"},
    {Code::kNotFound, "not-found"},
    {Code::kBusy, "busy"},
    {Code::kRateLimited, "rate-limited"},
};
}  // namespace status_internal

// Stable, lower-case, hyphenated spelling used in xenstore and by the CLIs
// ("ok", "no-memory", "client-max", ...).
constexpr std::string_view CodeName(Code code) {
  for (const auto& s : status_internal::kSpellings) {
    if (s.code == code) return s.name;
  }
  return "unknown-failure";
}
// Inverse of CodeName; nullopt for an unknown spelling.
constexpr std::optional<Code> CodeFromName(std::string_view name) {
  for (const auto& s : status_internal::kSpellings) {
    if (s.name == name) return s.code;
  }
  return std::nullopt;
}

class [[nodiscard]] Status {
 public:
  Status() = default;  // ok
  Status(Code code, std::string message)
      : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "no-permission: domain 3 may not attach 'moo' (rule deny moo*)".
  std::string ToString() const {
    std::string out(CodeName(code_));
    if (!message_.empty()) {
      out += ": ";
      out += message_;
    }
    return out;
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

template <typename T>
using Result = std::expected<T, Status>;

inline std::unexpected<Status> Error(Code code, std::string message) {
  return std::unexpected<Status>(Status(code, std::move(message)));
}
inline std::unexpected<Status> Error(Status status) {
  return std::unexpected<Status>(std::move(status));
}

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_STATUS_H_
