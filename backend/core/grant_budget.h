// GrantBudget: whether dom0's grant table can hold an attachment's grants.
//
// A grant entry names one frame and one grantee, so sharing a region of N
// pages with M guests costs N×M entries (plus the directory pages). Xen's
// default gnttab_max_frames=64 gives dom0 32768 v1 entries.
#ifndef XENSHM_BACKEND_CORE_GRANT_BUDGET_H_
#define XENSHM_BACKEND_CORE_GRANT_BUDGET_H_

#include <cstdint>
#include <optional>

#include "base/status.h"

namespace xenshm::backend {

// Entries per 4 KiB grant-table frame with v1 entries (8 bytes each).
inline constexpr uint64_t kGrantEntriesPerFrame = 512;
// Entries the daemon leaves free for dom0's own drivers (netback, blkback).
inline constexpr uint64_t kGrantReserve = 1024;

// kGrantBudget, naming the numbers and the boot option to raise, when
// `needed` entries do not fit in `free_entries` minus the reserve.
Status CheckGrantBudget(uint64_t free_entries, uint64_t needed);
// The same, within xenshmd's own cap (--grant-budget) when that is tighter.
Status CheckGrantBudget(uint64_t free_entries, uint64_t needed,
                        std::optional<uint64_t> cap, uint64_t in_use);

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_GRANT_BUDGET_H_
