// The two number parsers of xenshm: one for every number on the wire, from
// a guest or on a command line (ParseDecimal), one for every size a person
// writes (ParseByteSize), and FormatByteSize for sizes shown to a person. Both
// are strict and bounded: a value either means exactly one number within the
// caller's range or is refused with a Status naming what was wrong, never
// silently read as 0 or as a prefix.
#ifndef XENSHM_BASE_NUMBERS_H_
#define XENSHM_BASE_NUMBERS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace xenshm {

// Longer than any size ParseByteSize reads ("0x" and 16 hex digits, or 20
// decimal digits and a suffix); anything longer is refused unread.
inline constexpr size_t kMaxByteSizeLength = 32;

// Strict unsigned decimal in [0, max]: only the digits 0-9, no sign, no
// spaces, no leading zero ("0" itself is fine), at most 20 digits.
// kInvalidArgument "<what> is empty" / "... is not a number: '...'" /
// "... has a leading zero" / "... is out of range" / "<what> N exceeds MAX";
// the offending text is quoted with QuoteHostile (base/hostile_text.h).
Result<uint64_t> ParseDecimal(std::string_view text, uint64_t max,
                              std::string_view what);

// A byte count in [0, max] as a person writes it:
//   "65536"     decimal bytes (strict as ParseDecimal)
//   "64K" "64k" a decimal with one binary suffix: K = 2^10, M = 2^20,
//   "128M" "1G" G = 2^30 (lower case too, as xl writes sizes)
//   "0x10000"   hex bytes after "0x" or "0X"; leading zeros allowed
// A hex value takes no suffix ("0x10K" is refused: a hex size is already an
// exact byte count, and mixing the two is far likelier a typo than meant).
// Refused with kInvalidArgument naming the reason: empty, longer than
// kMaxByteSizeLength, a sign, a space, a leading zero in decimal, a suffix
// without digits or given twice ("1KK"), an unknown suffix ("1T", "1KiB"),
// "0x" without digits, overflow, or a result above `max`. Zero is a size
// like any other; callers that need at least one byte say so themselves.
Result<uint64_t> ParseByteSize(std::string_view text, uint64_t max,
                               std::string_view what);

// A byte count for a person: "16777216 (16 MiB)" when it is a whole number
// of the largest binary unit (KiB, MiB, GiB) that fits, else just the
// decimal bytes ("4097", "0"). The decimal comes first, so what matched
// the bare number before still matches, and it pastes back where
// ParseByteSize reads it.
std::string FormatByteSize(uint64_t bytes);

}  // namespace xenshm

#endif  // XENSHM_BASE_NUMBERS_H_
