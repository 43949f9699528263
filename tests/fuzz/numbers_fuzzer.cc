// Fuzz target for the number layer (base/numbers.h) and the quoting every
// parser's messages use (base/hostile_text.h).
//
// Input: one byte choosing the bound `max` ('0'..'6' pick 0, 6, 1023,
// 0x7fef, 2^17-1, 2^30, UINT64_MAX; '7' takes the next 8 bytes, little
// endian), then the text.
//
// Invariants:
//  - ParseDecimal and ParseByteSize accept exactly what a reference model
//    written from numbers.h's comments accepts, with the same value, and
//    never above `max`.
//  - An accepted decimal is the value's only spelling (std::to_string gives
//    the text back); ParseByteSize reads it as the same number.
//  - Every accepted size reads back from its decimal, 0x hex and (when
//    exact) K/M/G spellings, upper and lower case, and from the first word
//    of FormatByteSize, whose unit (if any) is that many bytes exactly.
//  - Rejections are kInvalidArgument with a bounded printable message that
//    starts with what was being parsed.
//  - QuoteHostile's output is the quoted, escaped, shortened text exactly.
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "base/hostile_text.h"
#include "base/numbers.h"
#include "tests/fuzz/fuzz_check.h"

namespace xenshm::fuzz {
namespace {

constexpr uint64_t kFixedMaxima[] = {
    0, 6, 1023, 0x7fef, (1u << 17) - 1, uint64_t{1} << 30, UINT64_MAX};

using Wide = unsigned __int128;

// ParseDecimal as its comment states it.
std::optional<uint64_t> ModelDecimal(std::string_view text, uint64_t max) {
  if (text.empty() || text.size() > 20) return std::nullopt;
  if (text.size() > 1 && text[0] == '0') return std::nullopt;
  Wide value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (value > max) return std::nullopt;
  return static_cast<uint64_t>(value);
}

// ParseByteSize as its comment states it.
std::optional<uint64_t> ModelByteSize(std::string_view text, uint64_t max) {
  if (text.empty() || text.size() > kMaxByteSizeLength) return std::nullopt;
  Wide value = 0;
  if (text.size() >= 2 && text[0] == '0' &&
      (text[1] == 'x' || text[1] == 'X')) {
    std::string_view hex = text.substr(2);
    if (hex.empty()) return std::nullopt;
    for (char c : hex) {
      int digit = c >= '0' && c <= '9'   ? c - '0'
                  : c >= 'a' && c <= 'f' ? c - 'a' + 10
                  : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                         : -1;
      if (digit < 0) return std::nullopt;
      value = value * 16 + static_cast<unsigned>(digit);
      if (value > UINT64_MAX) return std::nullopt;
    }
  } else {
    Wide unit = 1;
    switch (text.back()) {
      case 'K':
      case 'k':
        unit = Wide{1} << 10;
        break;
      case 'M':
      case 'm':
        unit = Wide{1} << 20;
        break;
      case 'G':
      case 'g':
        unit = Wide{1} << 30;
        break;
      default:
        break;
    }
    std::string_view digits =
        unit == 1 ? text : text.substr(0, text.size() - 1);
    if (digits.empty()) return std::nullopt;
    if (digits.size() > 1 && digits[0] == '0') return std::nullopt;
    for (char c : digits) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > UINT64_MAX) return std::nullopt;
    }
    value *= unit;
  }
  if (value > max) return std::nullopt;
  return static_cast<uint64_t>(value);
}

// QuoteHostile as its comment states it.
std::string ModelQuote(std::string_view text) {
  std::string out = "'";
  for (size_t i = 0; i < text.size(); ++i) {
    if (i == kMaxQuotedBytes) {
      out += "...";
      break;
    }
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c <= 0x7e && c != '\'') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out + "'";
}

std::string Hex(uint64_t value, bool upper) {
  static constexpr char kLower[] = "0123456789abcdef";
  static constexpr char kUpper[] = "0123456789ABCDEF";
  std::string digits;
  do {
    digits.insert(digits.begin(), (upper ? kUpper : kLower)[value & 15]);
    value >>= 4;
  } while (value != 0);
  return (upper ? "0X" : "0x") + digits;
}

