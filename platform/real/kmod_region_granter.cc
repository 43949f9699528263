#include "platform/real/kmod_region_granter.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "uapi/xenshm_uapi.h"

namespace xenshm {
namespace {

constexpr char kNotLoaded[] =
    "xenshm kernel module not loaded: modprobe xenshm";

std::string RegionContext(const char* op, RegionId region) {
  return std::string(op) + " region " + std::to_string(region);
}

std::string GrantContext(const char* op, RegionId region, DomainId domain) {
  return RegionContext(op, region) + " domain " + std::to_string(domain);
}

class KmodRegionMapping final : public RegionMapping {
 public:
  KmodRegionMapping(void* data, size_t size) : data_(data), size_(size) {}
  ~KmodRegionMapping() override { munmap(data_, size_); }
  KmodRegionMapping(const KmodRegionMapping&) = delete;
  KmodRegionMapping& operator=(const KmodRegionMapping&) = delete;

  void* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  void* const data_;
  const size_t size_;
};

}  // namespace

Result<std::unique_ptr<KmodRegionGranter>> KmodRegionGranter::Open(
    const std::string& device, KmodAbiNeed need) {
  const int fd = open(device.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT || err == ENODEV || err == ENXIO) {
      return Error(StatusFromErrno(
          ENOENT, std::string(kNotLoaded) + " (open " + device + ")"));
    }
    return Error(StatusFromErrno(err, "open " + device + " (needs root)"));
  }
  std::unique_ptr<KmodRegionGranter> granter(new KmodRegionGranter(fd));
  // Anything else at that path (a stale node, /dev/null) fails here, not at
  // the first real request.
  xenshm_counts counts{};
  if (ioctl(fd, XENSHM_IOC_COUNTS, &counts) != 0) {
    const int err = errno;
    return Error(Code::kIoError,
                 device + " is not the xenshm device (" +
                     StatusFromErrno(err, "XENSHM_IOC_COUNTS").message() + ")");
  }
  xenshm_version version{};
  const int version_err =
      ioctl(fd, XENSHM_IOC_VERSION, &version) == 0 ? 0 : errno;
  auto abi = KmodAbiFromVersionIoctl(version_err, version);
  if (!abi) return Error(abi.error());
  if (Status serves = CheckKmodAbi(*abi, need); !serves.ok()) {
    return Error(serves);
  }
  granter->abi_ = *abi;
  return granter;
}

KmodRegionGranter::~KmodRegionGranter() { close(fd_); }

