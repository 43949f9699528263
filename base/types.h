// Plain identifiers shared by every layer.
#ifndef XENSHM_BASE_TYPES_H_
#define XENSHM_BASE_TYPES_H_

#include <cstddef>
#include <cstdint>

namespace xenshm {

using DomainId = uint16_t;   // Xen domid_t.
using GrantRef = uint32_t;   // Xen grant_ref_t.
using EventPort = uint32_t;  // Xen evtchn_port_t.
using RegionId = uint64_t;   // A region inside dom0's region granter.

inline constexpr DomainId kDom0 = 0;
inline constexpr size_t kPageSize = 4096;

}  // namespace xenshm

#endif  // XENSHM_BASE_TYPES_H_
