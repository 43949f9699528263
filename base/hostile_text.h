// Text that came from someone we do not trust (a guest's xenstore value, a
// command-line word, a config file): the checks and the quoting every parser
// uses before it puts such text in a message.
#ifndef XENSHM_BASE_HOSTILE_TEXT_H_
#define XENSHM_BASE_HOSTILE_TEXT_H_

#include <cstddef>
#include <string>
#include <string_view>

namespace xenshm {

// How many bytes of a hostile value QuoteHostile shows before "...".
inline constexpr size_t kMaxQuotedBytes = 40;

// True if every byte is printable ASCII (0x20..0x7e); true for "".
bool IsPrintableAscii(std::string_view text);

// `text` in single quotes for a message: at most kMaxQuotedBytes shown
// (then "..."), and every byte that is not printable ASCII, and the quote
// itself, written as \xNN. So a log line stays one bounded, readable line
// whatever a peer wrote.
std::string QuoteHostile(std::string_view text);

}  // namespace xenshm

#endif  // XENSHM_BASE_HOSTILE_TEXT_H_
