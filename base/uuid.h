// A domain UUID's text, as libxl prints it: 36 lowercase hex digits and
// dashes (8-4-4-4-12). The hypervisor's domain handle (platform/real), the
// UUID xenshm-xl-create gives xl, and pin file names (backend/policy) all
// use this one form.
#ifndef XENSHM_BASE_UUID_H_
#define XENSHM_BASE_UUID_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace xenshm {

using UuidBytes = std::array<uint8_t, 16>;

std::string FormatUuid(const UuidBytes& bytes);
// True for exactly FormatUuid's form.
bool IsUuid(std::string_view text);

}  // namespace xenshm

#endif  // XENSHM_BASE_UUID_H_
