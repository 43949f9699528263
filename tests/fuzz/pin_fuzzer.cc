// Fuzz target for pin files (backend/policy/pin_store.h): dom0's record of
// a domain UUID's policy, written by xenshm-xl-create and xenshmd and read
// back by xenshmd at every domain start.
//
// Input: a pin file's text, any bytes.
//
// Invariants:
//  - DecodePin refuses with kInvalidArgument and a bounded printable
//    reason starting "pin: ", or returns a pin whose name is pinnable and
//    whose origin is printable and bounded;
//  - an accepted pin encodes (EncodePin) to a text that decodes to the same
//    name, origin and policy, and encodes again to the same text.
#include <cstdint>
#include <string>

#include "backend/policy/pin_store.h"
#include "backend/policy/policy_codec.h"
#include "base/hostile_text.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xenshm;
  using namespace xenshm::fuzz;
  using namespace xenshm::policy;
  const std::string_view text = AsText(data, size);
  auto pin = DecodePin(text);
  if (!pin) {
    CheckRejection(pin.error(), {Code::kInvalidArgument}, "DecodePin", 1024,
                   /*tabs_ok=*/true);
    FUZZ_CHECK(pin.error().message().rfind("pin: ", 0) == 0,
               pin.error().message());
    return 0;
  }
  FUZZ_CHECK(IsPinnableDomainName(pin->name), pin->name);
  FUZZ_CHECK(pin->found.origin.size() <= kMaxSourceLength, pin->found.origin);
  FUZZ_CHECK(IsPrintableAscii(pin->found.origin), pin->found.origin);
  pin->uuid = "6d1a3c9e-0b6f-4c47-9a0e-5f2b1d7c8e90";
  auto encoded = EncodePin(*pin);
  FUZZ_CHECK(encoded.has_value(),
             encoded ? std::string() : encoded.error().ToString());
  auto again = DecodePin(*encoded);
  FUZZ_CHECK(again.has_value(), *encoded);
  FUZZ_CHECK(again->name == pin->name, *encoded);
  FUZZ_CHECK(again->found.origin == pin->found.origin, *encoded);
  FUZZ_CHECK(again->found.policy == pin->found.policy, *encoded);
  again->uuid = pin->uuid;
  auto reencoded = EncodePin(*again);
  FUZZ_CHECK(reencoded.has_value() && *reencoded == *encoded, *encoded);
  return 0;
}
