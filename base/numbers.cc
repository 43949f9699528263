#include "base/numbers.h"

#include <charconv>
#include <limits>
#include <string>

#include "base/hostile_text.h"

namespace xenshm {
namespace {

constexpr uint64_t kNoLimit = std::numeric_limits<uint64_t>::max();

// The multiplier of a binary suffix, or 0 if `c` is none.
uint64_t SuffixUnit(char c) {
  switch (c) {
    case 'K':
    case 'k':
      return uint64_t{1} << 10;
    case 'M':
    case 'm':
      return uint64_t{1} << 20;
    case 'G':
    case 'g':
      return uint64_t{1} << 30;
    default:
      return 0;
  }
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::unexpected<Status> Invalid(std::string_view what, std::string reason) {
  return Error(Code::kInvalidArgument, std::string(what) + " " + reason);
}

std::unexpected<Status> TooLarge(std::string_view what, std::string_view text,
                                 uint64_t max) {
  return Invalid(what, QuoteHostile(text) + " is more than " +
                           std::to_string(max) + " bytes");
}

Result<uint64_t> ParseHexSize(std::string_view text, uint64_t max,
                              std::string_view what) {
  std::string_view digits = text.substr(2);
  if (digits.empty()) {
    return Invalid(what, QuoteHostile(text) + " has no hex digits after 0x");
  }
  uint64_t value = 0;
  for (size_t i = 0; i < digits.size(); ++i) {
    const int digit = HexDigit(digits[i]);
    if (digit < 0) {
      if (i + 1 == digits.size() && SuffixUnit(digits[i]) != 0) {
        return Invalid(what, QuoteHostile(text) +
                                 ": a hex size takes no K, M or G suffix");
      }
      return Invalid(what, "is not a size: " + QuoteHostile(text));
    }
    if (value > (kNoLimit >> 4)) return TooLarge(what, text, max);
    value = (value << 4) | static_cast<uint64_t>(digit);
  }
  if (value > max) return TooLarge(what, text, max);
  return value;
}

}  // namespace

Result<uint64_t> ParseDecimal(std::string_view text, uint64_t max,
                              std::string_view what) {
  if (text.empty()) return Invalid(what, "is empty");
  if (text.size() > 20 || !IsPrintableAscii(text)) {
    return Invalid(what, "is not a number: " + QuoteHostile(text));
  }
  if (text.size() > 1 && text.front() == '0') {
    return Invalid(what, "has a leading zero: " + QuoteHostile(text));
  }
  uint64_t number = 0;
  auto [end, ec] =
      std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec == std::errc::result_out_of_range) {
    return Invalid(what, "is out of range: " + QuoteHostile(text));
  }
  if (ec != std::errc() || end != text.data() + text.size()) {
    return Invalid(what, "is not a number: " + QuoteHostile(text));
  }
  if (number > max) {
    return Invalid(what,
                   std::to_string(number) + " exceeds " + std::to_string(max));
  }
  return number;
}

Result<uint64_t> ParseByteSize(std::string_view text, uint64_t max,
                               std::string_view what) {
  if (text.empty()) return Invalid(what, "is empty");
  if (text.size() > kMaxByteSizeLength || !IsPrintableAscii(text)) {
    return Invalid(what, "is not a size: " + QuoteHostile(text));
  }
  if (text.size() >= 2 && text[0] == '0' &&
      (text[1] == 'x' || text[1] == 'X')) {
    return ParseHexSize(text, max, what);
  }
  std::string_view digits = text;
  uint64_t unit = SuffixUnit(digits.back());
  if (unit != 0) {
    digits.remove_suffix(1);
    if (digits.empty()) {
      return Invalid(what, QuoteHostile(text) + " has no number before its " +
                               std::string(1, text.back()));
    }
    if (SuffixUnit(digits.back()) != 0) {
      return Invalid(
          what, QuoteHostile(text) + " has more than one K, M or G suffix");
    }
  } else {
    unit = 1;
  }
  uint64_t number = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') {
      return Invalid(what,
                     "is not a size (bytes, 0x hex bytes, or a number "
                     "with K, M or G): " +
                         QuoteHostile(text));
    }
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (number > (kNoLimit - digit) / 10) return TooLarge(what, text, max);
    number = number * 10 + digit;
  }
  // Refused rather than read as octal or as decimal: either reading would
  // surprise someone.
  if (digits.size() > 1 && digits.front() == '0') {
    return Invalid(what, QuoteHostile(text) + " has a leading zero");
  }
  if (number > max / unit) return TooLarge(what, text, max);
  return number * unit;
}

std::string FormatByteSize(uint64_t bytes) {
  static constexpr struct {
    int shift;
    const char* name;
  } kUnits[] = {{30, "GiB"}, {20, "MiB"}, {10, "KiB"}};
  const std::string exact = std::to_string(bytes);
  for (const auto& unit : kUnits) {
    const uint64_t size = uint64_t{1} << unit.shift;
    if (bytes >= size && bytes % size == 0) {
      return exact + " (" + std::to_string(bytes >> unit.shift) + " " +
             unit.name + ")";
    }
  }
  return exact;
}

}  // namespace xenshm
