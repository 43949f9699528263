// Bounds on everything a guest may ask for. One place, so the schema, the
// daemon, the library and the docs agree.
#ifndef XENSHM_XENSTORE_SCHEMA_LIMITS_H_
#define XENSHM_XENSTORE_SCHEMA_LIMITS_H_

#include <cstddef>
#include <cstdint>

namespace xenshm::schema {

inline constexpr size_t kMaxNameLength = 64;  // bytes, no terminator
inline constexpr uint32_t kMaxPeers = 64;     // attachments per region
inline constexpr uint32_t kMaxHandle = 1023;  // per domain
inline constexpr uint64_t kMaxRegionBytes = 1ull << 30;  // 1 GiB
inline constexpr size_t kMaxValueLength = 256;  // any guest-written value

}  // namespace xenshm::schema

#endif  // XENSHM_XENSTORE_SCHEMA_LIMITS_H_
