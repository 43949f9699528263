// The grant directory: dom0 pages, granted read-only to one peer, that list
// the grant references of every page of a region for that peer. xenstore
// values are small, so the backend publishes only the directory pages' refs
// (node `grant-directory`, space-separated decimals).
//
// Layout (little-endian, fixed width; written by xenshmd, read by frontends,
// who treat it as hostile and bound-check everything):
//   offset 0: GrantDirectoryHeader
//   offset 16: uint32_t refs[page_count]
#ifndef XENSHM_XENSTORE_SCHEMA_GRANT_DIRECTORY_H_
#define XENSHM_XENSTORE_SCHEMA_GRANT_DIRECTORY_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/types.h"

namespace xenshm::schema {

inline constexpr uint32_t kGrantDirectoryMagic = 0x4d485358;  // "XSHM"
inline constexpr uint32_t kGrantDirectoryVersion = 1;

struct GrantDirectoryHeader {
  uint32_t magic;       // kGrantDirectoryMagic
  uint32_t version;     // kGrantDirectoryVersion
  uint32_t page_count;  // region pages listed after the header
  uint32_t reserved;    // zero
};
static_assert(sizeof(GrantDirectoryHeader) == 16);
static_assert(offsetof(GrantDirectoryHeader, page_count) == 8);

// Directory pages needed for a region of `region_pages` pages.
size_t GrantDirectoryPages(size_t region_pages);
// Fills `pages` (GrantDirectoryPages(refs.size()) * kPageSize bytes).
void WriteGrantDirectory(std::span<const GrantRef> refs,
                         std::span<std::byte> pages);
// Reads a directory; rejects a bad magic/version, or a page count other than
// `expected_pages` or beyond the pages mapped.
Result<std::vector<GrantRef>> ReadGrantDirectory(
    std::span<const std::byte> pages, size_t expected_pages);

std::string FormatRefList(std::span<const GrantRef> refs);
// At most `max_refs` strict decimals separated by single spaces.
Result<std::vector<GrantRef>> ParseRefList(std::string_view value,
                                           size_t max_refs);

}  // namespace xenshm::schema

#endif  // XENSHM_XENSTORE_SCHEMA_GRANT_DIRECTORY_H_
