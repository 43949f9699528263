// Fuzz target for a domain policy's xenstore form (backend/policy/
// policy_codec.h): the text xenshm-xl-create writes to
// /local/domain/0/xenshm/policy/<domid> and xenshmd reads back.
//
// Input: the node's text.
//
// Invariants:
//  - ParseSerializedPolicy refuses with kInvalidArgument and a bounded
//    message starting "policy" (its line or size), or returns a policy
//    within CheckPolicyBounds whose serialized form decodes to an equal
//    policy and re-encodes to the same text.
//  - ReadDomainPolicy of a dom0-owned node holding the text answers as
//    ParseSerializedPolicy does (a refusal prefixed with the node's path);
//    of a node a guest owns, kNoPermission whatever the text; of no node,
//    kNotFound.
//  - WriteDomainPolicy then ReadDomainPolicy gives an accepted policy
//    back, with a dom0-only node; RemoveDomainPolicy leaves no node and is
//    Ok when repeated.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "backend/policy/policy_codec.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/memory_xenstore.h"
#include "tests/fuzz/policy_invariants.h"

namespace xenshm::fuzz {
namespace {

using namespace xenshm::policy;

constexpr DomainId kGuest = 7;

std::string Describe(const Result<DomainPolicy>& result) {
  return result ? "a policy" : result.error().ToString();
}

void CheckNode(std::string_view text, const Result<DomainPolicy>& parsed) {
  const std::string path = PolicyPath(kGuest);
  MemoryXenStore store;
  FUZZ_CHECK(store.Write(kNoTransaction, path, std::string(text)).ok(), path);
  FUZZ_CHECK(
      store.SetPermissions(kNoTransaction, path, {{kDom0, XsAccess::kNone}})
          .ok(),
      path);
  auto read = ReadDomainPolicy(store, kGuest);
  if (parsed) {
    FUZZ_CHECK(read && *read == *parsed, Describe(read));
  } else {
    FUZZ_CHECK(
        !read && read.error().code() == parsed.error().code() &&
            read.error().message() == path + ": " + parsed.error().message(),
        Describe(read));
  }

  FUZZ_CHECK(
      store.SetPermissions(kNoTransaction, path, {{kGuest, XsAccess::kNone}})
          .ok(),
      path);
  auto guest_owned = ReadDomainPolicy(store, kGuest);
  FUZZ_CHECK(!guest_owned && guest_owned.error().code() == Code::kNoPermission,
             Describe(guest_owned));

  FUZZ_CHECK(RemoveDomainPolicy(store, kGuest).ok(), path);
  auto gone = ReadDomainPolicy(store, kGuest);
  FUZZ_CHECK(!gone && gone.error().code() == Code::kNotFound, Describe(gone));
  FUZZ_CHECK(RemoveDomainPolicy(store, kGuest).ok(), "second remove");

  if (!parsed) return;
  Status written = WriteDomainPolicy(store, kGuest, *parsed);
  if (!written.ok()) {
    CheckRejection(written, {Code::kInvalidArgument}, "WriteDomainPolicy");
    return;
  }
  auto perms = store.GetPermissions(kNoTransaction, path);
  FUZZ_CHECK(
      perms && *perms == std::vector<XsPermission>({{kDom0, XsAccess::kNone}}),
      "the node is not dom0-only");
  auto back = ReadDomainPolicy(store, kGuest);
  FUZZ_CHECK(back && *back == *parsed, Describe(back));
}

}  // namespace
}  // namespace xenshm::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xenshm;
  using namespace xenshm::fuzz;
  const std::string_view text = AsText(data, size);
  auto parsed = policy::ParseSerializedPolicy(text);
  if (parsed) {
    CheckPolicyBounds(*parsed);
    CheckCodecRoundTrip(*parsed);
  } else {
    CheckRejection(parsed.error(), {Code::kInvalidArgument},
                   "ParseSerializedPolicy", 1024, /*tabs_ok=*/true);
    FUZZ_CHECK(parsed.error().message().starts_with("policy"),
               parsed.error().message());
  }
  CheckNode(text, parsed);
  return 0;
}
