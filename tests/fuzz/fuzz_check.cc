#include "tests/fuzz/fuzz_check.h"

#include <cstdio>
#include <cstdlib>
#include <string>

namespace xenshm::fuzz {
namespace {

// `text` with every byte outside printable ASCII as \xNN, unshortened.
std::string Printable(std::string_view text) {
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte >= 0x20 && byte <= 0x7e && c != '\\') {
      out += c;
    } else {
      char escaped[8];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", byte);
      out += escaped;
    }
  }
  return out;
}

}  // namespace

void InvariantBroken(const char* file, int line, const char* what,
                     std::string_view detail) {
  std::fprintf(stderr, "fuzz invariant broken at %s:%d: %s (%s)\n", file, line,
               what, Printable(detail).c_str());
  std::abort();
}

void CheckRejection(const Status& status, std::initializer_list<Code> allowed,
                    const char* where, size_t max_message, bool tabs_ok) {
  // Checked without building strings: targets call this on every refusal.
  const std::string& message = status.message();
  bool known = false;
  for (Code code : allowed) known = known || code == status.code();
  bool printable = true;
  for (char c : message) {
    printable =
        printable && ((c >= 0x20 && c <= 0x7e) || (tabs_ok && c == '\t'));
  }
  const char* broken = status.ok()                    ? "a refusal that is ok"
                       : !known                       ? "an unexpected code"
                       : message.empty()              ? "an empty message"
                       : message.size() > max_message ? "a message too long"
                       : !printable                   ? "an unprintable message"
                                                      : nullptr;
  if (broken != nullptr) {
    InvariantBroken(__FILE__, __LINE__, broken,
                    std::string(where) + ": " +
                        std::string(CodeName(status.code())) + ": " + message);
  }
}

}  // namespace xenshm::fuzz
