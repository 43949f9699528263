// ElfNeeded: the DT_NEEDED entries (sonames) of an ELF file, read from its
// dynamic section, without ldd (which would run the binary's loader).
#ifndef XENSHM_TESTS_LINKAGE_ELF_NEEDED_H_
#define XENSHM_TESTS_LINKAGE_ELF_NEEDED_H_

#include <string>
#include <vector>

#include "base/status.h"

namespace xenshm::testing {

// The sonames `path` names as DT_NEEDED, in file order. A 64-bit
// little-endian ELF only (what we build); anything else, a truncated file
// or a file with no dynamic section is kInvalidArgument naming the reason.
Result<std::vector<std::string>> ElfNeeded(const std::string& path);

}  // namespace xenshm::testing

#endif  // XENSHM_TESTS_LINKAGE_ELF_NEEDED_H_
