// RegionGranter: dom0-owned region memory, granted to any domain.
//
// The real implementation is the xenshm dom0 kernel module (backend/kmod);
// user space cannot grant one page to several domains. Regions outlive the
// process that created them, so a restarted daemon finds them with List().
#ifndef XENSHM_PLATFORM_REGION_GRANTER_H_
#define XENSHM_PLATFORM_REGION_GRANTER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "base/status.h"
#include "base/types.h"

namespace xenshm {

struct GranterCounts {
  uint64_t regions = 0;         // allocated, not yet released
  uint64_t pages = 0;           // pages held, including deferred frees
  uint64_t grants = 0;          // grant entries outstanding
  uint64_t deferred_frees = 0;  // pages waiting for a peer to unmap
};

// What dom0 holds on one domain's behalf (RegionGranter::UsageOf). A
// deferred entry is a grant the domain still mapped when it was revoked (or
// its region released): it takes a grant entry until the domain unmaps, and
// it keeps a released region's memory alive.
struct DomainGrantUsage {
  uint64_t grants = 0;          // live grant entries to the domain
  uint64_t deferred = 0;        // ended grant entries it still maps
  uint64_t pinned_regions = 0;  // released regions only its mappings keep
  uint64_t pinned_pages = 0;    // the pages of those regions
  // Pages of released regions it keeps together with other domains (each
  // of them alone would not free them by unmapping).
  uint64_t shared_pinned_pages = 0;

  bool operator==(const DomainGrantUsage&) const = default;
};

struct RegionInfo {
  RegionId id = 0;
  size_t pages = 0;
};

// A dom0 process's mapping of a region (RAII: destroying it unmaps).
class RegionMapping {
 public:
  virtual ~RegionMapping() = default;
  virtual void* data() const = 0;
  virtual size_t size() const = 0;
};

class RegionGranter {
 public:
  virtual ~RegionGranter() = default;
  // Zeroed pages. kNoMemory if they cannot be had.
  virtual Result<RegionId> Allocate(size_t pages) = 0;
  // Grants every page of the region to `domain`; refs[i] names page i.
  // All or nothing: on failure no grant of this call remains.
  virtual Result<std::vector<GrantRef>> Grant(RegionId region, DomainId domain,
                                              bool readonly) = 0;
  // Ends `domain`'s grants; pages a peer still maps are freed later.
  virtual Status Revoke(RegionId region, DomainId domain) = 0;
  // Drops the region; memory is freed once no peer maps it.
  virtual Status Release(RegionId region) = 0;
  // The region's read-only view: another id for the same pages that maps
  // only read-only, for a dom0 program's read-only attachment. One per
  // region (every call returns the same id; a view's view is itself); it
  // goes with the region at Release. Not listed; Grant, Revoke and Release
  // of a view are kNotFound. kNotFound for an unknown region.
  virtual Result<RegionId> ReadOnlyView(RegionId region) = 0;
  // Maps the whole region (or view) in this process. `readonly`: PROT_READ,
  // and mprotect cannot make it writable. A view mapped writable is
  // kNoPermission. The mapping stays valid (and keeps the pages) after
  // Release.
  virtual Result<std::unique_ptr<RegionMapping>> MapLocal(RegionId region,
                                                          bool readonly) = 0;
  // Read-write.
  Result<std::unique_ptr<RegionMapping>> MapLocal(RegionId region) {
    return MapLocal(region, /*readonly=*/false);
  }
  virtual Result<std::vector<RegionInfo>> List() = 0;
  virtual Result<GranterCounts> Counts() = 0;
  // What dom0 holds for `domain` now (deferred entries it unmapped are
  // ended first). kInvalidArgument for a reserved domain id.
  virtual Result<DomainGrantUsage> UsageOf(DomainId domain) = 0;
  // Free grant entries left in dom0's grant table (for the budget check).
  virtual Result<uint64_t> FreeGrantEntries() = 0;
  // Entries per grant-table frame: 512 with grant table v1, 256 with v2
  // (for the advice on raising gnttab_max_frames). v1 unless overridden.
  virtual uint32_t GrantEntriesPerFrame() { return 512; }
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REGION_GRANTER_H_