Result<RegionId> KmodRegionGranter::Allocate(size_t pages) {
  if (pages == 0 || pages > XENSHM_MAX_REGION_PAGES) {
    return Error(Code::kInvalidArgument,
                 "XENSHM_IOC_ALLOC: " + std::to_string(pages) + " pages (1.." +
                     std::to_string(XENSHM_MAX_REGION_PAGES) + ")");
  }
  xenshm_alloc op{};
  op.nr_pages = static_cast<uint32_t>(pages);
  if (ioctl(fd_, XENSHM_IOC_ALLOC, &op) != 0) {
    return Error(StatusFromErrno(
        errno, "XENSHM_IOC_ALLOC " + std::to_string(pages) + " pages"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  pages_[op.region_id] = pages;
  return op.region_id;
}

Result<size_t> KmodRegionGranter::PagesOf(RegionId region) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pages_.find(region);
    if (it != pages_.end()) return it->second;
  }
  auto regions = List();  // refreshes the cache
  if (!regions) return Error(regions.error());
  for (const RegionInfo& info : *regions) {
    if (info.id == region) return info.pages;
  }
  return Error(StatusFromErrno(ENOENT, RegionContext("xenshm", region)));
}

void KmodRegionGranter::Forget(RegionId region) {
  std::lock_guard<std::mutex> lock(mu_);
  pages_.erase(region);
}

Result<std::vector<GrantRef>> KmodRegionGranter::Grant(RegionId region,
                                                       DomainId domain,
                                                       bool readonly) {
  // Two tries: a cached page count may be stale (EINVAL) if another process
  // released the region and the id was reused.
  for (int attempt = 0;; ++attempt) {
    auto pages = PagesOf(region);
    if (!pages) return Error(pages.error());
    std::vector<GrantRef> refs(*pages);
    static_assert(sizeof(GrantRef) == sizeof(uint32_t));
    xenshm_grant op{};
    op.region_id = region;
    op.refs = reinterpret_cast<uintptr_t>(refs.data());
    op.nr_refs = static_cast<uint32_t>(refs.size());
    op.domid = domain;
    op.readonly = readonly ? 1 : 0;
    if (ioctl(fd_, XENSHM_IOC_GRANT, &op) == 0) return refs;

    const int err = errno;
    const std::string context =
        GrantContext("XENSHM_IOC_GRANT", region, domain) +
        (readonly ? " (read-only, " : " (read-write, ") +
        std::to_string(refs.size()) + " pages)";
    if (err == EINVAL && attempt == 0) {
      Forget(region);
      continue;
    }
    if (err == ENOENT) Forget(region);
    if (err == ENOSPC) {
      // The one errno whose meaning here is narrower than StatusFromErrno's.
      return Error(Code::kGrantBudget,
                   context +
                       ": dom0's grant table is full (raise Xen's "
                       "gnttab_max_frames)");
    }
    return Error(StatusFromErrno(err, context));
  }
}

Status KmodRegionGranter::Revoke(RegionId region, DomainId domain) {
  xenshm_revoke op{};
  op.region_id = region;
  op.domid = domain;
  if (ioctl(fd_, XENSHM_IOC_REVOKE, &op) != 0) {
    return StatusFromErrno(errno,
                           GrantContext("XENSHM_IOC_REVOKE", region, domain));
  }
  return Status::Ok();
}

Status KmodRegionGranter::Release(RegionId region) {
  xenshm_release op{};
  op.region_id = region;
  const int rc = ioctl(fd_, XENSHM_IOC_RELEASE, &op);
  const int err = errno;
  if (rc == 0 || err == ENOENT) Forget(region);
  if (rc != 0) {
    return StatusFromErrno(err, RegionContext("XENSHM_IOC_RELEASE", region));
  }
  return Status::Ok();
}

Result<KmodRegionGranter::View> KmodRegionGranter::ViewOf(RegionId region) {
  xenshm_ro_view op{};
  op.id = region;
  if (ioctl(fd_, XENSHM_IOC_RO_VIEW, &op) != 0) {
    return Error(
        StatusFromErrno(errno, RegionContext("XENSHM_IOC_RO_VIEW", region)));
  }
  return View{.id = op.view_id, .pages = op.nr_pages};
}

Result<RegionId> KmodRegionGranter::ReadOnlyView(RegionId region) {
  auto view = ViewOf(region);
  if (!view) return Error(view.error());
  return view->id;
}

Result<std::unique_ptr<RegionMapping>> KmodRegionGranter::MapLocal(
    RegionId region, bool readonly) {
  if (region > XENSHM_MAX_REGION_ID) {
    return Error(StatusFromErrno(ENOENT, RegionContext("mmap", region)));
  }
  if (readonly) {
    // Through the view even for a region id: only a view's mapping is one
    // that mprotect cannot make writable.
    auto view = ViewOf(region);
    if (!view) return Error(view.error());
    const size_t size = view->pages * kPageSize;
    void* data = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd_,
                      static_cast<off_t>(XENSHM_MMAP_OFFSET(view->id)));
    if (data == MAP_FAILED) {
      return Error(StatusFromErrno(
          errno, RegionContext("mmap read-only view of", region)));
    }
    return std::make_unique<KmodRegionMapping>(data, size);
  }
  for (int attempt = 0;; ++attempt) {
    auto pages = PagesOf(region);
    if (!pages && pages.error().code() == Code::kNotFound) {
      // Views are not listed: say why a view cannot be mapped writable.
      auto view = ViewOf(region);
      if (view && view->id == region) {
        return Error(Code::kNoPermission,
                     RegionContext("mmap", region) +
                         ": a read-only view cannot be mapped writable");
      }
    }
    if (!pages) return Error(pages.error());
    const size_t size = *pages * kPageSize;
    void* data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd_,
                      static_cast<off_t>(XENSHM_MMAP_OFFSET(region)));
    if (data != MAP_FAILED) {
      return std::make_unique<KmodRegionMapping>(data, size);
    }
    const int err = errno;
    if (err == EINVAL && attempt == 0) {
      Forget(region);
      continue;
    }
    if (err == ENOENT) Forget(region);
    return Error(StatusFromErrno(err, RegionContext("mmap", region)));
  }
}