void CheckSizeReadsBack(std::string_view text, uint64_t value, uint64_t max,
                        std::string_view spelling) {
  auto again = ParseByteSize(spelling, max, "size");
  FUZZ_CHECK(again && *again == value, std::string(text) + " read as " +
                                           std::to_string(value) + " but " +
                                           std::string(spelling) + " is not");
}

void CheckRejectionNames(const Status& status, std::string_view what,
                         const char* parser) {
  CheckRejection(status, {Code::kInvalidArgument}, parser, 256);
  FUZZ_CHECK(status.message().starts_with(std::string(what) + " "),
             status.message());
}

}  // namespace
}  // namespace xenshm::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xenshm;
  using namespace xenshm::fuzz;
  if (size == 0) return 0;
  const unsigned selector = static_cast<unsigned>(data[0] - '0') % 8;
  std::string_view text = AsText(data + 1, size - 1);
  uint64_t max = UINT64_MAX;
  if (selector < 7) {
    max = kFixedMaxima[selector];
  } else if (text.size() >= 8) {
    std::memcpy(&max, text.data(), 8);  // little endian, as x86 reads it
    text.remove_prefix(8);
  }

  const std::string quoted = QuoteHostile(text);
  FUZZ_CHECK(quoted == ModelQuote(text), quoted);
  FUZZ_CHECK(IsPrintableAscii(quoted), quoted);
  FUZZ_CHECK(quoted.size() <= 2 + 4 * kMaxQuotedBytes + 3, quoted);

  auto decimal = ParseDecimal(text, max, "count");
  auto model_decimal = ModelDecimal(text, max);
  FUZZ_CHECK(
      decimal.has_value() == model_decimal.has_value(),
      std::string(text) +
          (decimal ? " accepted" : " refused: " + decimal.error().message()));
  if (decimal) {
    FUZZ_CHECK(*decimal == *model_decimal, text);
    FUZZ_CHECK(*decimal <= max, text);
    FUZZ_CHECK(std::to_string(*decimal) == text, text);
    auto as_size = ParseByteSize(text, max, "size");
    FUZZ_CHECK(as_size && *as_size == *decimal, text);
  } else {
    CheckRejectionNames(decimal.error(), "count", "ParseDecimal");
  }

  auto bytes = ParseByteSize(text, max, "size");
  auto model_bytes = ModelByteSize(text, max);
  FUZZ_CHECK(
      bytes.has_value() == model_bytes.has_value(),
      std::string(text) +
          (bytes ? " accepted" : " refused: " + bytes.error().message()));
  if (bytes) {
    const uint64_t value = *bytes;
    FUZZ_CHECK(value == *model_bytes, text);
    FUZZ_CHECK(value <= max, text);
    CheckSizeReadsBack(text, value, max, std::to_string(value));
    CheckSizeReadsBack(text, value, max, Hex(value, false));
    CheckSizeReadsBack(text, value, max, Hex(value, true));
    const std::string shown = FormatByteSize(value);
    const size_t space = shown.find(' ');
    CheckSizeReadsBack(text, value, max, shown.substr(0, space));
    if (space != std::string::npos) {
      // "N (M KiB)": M with K (or M, G) spells the same bytes.
      const std::string unit =
          shown.substr(space + 2, shown.size() - space - 3);
      CheckSizeReadsBack(
          text, value, max,
          unit.substr(0, unit.find(' ')) + unit[unit.find(' ') + 1]);
    }
    const std::pair<int, char> units[] = {{10, 'K'}, {20, 'M'}, {30, 'G'}};
    for (auto [shift, suffix] : units) {
      if (value % (uint64_t{1} << shift) != 0) continue;
      const std::string number = std::to_string(value >> shift);
      CheckSizeReadsBack(text, value, max, number + suffix);
      CheckSizeReadsBack(text, value, max,
                         number + static_cast<char>(suffix - 'A' + 'a'));
    }
  } else {
    CheckRejectionNames(bytes.error(), "size", "ParseByteSize");
  }
  return 0;
}
