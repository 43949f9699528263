// Identifiers libxenshm's API names.
#ifndef XENSHM_FRONTEND_TYPES_H_
#define XENSHM_FRONTEND_TYPES_H_

#include <cstdint>

namespace xenshm {

using DomainId = uint16_t;  // Xen domid_t.

inline constexpr DomainId kDom0 = 0;

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_TYPES_H_
