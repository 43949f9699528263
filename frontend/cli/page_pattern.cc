#include "frontend/cli/page_pattern.h"

#include <algorithm>
#include <cstring>

namespace xenshm::cli {
namespace {

// splitmix64: cheap, and every word differs with the seed and the offset.
uint64_t WordAt(uint64_t seed, uint64_t word_index) {
  uint64_t z = seed * 0x9e3779b97f4a7c15ull + word_index + 1;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

}  // namespace

void FillPattern(void* data, size_t size, uint64_t seed) {
  auto* bytes = static_cast<unsigned char*>(data);
  for (size_t offset = 0; offset < size; offset += sizeof(uint64_t)) {
    uint64_t word = WordAt(seed, offset / sizeof(uint64_t));
    std::memcpy(bytes + offset, &word, std::min(sizeof(word), size - offset));
  }
}

std::optional<size_t> FindPatternMismatch(const void* data, size_t size,
                                          uint64_t seed) {
  const auto* bytes = static_cast<const unsigned char*>(data);
  for (size_t offset = 0; offset < size; offset += sizeof(uint64_t)) {
    uint64_t word = WordAt(seed, offset / sizeof(uint64_t));
    size_t n = std::min(sizeof(word), size - offset);
    if (std::memcmp(bytes + offset, &word, n) != 0) {
      for (size_t i = 0; i < n; ++i) {
        if (bytes[offset + i] != reinterpret_cast<unsigned char*>(&word)[i]) {
          return offset + i;
        }
      }
    }
  }
  return std::nullopt;
}

}  // namespace xenshm::cli
