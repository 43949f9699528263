#include "backend/core/grant_budget.h"

#include <string>

namespace xenshm::backend {

Status CheckGrantBudget(uint64_t free_entries, uint64_t needed) {
  uint64_t usable =
      free_entries > kGrantReserve ? free_entries - kGrantReserve : 0;
  if (needed <= usable) return Status();
  uint64_t missing_frames =
      (needed - usable + kGrantEntriesPerFrame - 1) / kGrantEntriesPerFrame;
  return Status(
      Code::kGrantBudget,
      "needs " + std::to_string(needed) + " grant entries but dom0 has " +
          std::to_string(usable) + " usable (" + std::to_string(free_entries) +
          " free, " + std::to_string(kGrantReserve) +
          " reserved); raise Xen's gnttab_max_frames boot option by at least " +
          std::to_string(missing_frames) + " frames");
}

}  // namespace xenshm::backend
