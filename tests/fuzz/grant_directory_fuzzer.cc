// Fuzz target for the grant directory (xenstore-schema/grant_directory.h):
// the dom0 pages a frontend maps and must treat as hostile, and the
// `grant-directory` ref list it reads from xenstore.
//
// Input: two bytes, a little-endian count N, then the rest R. R is read as
// directory pages expected to list N refs (ReadGrantDirectory), and as a
// ref list of at most N refs (ParseRefList).
//
// Invariants:
//  - ReadGrantDirectory accepts exactly when the header says magic, version
//    1 and N pages and R holds 16 + 4N bytes, and then returns the N refs
//    stored after the header; WriteGrantDirectory into
//    GrantDirectoryPages(N) pages (the fewest that hold them) reads back to
//    the same refs.
//  - ParseRefList accepts exactly 1..N strict decimals up to 2^32-1
//    separated by single spaces; FormatRefList gives the text back.
//  - Rejections are kInvalidArgument with a bounded printable reason.
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/types.h"
#include "tests/fuzz/fuzz_check.h"
#include "xenstore-schema/grant_directory.h"

namespace xenshm::fuzz {
namespace {

using namespace xenshm::schema;

uint32_t Word(std::span<const uint8_t> bytes, size_t offset) {
  uint32_t word;
  std::memcpy(&word, bytes.data() + offset, sizeof(word));
  return word;
}

// ReadGrantDirectory as its comment and the layout state it.
std::optional<std::vector<GrantRef>> ModelDirectory(
    std::span<const uint8_t> pages, size_t expected) {
  if (pages.size() < 16) return std::nullopt;
  if (Word(pages, 0) != kGrantDirectoryMagic) return std::nullopt;
  if (Word(pages, 4) != kGrantDirectoryVersion) return std::nullopt;
  if (Word(pages, 8) != expected) return std::nullopt;
  if (pages.size() < 16 + 4 * expected) return std::nullopt;
  std::vector<GrantRef> refs;
  for (size_t i = 0; i < expected; ++i) refs.push_back(Word(pages, 16 + 4 * i));
  return refs;
}

// ParseRefList as its comment states it.
std::optional<std::vector<GrantRef>> ModelRefList(std::string_view text,
                                                  size_t max_refs) {
  std::vector<GrantRef> refs;
  size_t start = 0;
  while (true) {
    size_t end = text.find(' ', start);
    std::string_view token = text.substr(start, end == std::string_view::npos
                                                    ? std::string_view::npos
                                                    : end - start);
    if (token.empty() || token.size() > 10) return std::nullopt;
    if (token.size() > 1 && token[0] == '0') return std::nullopt;
    uint64_t value = 0;
    for (char c : token) {
      if (c < '0' || c > '9') return std::nullopt;
      value = value * 10 + static_cast<uint64_t>(c - '0');
    }
    if (value > UINT32_MAX) return std::nullopt;
    refs.push_back(static_cast<GrantRef>(value));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  if (refs.size() > max_refs) return std::nullopt;
  return refs;
}

std::string Count(const std::optional<std::vector<GrantRef>>& refs) {
  return refs ? std::to_string(refs->size()) + " refs" : "refused";
}

}  // namespace
}  // namespace xenshm::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xenshm;
  using namespace xenshm::fuzz;
  using namespace xenshm::schema;
  if (size < 2) return 0;
  const size_t count = data[0] | (size_t{data[1]} << 8);
  const std::span<const uint8_t> rest(data + 2, size - 2);

  // A copy in an allocation of exactly its size, so ASan catches any read
  // past the mapped pages.
  std::vector<std::byte> pages(rest.size());
  if (!pages.empty()) std::memcpy(pages.data(), rest.data(), rest.size());
  auto directory = ReadGrantDirectory(pages, count);
  auto model = ModelDirectory(rest, count);
  FUZZ_CHECK(directory.has_value() == model.has_value(),
             "read " + std::string(directory ? "accepted" : "refused") +
                 ", model " + Count(model));
  if (directory) {
    FUZZ_CHECK(*directory == *model, "refs differ from the page's");
    const size_t needed = GrantDirectoryPages(count);
    FUZZ_CHECK(needed * kPageSize >= 16 + 4 * count, std::to_string(count));
    FUZZ_CHECK(needed == 0 || (needed - 1) * kPageSize < 16 + 4 * count,
               std::to_string(count));
    std::vector<std::byte> written(needed * kPageSize);
    WriteGrantDirectory(*directory, written);
    auto reread = ReadGrantDirectory(written, count);
    FUZZ_CHECK(reread && *reread == *directory, "write/read round trip");
    if (count >= 1) {
      auto listed = ParseRefList(FormatRefList(*directory), count);
      FUZZ_CHECK(listed && *listed == *directory, FormatRefList(*directory));
    }
  } else {
    CheckRejection(directory.error(), {Code::kInvalidArgument},
                   "ReadGrantDirectory", 256);
  }

  const std::string_view text = AsText(rest.data(), rest.size());
  auto list = ParseRefList(text, count);
  auto model_list = ModelRefList(text, count);
  FUZZ_CHECK(list.has_value() == model_list.has_value(),
             std::string(text) + ": " + (list ? "accepted" : "refused") +
                 ", model " + Count(model_list));
  if (list) {
    FUZZ_CHECK(*list == *model_list, text);
    FUZZ_CHECK(!list->empty() && list->size() <= count, text);
    FUZZ_CHECK(FormatRefList(*list) == text, text);
  } else {
    CheckRejection(list.error(), {Code::kInvalidArgument}, "ParseRefList", 256);
  }
  return 0;
}
