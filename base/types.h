// Plain identifiers shared by every layer. DomainId and kDom0 are
// libxenshm's public ones (xenshm/types.h).
#ifndef XENSHM_BASE_TYPES_H_
#define XENSHM_BASE_TYPES_H_

#include <cstddef>
#include <cstdint>

#include "xenshm/types.h"

namespace xenshm {

using GrantRef = uint32_t;   // Xen grant_ref_t.
using EventPort = uint32_t;  // Xen evtchn_port_t.
using RegionId = uint64_t;   // A region inside dom0's region granter.

inline constexpr size_t kPageSize = 4096;

}  // namespace xenshm

#endif  // XENSHM_BASE_TYPES_H_
