// GrantMapper: map pages another domain granted us (Linux gntdev).
#ifndef XENSHM_PLATFORM_GRANT_MAPPER_H_
#define XENSHM_PLATFORM_GRANT_MAPPER_H_

#include <cstddef>
#include <memory>
#include <optional>
#include <span>

#include "base/status.h"
#include "base/types.h"

namespace xenshm {

// What the kernel does for us if this process dies with the mapping in place:
// clear one byte of the mapping and/or signal an event channel, so the granter
// learns of the death (gntdev's IOCTL_GNTDEV_SET_UNMAP_NOTIFY).
struct UnmapNotify {
  std::optional<size_t> clear_byte_offset;
  std::optional<EventPort> port;  // a local port bound to the granter
};

// A live mapping; destroying it unmaps (RAII).
class GrantMapping {
 public:
  virtual ~GrantMapping() = default;
  virtual void* data() const = 0;
  virtual size_t size() const = 0;
  virtual bool writable() const = 0;
};

class GrantMapper {
 public:
  virtual ~GrantMapper() = default;
  // Maps `refs` from `granter` contiguously, in order, in one mapping.
  // Fails with kNoPermission if a ref is not granted to us (or is read-only
  // and `writable` is set), kInvalidArgument for an empty list.
  virtual Result<std::unique_ptr<GrantMapping>> Map(
      DomainId granter, std::span<const GrantRef> refs, bool writable,
      const UnmapNotify& notify = {}) = 0;
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_GRANT_MAPPER_H_
