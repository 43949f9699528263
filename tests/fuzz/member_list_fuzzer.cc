// Fuzz target for the members value (xenstore-schema/member_list.h), which
// every peer's library parses on each membership change.
//
// Input: the value, any bytes.
//
// Invariants:
//  - ParseMemberList accepts only the canonical encoding: what it accepts,
//    FormatMemberList writes back byte for byte (so increasing unique
//    indices, single spaces, strict decimals), with at most kMaxPeers
//    entries, every index below kMaxPeers, and never more than
//    kMaxMemberListLength bytes.
//  - Rejections are kInvalidArgument with a bounded printable reason.
#include <cstdint>
#include <string>

#include "tests/fuzz/fuzz_check.h"
#include "xenstore-schema/member_list.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xenshm;
  using namespace xenshm::fuzz;
  using namespace xenshm::schema;
  const std::string_view value = AsText(data, size);
  auto members = ParseMemberList(value);
  if (!members) {
    CheckRejection(members.error(), {Code::kInvalidArgument}, "ParseMemberList",
                   512);
    return 0;
  }
  FUZZ_CHECK(value.size() <= kMaxMemberListLength, std::string(value));
  FUZZ_CHECK(members->size() <= kMaxPeers, std::string(value));
  for (const auto& [index, peer] : *members) {
    FUZZ_CHECK(index < kMaxPeers, std::to_string(index));
  }
  FUZZ_CHECK(FormatMemberList(*members) == value, std::string(value));
  return 0;
}
