// CliNumber: a whole decimal number from a command-line word, or nothing.
#ifndef XENSHM_FRONTEND_CLI_CLI_NUMBER_H_
#define XENSHM_FRONTEND_CLI_CLI_NUMBER_H_

#include <charconv>
#include <cstdint>
#include <optional>
#include <string_view>

namespace xenshm::cli {

inline std::optional<uint64_t> CliNumber(std::string_view text) {
  uint64_t value = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

}  // namespace xenshm::cli

#endif  // XENSHM_FRONTEND_CLI_CLI_NUMBER_H_
