// Numbers from the xenshm CLI's words, parsed by base/numbers.h's two
// parsers: a size as a person writes it (ParseByteSize), every other number
// as strict decimal (ParseDecimal). A malformed word is reported on stderr
// ("xenshm: --size '12x' is not a size ...") and yields nullopt, so the
// caller fails with its usual exit status instead of using 0 or a prefix.
#ifndef XENSHM_FRONTEND_CLI_CLI_NUMBER_H_
#define XENSHM_FRONTEND_CLI_CLI_NUMBER_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace xenshm::cli {

// Milliseconds any wait may ask for: a week.
inline constexpr uint64_t kMaxCliMs = 7ull * 24 * 3600 * 1000;

// A region size: "65536", "0x10000", "64K", "128M", "1G"; at most
// schema::kMaxRegionBytes. `what` names the word in the message.
std::optional<uint64_t> CliSize(std::string_view text, std::string_view what);

// A strict decimal in [0, max].
std::optional<uint64_t> CliNumber(
    std::string_view text, std::string_view what,
    uint64_t max = std::numeric_limits<uint64_t>::max());

}  // namespace xenshm::cli

#endif  // XENSHM_FRONTEND_CLI_CLI_NUMBER_H_
