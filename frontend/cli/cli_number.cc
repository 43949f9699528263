#include "frontend/cli/cli_number.h"

#include <cstdio>

#include "base/numbers.h"
#include "base/status.h"
#include "xenstore-schema/limits.h"

namespace xenshm::cli {
namespace {

std::optional<uint64_t> Reported(const Result<uint64_t>& number) {
  if (number) return *number;
  std::fprintf(stderr, "xenshm: %s\n", number.error().message().c_str());
  return std::nullopt;
}

}  // namespace

std::optional<uint64_t> CliSize(std::string_view text, std::string_view what) {
  return Reported(ParseByteSize(text, schema::kMaxRegionBytes, what));
}

std::optional<uint64_t> CliNumber(std::string_view text, std::string_view what,
                                  uint64_t max) {
  return Reported(ParseDecimal(text, max, what));
}

}  // namespace xenshm::cli
