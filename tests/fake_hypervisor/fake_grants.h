// FakeGrants: dom0's region granter and every domain's grant mapper.
//
// How this works:
//  1. A region is a memfd of pages * kPageSize zeroed bytes, owned by the
//     hypervisor (not by the process that allocated it), so it outlives a
//     restarted daemon like the kernel module's regions do.
//  2. Grant() takes one entry of dom0's grant table per page (all or
//     nothing); refs below kReservedGrantEntries are never handed out, as in
//     Xen. Entries are the budget FreeGrantEntries() reports.
//  3. Map() checks every ref is an entry granted to the caller (writable only
//     if the grant is), reserves one range of address space and maps each
//     page of the memfd into it with MAP_FIXED, so peers really share bytes
//     and a read-only mapping really faults on write.
//  4. Ending a grant a peer still maps is deferred, like Linux's
//     gnttab_end_foreign_access: the entry stays taken and counts as a
//     deferred free until the last mapping of it goes. The mapping keeps
//     working; a new Map of the ended ref fails, as in Xen. A released
//     region's memory is freed once nothing (peer or dom0) maps it, and a
//     region allocated later is a new memfd: it never aliases pages a peer
//     still maps from a released one.
//  5. A region's read-only view (ReadOnlyView) is an id of the region id
//     space that only maps read-only: MapLocal maps it from a read-only
//     open of the memfd, so, as with the module's VM_MAYWRITE, mprotect
//     cannot make it writable; a writable MapLocal of it is refused.
//  6. Destroying a GrantMapping is a gntdev unmap: it clears the notify byte,
//     unmaps, then sends on the notify port. When a domain dies, Xen drops its
//     mappings from the grant accounting at once; the fake keeps the memory
//     mapped (so test code holding the pointer does not crash) and does no
//     notify when the dead domain's mapping object is destroyed later.
#ifndef XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_GRANTS_H_
#define XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_GRANTS_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <vector>

#include "platform/grant_mapper.h"
#include "platform/region_granter.h"
#include "tests/fake_hypervisor/domain_table.h"
#include "tests/fake_hypervisor/fake_event_channels.h"
#include "tests/fake_hypervisor/fault_injector.h"

namespace xenshm::fake {

inline constexpr size_t kReservedGrantEntries = 8;
inline constexpr size_t kDefaultGrantTableSize = 32768;

// Live mappings of one region.
struct RegionMappingCounts {
  uint64_t peer = 0;   // GrantMappings that include a page of it
  uint64_t local = 0;  // dom0 RegionMappings (MapLocal)
};

class GrantCore : public std::enable_shared_from_this<GrantCore> {
 public:
  GrantCore(std::shared_ptr<const DomainTable> domains,
            std::shared_ptr<FaultInjector> faults,
            std::shared_ptr<EventChannelCore> event_channels);
  GrantCore(const GrantCore&) = delete;
  GrantCore& operator=(const GrantCore&) = delete;
  ~GrantCore();

  // dom0's region granter (a process's open of the kernel module).
  std::unique_ptr<RegionGranter> OpenGranter();
  // `caller`'s gntdev.
  std::unique_ptr<GrantMapper> OpenMapper(const Caller& caller);

  // Resizes dom0's grant table: refs [kReservedGrantEntries, entries) are
  // usable. Entries in use above the new size stay until ended.
  void SetTableSize(size_t entries);
  // Domain `domain` died: its mappings leave the accounting (see 5. above).
  void ReleaseDomain(DomainId domain);

  GranterCounts Counts() const;
  DomainGrantUsage UsageOf(DomainId domain) const;
  // Zero counts for an unknown region.
  RegionMappingCounts MappingCounts(RegionId region) const;

 private:
  friend class FakeRegionGranter;
  friend class FakeGrantMapper;
  friend class FakeGrantMapping;
  friend class FakeRegionMapping;

  struct Entry {
    RegionId region = 0;
    size_t page = 0;
    DomainId grantee = 0;
    bool readonly = false;
    uint64_t maps = 0;   // live peer mappings of this entry
    bool ended = false;  // revoked while mapped: a deferred free
  };

  struct Region {
    size_t pages = 0;
    int memfd = -1;
    bool released = false;
    RegionId ro_view = 0;  // 0 until ReadOnlyView; forgotten at Release
    uint64_t peer_mappings = 0;
    uint64_t local_mappings = 0;
    std::map<DomainId, std::vector<GrantRef>> grants;  // live grants
  };

  struct MappingRecord {
    DomainId domain = 0;
    std::vector<GrantRef> refs;
  };

  // RegionGranter.
  Result<RegionId> Allocate(size_t pages);
  Result<std::vector<GrantRef>> Grant(RegionId region, DomainId domain,
                                      bool readonly);
  Status Revoke(RegionId region, DomainId domain);
  Status Release(RegionId region);
  Result<RegionId> ReadOnlyView(RegionId id);
  Result<std::unique_ptr<RegionMapping>> MapLocal(RegionId id, bool readonly);
  std::vector<RegionInfo> List() const;
  uint64_t FreeEntries() const;
  void LocalUnmapped(RegionId region);

  // GrantMapper.
  Result<std::unique_ptr<GrantMapping>> Map(const Caller& caller,
                                            DomainId granter,
                                            std::span<const GrantRef> refs,
                                            bool writable,
                                            const UnmapNotify& notify);
  // A GrantMapping went away (no-op if its domain's death already
  // unaccounted it).
  void PeerUnmapped(uint64_t mapping);

  // Helpers; REQUIRE mu_ held.
  Status LiveRegion(RegionId region) const;
  void EndGrant(GrantRef ref);
  void FreeEntry(GrantRef ref);
  void Unaccount(const MappingRecord& record);
  void MaybeFree(RegionId region);
  uint64_t FreeEntriesLocked() const;

  std::shared_ptr<const DomainTable> domains_;
  std::shared_ptr<FaultInjector> faults_;
  std::shared_ptr<EventChannelCore> event_channels_;

  mutable std::mutex mu_;
  size_t table_size_ = kDefaultGrantTableSize;  // GUARDED_BY(mu_)
  std::set<GrantRef> free_refs_;                // GUARDED_BY(mu_)
  std::map<GrantRef, Entry> entries_;           // GUARDED_BY(mu_)
  RegionId next_region_ = 1;                    // GUARDED_BY(mu_)
  std::map<RegionId, Region> regions_;          // GUARDED_BY(mu_)
  // Read-only views of live regions: view id -> region id.
  std::map<RegionId, RegionId> views_;          // GUARDED_BY(mu_)
  uint64_t next_mapping_ = 1;                   // GUARDED_BY(mu_)
  std::map<uint64_t, MappingRecord> mappings_;  // GUARDED_BY(mu_)
};

}  // namespace xenshm::fake

#endif  // XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_GRANTS_H_
