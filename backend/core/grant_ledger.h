// GrantLedger: the grant entries xenshmd holds in dom0's grant table, and
// whether one more attachment fits.
//
// A grant entry names one frame and one grantee, so a guest attached to a
// region of N pages holds N entries plus the entries of its grant directory
// (schema::GrantDirectoryPages). dom0 programs map through the kernel module
// and hold none. Entries per 4 KiB grant-table frame depend on the table's
// version: 512 with v1 (8-byte entries), 256 with v2 (16-byte entries); the
// kernel module reports which one dom0 runs.
#ifndef XENSHM_BACKEND_CORE_GRANT_LEDGER_H_
#define XENSHM_BACKEND_CORE_GRANT_LEDGER_H_

#include <cstdint>
#include <optional>

#include "base/status.h"

namespace xenshm::backend {

// Entries the daemon leaves free for dom0's own drivers (netback, blkback).
inline constexpr uint64_t kGrantReserve = 1024;

// Entries one guest attachment of a region of `region_pages` holds.
uint64_t GrantEntriesFor(uint64_t region_pages);

// Room in dom0's grant table, as the kernel module reports it.
struct GrantTableSpace {
  uint64_t free_entries = 0;
  uint32_t entries_per_frame = 512;  // 512 (v1) or 256 (v2)
};

// gnttab_max_frames needed for `entries` in all (rounded up).
uint64_t GrantFramesFor(uint64_t entries, uint32_t entries_per_frame);

// kGrantBudget, naming the numbers and how many gnttab_max_frames to add,
// when `needed` entries do not fit in the free entries less the reserve.
Status CheckGrantTable(const GrantTableSpace& space, uint64_t needed);

class GrantLedger {
 public:
  // `cap`: xenshmd's own limit (--grant-budget), if tighter than the table.
  explicit GrantLedger(std::optional<uint64_t> cap = std::nullopt)
      : cap_(cap) {}

  // Whether `needed` more entries fit under the cap and in the table.
  Status Check(const GrantTableSpace& space, uint64_t needed) const;
  void Charge(uint64_t entries) { in_use_ += entries; }
  // REQUIRES: `entries` were charged.
  void Refund(uint64_t entries) { in_use_ -= entries; }
  uint64_t in_use() const { return in_use_; }

 private:
  std::optional<uint64_t> cap_;
  uint64_t in_use_ = 0;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_GRANT_LEDGER_H_
