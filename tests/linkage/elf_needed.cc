#include "tests/linkage/elf_needed.h"

#include <elf.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

namespace xenshm::testing {
namespace {

// Copies a T from `bytes` at `offset`, or nullopt if it does not fit.
template <typename T>
std::optional<T> ReadAt(const std::string& bytes, uint64_t offset) {
  if (offset > bytes.size() || bytes.size() - offset < sizeof(T)) {
    return std::nullopt;
  }
  T value;
  std::memcpy(&value, bytes.data() + offset, sizeof(T));
  return value;
}

}  // namespace

Result<std::vector<std::string>> ElfNeeded(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(Code::kNotFound, "cannot open " + path);
  const std::string bytes((std::istreambuf_iterator<char>(in)),
                          std::istreambuf_iterator<char>());
  auto bad = [&](const std::string& why) {
    return Error(Code::kInvalidArgument, path + ": " + why);
  };
  auto header = ReadAt<Elf64_Ehdr>(bytes, 0);
  if (!header || std::memcmp(header->e_ident, ELFMAG, SELFMAG) != 0) {
    return bad("not an ELF file");
  }
  if (header->e_ident[EI_CLASS] != ELFCLASS64 ||
      header->e_ident[EI_DATA] != ELFDATA2LSB) {
    return bad("not a 64-bit little-endian ELF file");
  }
  if (header->e_shentsize != sizeof(Elf64_Shdr)) {
    return bad("unexpected section header size");
  }
  auto section = [&](uint64_t index) {
    return ReadAt<Elf64_Shdr>(bytes,
                              header->e_shoff + index * sizeof(Elf64_Shdr));
  };
  for (uint64_t i = 0; i < header->e_shnum; ++i) {
    auto dynamic = section(i);
    if (!dynamic) return bad("truncated section headers");
    if (dynamic->sh_type != SHT_DYNAMIC) continue;
    // The dynamic section's sh_link is its string table.
    auto strings = section(dynamic->sh_link);
    if (!strings || strings->sh_type != SHT_STRTAB) {
      return bad("dynamic section without a string table");
    }
    std::vector<std::string> needed;
    for (uint64_t at = 0; at + sizeof(Elf64_Dyn) <= dynamic->sh_size;
         at += sizeof(Elf64_Dyn)) {
      auto entry = ReadAt<Elf64_Dyn>(bytes, dynamic->sh_offset + at);
      if (!entry) return bad("truncated dynamic section");
      if (entry->d_tag == DT_NULL) break;
      if (entry->d_tag != DT_NEEDED) continue;
      const uint64_t name = entry->d_un.d_val;
      if (name >= strings->sh_size ||
          strings->sh_offset + strings->sh_size > bytes.size()) {
        return bad("DT_NEEDED outside the string table");
      }
      const char* start = bytes.data() + strings->sh_offset + name;
      needed.emplace_back(start, strnlen(start, strings->sh_size - name));
    }
    return needed;
  }
  return bad("no dynamic section (a static binary?)");
}

}  // namespace xenshm::testing
