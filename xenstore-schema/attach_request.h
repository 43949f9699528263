// AttachRequest: what a frontend asks for under
// /local/domain/<d>/device/xenshm/<handle>/, read and validated in one place.
#ifndef XENSHM_XENSTORE_SCHEMA_ATTACH_REQUEST_H_
#define XENSHM_XENSTORE_SCHEMA_ATTACH_REQUEST_H_

#include <cstdint>
#include <optional>
#include <string>

#include "base/status.h"
#include "platform/xenstore.h"
#include "xenstore-schema/schema.h"

namespace xenshm::schema {

struct AttachRequest {
  std::string name;
  uint64_t size = 0;  // bytes asked for; the creator's size wins
  AttachMode mode = AttachMode::kCreateOrAttach;
  Access access = Access::kReadWrite;
  // dom0 only: the attaching process; xenshmd detaches when it exits (dom0
  // programs have no gntdev unmap-notify). Never read from a guest.
  std::optional<int> pid;
};

// Reads name, size, mode and access, and dom0's pid when present. A missing
// node or a value over kMaxValueLength is kInvalidArgument; each value goes
// through its parser, so the Status names the reason (kIllegalName for a bad
// name).
Result<AttachRequest> ReadAttachRequest(XenStore& xenstore, XsTransaction t,
                                        DomainId domain, uint32_t handle);

// Writes the request's nodes (without the state); used by frontends.
Status WriteAttachRequest(XenStore& xenstore, XsTransaction t, DomainId domain,
                          uint32_t handle, const AttachRequest& request);

}  // namespace xenshm::schema

#endif  // XENSHM_XENSTORE_SCHEMA_ATTACH_REQUEST_H_
