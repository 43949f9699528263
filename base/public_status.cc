#include "xenshm/status.h"

#include <string>

namespace xenshm {
namespace {

struct CodeSpelling {
  Code code;
  std::string_view name;
};

constexpr CodeSpelling kSpellings[] = {
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

}  // namespace

std::string_view CodeName(Code code) {
  for (const auto& s : kSpellings) {
    if (s.code == code) return s.name;
  }
  return "unknown-failure";
}

std::optional<Code> CodeFromName(std::string_view name) {
  for (const auto& s : kSpellings) {
    if (s.name == name) return s.code;
  }
  return std::nullopt;
}

std::string Status::ToString() const {
  std::string out(CodeName(code_));
  if (!message_.empty()) {
    out += ": ";
    out += message_;
  }
  return out;
}

}  // namespace xenshm
