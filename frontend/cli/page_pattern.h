// PagePattern: a per-page byte pattern that tells pages and seeds apart, so a
// reader can prove it sees exactly what a writer wrote, page by page.
#ifndef XENSHM_FRONTEND_CLI_PAGE_PATTERN_H_
#define XENSHM_FRONTEND_CLI_PAGE_PATTERN_H_

#include <cstddef>
#include <cstdint>
#include <optional>

namespace xenshm::cli {

// Fills `size` bytes at `data` with the pattern for `seed`.
void FillPattern(void* data, size_t size, uint64_t seed);
// The offset of the first byte that differs from the pattern, if any.
std::optional<size_t> FindPatternMismatch(const void* data, size_t size,
                                          uint64_t seed);

}  // namespace xenshm::cli

#endif  // XENSHM_FRONTEND_CLI_PAGE_PATTERN_H_
