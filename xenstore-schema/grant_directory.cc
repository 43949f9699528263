#include "xenstore-schema/grant_directory.h"

#include <cstring>

#include "xenstore-schema/schema.h"

namespace xenshm::schema {

size_t GrantDirectoryPages(size_t region_pages) {
  size_t bytes = sizeof(GrantDirectoryHeader) + region_pages * sizeof(GrantRef);
  return (bytes + kPageSize - 1) / kPageSize;
}

void WriteGrantDirectory(std::span<const GrantRef> refs,
                         std::span<std::byte> pages) {
  GrantDirectoryHeader header{kGrantDirectoryMagic, kGrantDirectoryVersion,
                              static_cast<uint32_t>(refs.size()), 0};
  std::memcpy(pages.data(), &header, sizeof(header));
  // memcpy from an empty span's null data() is undefined even for 0 bytes.
  if (!refs.empty()) {
    std::memcpy(pages.data() + sizeof(header), refs.data(),
                refs.size() * sizeof(GrantRef));
  }
}

Result<std::vector<GrantRef>> ReadGrantDirectory(
    std::span<const std::byte> pages, size_t expected_pages) {
  GrantDirectoryHeader header;
  if (pages.size() < sizeof(header)) {
    return Error(Code::kInvalidArgument, "grant directory is too small");
  }
  // One copy of the header: the page may change under us.
  std::memcpy(&header, pages.data(), sizeof(header));
  if (header.magic != kGrantDirectoryMagic ||
      header.version != kGrantDirectoryVersion) {
    return Error(Code::kInvalidArgument, "grant directory has a bad magic");
  }
  if (header.page_count != expected_pages) {
    return Error(Code::kInvalidArgument,
                 "grant directory lists " + std::to_string(header.page_count) +
                     " pages, expected " + std::to_string(expected_pages));
  }
  if ((pages.size() - sizeof(header)) / sizeof(GrantRef) < expected_pages) {
    return Error(Code::kInvalidArgument,
                 "grant directory pages are too few for " +
                     std::to_string(expected_pages) + " refs");
  }
  std::vector<GrantRef> refs(expected_pages);
  // An empty vector's data() may be null, and memcpy to null is undefined
  // even for 0 bytes.
  if (expected_pages > 0) {
    std::memcpy(refs.data(), pages.data() + sizeof(header),
                expected_pages * sizeof(GrantRef));
  }
  return refs;
}

std::string FormatRefList(std::span<const GrantRef> refs) {
  std::string out;
  for (GrantRef ref : refs) {
    if (!out.empty()) out += ' ';
    out += std::to_string(ref);
  }
  return out;
}

Result<std::vector<GrantRef>> ParseRefList(std::string_view value,
                                           size_t max_refs) {
  std::vector<GrantRef> refs;
  while (!value.empty()) {
    size_t space = value.find(' ');
    auto ref = ParseDecimal(value.substr(0, space), UINT32_MAX, "grant ref");
    if (!ref) return std::unexpected(ref.error());
    if (refs.size() == max_refs) {
      return Error(Code::kInvalidArgument,
                   "more than " + std::to_string(max_refs) + " grant refs");
    }
    refs.push_back(static_cast<GrantRef>(*ref));
    if (space == std::string_view::npos) break;
    value.remove_prefix(space + 1);
    if (value.empty()) {
      return Error(Code::kInvalidArgument, "grant ref list ends with a space");
    }
  }
  if (refs.empty()) return Error(Code::kInvalidArgument, "no grant refs");
  return refs;
}

}  // namespace xenshm::schema
