// RealGrantMapper: GrantMapper over libxengnttab (Linux /dev/xen/gntdev).
//
// A Map call maps the whole ref list with ONE
// xengnttab_map_domain_grant_refs call: one gntdev map, one contiguous
// virtual range, one hypercall batch. Either every page is mapped or none.
//
// Unmap notify. libxengnttab offers a notify only for single-page maps
// (xengnttab_map_grant_ref_notify). For a multi-page map we issue the gntdev
// ioctls ourselves on xengnttab_fd(), which is the handle's gntdev fd:
//   1. IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR on the mapping's start address
//      gives the map's offset in the gntdev "file" (the mmap offset
//      libxengnttab used);
//   2. IOCTL_GNTDEV_SET_UNMAP_NOTIFY with index = offset + clear_byte_offset
//      (or + 0 when only a port is asked for) and the wanted actions.
// The kernel keeps one notify per gntdev map, so one ioctl covers all pages;
// the byte is cleared when its page is unmapped and the event is sent when
// the map is released: on our own unmap (the destructor) as well as when
// the process dies. Constraints the kernel enforces and we check first:
// clearing a byte needs a writable mapping; the port must be bound through
// xen-evtchn in this domain (the kernel takes a reference on it, so it may
// outlive our EventChannels handle). If setting the notify fails, the
// mapping is unmapped and the call fails: no half-configured mapping leaks.
#ifndef XENSHM_PLATFORM_REAL_REAL_GRANT_MAPPER_H_
#define XENSHM_PLATFORM_REAL_REAL_GRANT_MAPPER_H_

#include <cstddef>
#include <memory>
#include <span>

#include "base/status.h"
#include "base/types.h"
#include "platform/grant_mapper.h"

struct xengntdev_handle;  // libxengnttab's opaque handle.

namespace xenshm {

// Checks a Map request before any Xen call: a non-empty ref list, a
// clear-byte offset inside the mapping and only on a writable mapping.
// Exposed for tests.
Status ValidateMapRequest(std::span<const GrantRef> refs, bool writable,
                          const UnmapNotify& notify);

class RealGrantMapper final : public GrantMapper {
 public:
  // Opens /dev/xen/gntdev (module xen-gntdev).
  static Result<std::unique_ptr<RealGrantMapper>> Open();

  ~RealGrantMapper() override;
  RealGrantMapper(const RealGrantMapper&) = delete;
  RealGrantMapper& operator=(const RealGrantMapper&) = delete;

  // Errors: kInvalidArgument for a malformed request; kNoPermission when
  // Xen refuses a page (gntdev reports any failed grant op as EINVAL: a ref
  // not granted to us, granted read-only while `writable`, or an invalid
  // ref); errno-derived codes otherwise (kNoMemory, ...).
  // Mappings must not outlive this mapper.
  Result<std::unique_ptr<GrantMapping>> Map(
      DomainId granter, std::span<const GrantRef> refs, bool writable,
      const UnmapNotify& notify = {}) override;

 private:
  explicit RealGrantMapper(xengntdev_handle* handle) : handle_(handle) {}

  xengntdev_handle* handle_;  // owned; closed by the destructor
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_REAL_GRANT_MAPPER_H_