Result<std::vector<RegionInfo>> KmodRegionGranter::List() {
  // Regions may come and go between the two calls: retry while it grew.
  std::vector<xenshm_region_info> entries;
  xenshm_list op{};
  for (;;) {
    op.entries = reinterpret_cast<uintptr_t>(entries.data());
    op.max_entries = static_cast<uint32_t>(entries.size());
    if (ioctl(fd_, XENSHM_IOC_LIST, &op) != 0) {
      return Error(StatusFromErrno(errno, "XENSHM_IOC_LIST"));
    }
    if (op.nr_regions <= entries.size()) break;
    entries.resize(op.nr_regions + 16);
  }
  std::vector<RegionInfo> out;
  out.reserve(op.nr_regions);
  std::lock_guard<std::mutex> lock(mu_);
  pages_.clear();
  for (uint32_t i = 0; i < op.nr_regions; ++i) {
    out.push_back(
        RegionInfo{.id = entries[i].region_id, .pages = entries[i].nr_pages});
    pages_[entries[i].region_id] = entries[i].nr_pages;
  }
  return out;
}

Result<GranterCounts> KmodRegionGranter::Counts() {
  xenshm_counts op{};
  if (ioctl(fd_, XENSHM_IOC_COUNTS, &op) != 0) {
    return Error(StatusFromErrno(errno, "XENSHM_IOC_COUNTS"));
  }
  // Released regions waiting for a peer still hold memory: count them.
  return GranterCounts{.regions = op.regions,
                       .pages = op.pages,
                       .grants = op.grants,
                       .deferred_frees = op.deferred};
}

Result<DomainGrantUsage> KmodRegionGranter::UsageOf(DomainId domain) {
  xenshm_domain_usage op{};
  op.domid = domain;
  if (ioctl(fd_, XENSHM_IOC_DOMAIN_USAGE, &op) != 0) {
    return Error(StatusFromErrno(
        errno, "XENSHM_IOC_DOMAIN_USAGE domain " + std::to_string(domain)));
  }
  return DomainGrantUsage{.grants = op.grants,
                          .deferred = op.deferred,
                          .pinned_regions = op.pinned_regions,
                          .pinned_pages = op.pinned_pages,
                          .shared_pinned_pages = op.shared_pinned_pages};
}

Result<GrantTableBudget> KmodRegionGranter::Budget(uint32_t probe) {
  if (probe > std::numeric_limits<uint16_t>::max()) {
    return Error(Code::kInvalidArgument, "XENSHM_IOC_GRANT_ENTRIES: probe " +
                                             std::to_string(probe) +
                                             " > 65535");
  }
  xenshm_grant_entries op{};
  op.probe = probe;
  if (ioctl(fd_, XENSHM_IOC_GRANT_ENTRIES, &op) != 0) {
    return Error(StatusFromErrno(errno, "XENSHM_IOC_GRANT_ENTRIES"));
  }
  return GrantTableBudget{.max_frames = op.max_frames,
                          .entries_per_frame = op.entries_per_frame,
                          .max_entries = op.max_entries,
                          .module_entries = op.module_entries,
                          .free_estimate = op.free_estimate,
                          .probe_ok = op.probe_ok != 0};
}

Result<uint64_t> KmodRegionGranter::FreeGrantEntries() {
  auto budget = Budget();
  if (!budget) return Error(budget.error());
  return budget->free_estimate;
}

uint32_t KmodRegionGranter::GrantEntriesPerFrame() {
  auto budget = Budget();
  if (!budget || budget->entries_per_frame == 0) return 512;
  return budget->entries_per_frame;
}

Result<std::unique_ptr<RegionGranter>> OpenKmodRegionGranter() {
  auto granter = KmodRegionGranter::Open(XENSHM_DEVICE_PATH);
  if (!granter) return Error(granter.error());
  return std::unique_ptr<RegionGranter>(std::move(*granter));
}

}  // namespace xenshm
