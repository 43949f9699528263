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

Status CheckGrantBudget(uint64_t free_entries, uint64_t needed,
                        std::optional<uint64_t> cap, uint64_t in_use) {
  if (cap) {
    uint64_t left = *cap > in_use ? *cap - in_use : 0;
    if (needed > left) {
      return Status(Code::kGrantBudget,
                    "needs " + std::to_string(needed) +
                        " grant entries but xenshmd's --grant-budget of " +
                        std::to_string(*cap) + " has " + std::to_string(left) +
                        " left (" + std::to_string(in_use) + " in use)");
    }
  }
  return CheckGrantBudget(free_entries, needed);
}

}  // namespace xenshm::backend
