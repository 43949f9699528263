// What the coverage-guided fuzz targets (tests/fuzz/*_fuzzer.cc) share: the
// check that turns a broken invariant into a crash libFuzzer keeps, and the
// checks every parser's rejection must pass.
//
// A target is a libFuzzer entry point, LLVMFuzzerTestOneInput, that feeds
// its input to one parser family and checks what came back. A failed check
// prints what was expected and aborts, so libFuzzer saves the input as a
// crash and the replay test (corpus_replay_test.cc) fails on it.
#ifndef XENSHM_TESTS_FUZZ_FUZZ_CHECK_H_
#define XENSHM_TESTS_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "base/status.h"

// The entry point every target defines (libFuzzer's interface).
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace xenshm::fuzz {

// Prints "fuzz invariant broken at FILE:LINE: WHAT (DETAIL)" with the
// detail's bytes made printable, then aborts.
[[noreturn]] void InvariantBroken(const char* file, int line, const char* what,
                                  std::string_view detail);

// A rejection worth the name: not ok, a code from `allowed`, and a
// non-empty message of printable ASCII (tabs too, if `tabs_ok`) at most
// `max_message` bytes long, so it stays one bounded line in a log or a
// xenstore `message` node whatever the input was. Aborts via
// InvariantBroken otherwise; `where` names the parser.
void CheckRejection(const Status& status, std::initializer_list<Code> allowed,
                    const char* where, size_t max_message = 1024,
                    bool tabs_ok = false);

// The input as text (any bytes, NUL included).
inline std::string_view AsText(const uint8_t* data, size_t size) {
  return std::string_view(reinterpret_cast<const char*>(data), size);
}

}  // namespace xenshm::fuzz

// Aborts with `detail` (anything convertible to std::string_view) unless
// `condition` holds.
#define FUZZ_CHECK(condition, detail)                                 \
  do {                                                                \
    if (!(condition)) {                                               \
      ::xenshm::fuzz::InvariantBroken(__FILE__, __LINE__, #condition, \
                                      (detail));                      \
    }                                                                 \
  } while (0)

#endif  // XENSHM_TESTS_FUZZ_FUZZ_CHECK_H_
