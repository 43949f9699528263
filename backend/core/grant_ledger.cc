#include "backend/core/grant_ledger.h"

#include <string>

#include "xenstore-schema/grant_directory.h"

namespace xenshm::backend {

uint64_t GrantEntriesFor(uint64_t region_pages) {
  return region_pages + schema::GrantDirectoryPages(region_pages);
}

uint64_t GrantFramesFor(uint64_t entries, uint32_t entries_per_frame) {
  return (entries + entries_per_frame - 1) / entries_per_frame;
}

Status CheckGrantTable(const GrantTableSpace& space, uint64_t needed) {
  const uint64_t usable = space.free_entries > kGrantReserve
                              ? space.free_entries - kGrantReserve
                              : 0;
  if (needed <= usable) return Status();
  const uint64_t missing_frames =
      GrantFramesFor(needed - usable, space.entries_per_frame);
  return Status(
      Code::kGrantBudget,
      "needs " + std::to_string(needed) + " grant entries but dom0 has " +
          std::to_string(usable) + " usable (" +
          std::to_string(space.free_entries) + " free, " +
          std::to_string(kGrantReserve) +
          " reserved); raise Xen's gnttab_max_frames boot option by at least " +
          std::to_string(missing_frames) + " frames (" +
          std::to_string(space.entries_per_frame) + " entries each)");
}

Status GrantLedger::Check(const GrantTableSpace& space, uint64_t needed) const {
  if (cap_) {
    const uint64_t left = *cap_ > in_use_ ? *cap_ - in_use_ : 0;
    if (needed > left) {
      return Status(Code::kGrantBudget,
                    "needs " + std::to_string(needed) +
                        " grant entries but xenshmd's --grant-budget of " +
                        std::to_string(*cap_) + " has " + std::to_string(left) +
                        " left (" + std::to_string(in_use_) + " in use)");
    }
  }
  return CheckGrantTable(space, needed);
}

}  // namespace xenshm::backend
