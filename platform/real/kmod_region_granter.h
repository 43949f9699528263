// KmodRegionGranter: the RegionGranter of a dom0 process, over /dev/xenshm.
//
// The xenshm kernel module (backend/kmod) owns region memory; this class is a
// thin, stateless-as-possible client of its ioctls (backend/kmod/
// xenshm_uapi.h). Regions belong to the module, not to this object or its fd:
// destroying the granter (or the process crashing) leaves every region and
// grant in place, and a new granter finds them again with List().
//
// Every method may be called from any thread. Errors carry the ioctl, the
// region and the domain in their message; errno becomes a Status through
// StatusFromErrno, except that a full grant table (ENOSPC from GRANT) is
// reported as kGrantBudget, the code users act on.
//
// REQUIRES: CAP_SYS_ADMIN (the device is root-only).
#ifndef XENSHM_PLATFORM_REAL_KMOD_REGION_GRANTER_H_
#define XENSHM_PLATFORM_REAL_KMOD_REGION_GRANTER_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/types.h"
#include "platform/real/kmod_abi.h"
#include "platform/region_granter.h"

namespace xenshm {

// dom0's grant table as the module sees it (XENSHM_IOC_GRANT_ENTRIES).
struct GrantTableBudget {
  uint32_t max_frames = 0;         // gnttab_max_grant_frames()
  uint32_t entries_per_frame = 0;  // 512 for grant table v1, 256 for v2
  uint64_t max_entries = 0;        // max_frames * entries_per_frame
  uint64_t module_entries = 0;     // held by xenshm (live + deferred)
  // max_entries minus Xen's reserved entries minus module_entries; other
  // dom0 users of the grant table (gntalloc, ...) are not subtracted.
  uint64_t free_estimate = 0;
  bool probe_ok = false;  // the probe's entries could be reserved just now
};

class KmodRegionGranter final : public RegionGranter {
 public:
  // Opens `device`, checks that it answers XENSHM_IOC_COUNTS and asks which
  // ABI it speaks (XENSHM_IOC_VERSION; platform/real/kmod_abi.h). Errors:
  // kNotFound with "xenshm kernel module not loaded: modprobe xenshm" when
  // the device does not exist; kNoPermission without root; kIoError when the
  // file is not the xenshm device, or when the module does not serve `need`
  // (the message says how to load the installed module).
  static Result<std::unique_ptr<KmodRegionGranter>> Open(
      const std::string& device, KmodAbiNeed need = kKmodAbiForGranter);

  ~KmodRegionGranter() override;
  KmodRegionGranter(const KmodRegionGranter&) = delete;
  KmodRegionGranter& operator=(const KmodRegionGranter&) = delete;

  // kInvalidArgument for 0 pages or more than the module's max_region_pages;
  // kNoMemory when memory or the module's max_total_pages runs out.
  Result<RegionId> Allocate(size_t pages) override;
  // kNotFound for an unknown region; kAlreadyAttached if `domain` already
  // holds grants on it; kGrantBudget if dom0's grant table is full.
  Result<std::vector<GrantRef>> Grant(RegionId region, DomainId domain,
                                      bool readonly) override;
  // kNotFound if `domain` holds no grant on `region`.
  Status Revoke(RegionId region, DomainId domain) override;
  // kNotFound for an unknown region.
  Status Release(RegionId region) override;
  // XENSHM_IOC_RO_VIEW. kNotFound for an unknown region.
  Result<RegionId> ReadOnlyView(RegionId region) override;
  // A MAP_SHARED mapping of the whole region. Read-only ones always map the
  // region's read-only view (whether `region` names the region or its
  // view), so the module refuses to make them writable. A writable map of
  // a view is kNoPermission. It stays valid (and keeps the pages) after
  // Release().
  Result<std::unique_ptr<RegionMapping>> MapLocal(RegionId region,
                                                  bool readonly) override;
  using RegionGranter::MapLocal;
  Result<std::vector<RegionInfo>> List() override;
  Result<GranterCounts> Counts() override;
  // XENSHM_IOC_DOMAIN_USAGE. kInvalidArgument for a reserved domain id.
  Result<DomainGrantUsage> UsageOf(DomainId domain) override;
  // GrantTableBudget::free_estimate.
  Result<uint64_t> FreeGrantEntries() override;
  // From the module's budget (it asks Xen for the table's version); v1's
  // 512 if the module cannot say.
  uint32_t GrantEntriesPerFrame() override;

  // What the module said at Open about its interface.
  const KmodAbi& abi() const { return abi_; }

  // The grant table's geometry and use; with `probe` > 0 (at most 65535),
  // also whether that many entries could be reserved right now.
  Result<GrantTableBudget> Budget(uint32_t probe = 0);

 private:
  explicit KmodRegionGranter(int fd) : fd_(fd) {}

  struct View {
    RegionId id = 0;
    size_t pages = 0;
  };
  // XENSHM_IOC_RO_VIEW of a region or view id.
  Result<View> ViewOf(RegionId region);
  // The region's page count: from the cache, else from List().
  Result<size_t> PagesOf(RegionId region);
  void Forget(RegionId region);

  const int fd_;  // owned; closed by the destructor
  KmodAbi abi_;   // set by Open
  std::mutex mu_;
  // Page counts of regions seen through this object. Only a hint: another
  // process may release a region, so a stale entry is refreshed on EINVAL.
  std::map<RegionId, size_t> pages_;  // GUARDED_BY(mu_)
};

// The default device, /dev/xenshm, as a RegionGranter.
Result<std::unique_ptr<RegionGranter>> OpenKmodRegionGranter();

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_KMOD_REGION_GRANTER_H_
