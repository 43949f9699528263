#include "tests/fake_hypervisor/fake_grants.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

namespace xenshm::fake {
namespace {

constexpr DomainId kFirstReservedDomain = 0x7ff0;  // Xen's DOMID_FIRST_RESERVED

}  // namespace

class FakeRegionMapping : public RegionMapping {
 public:
  FakeRegionMapping(std::shared_ptr<GrantCore> core, RegionId region,
                    void* data, size_t size)
      : core_(std::move(core)), region_(region), data_(data), size_(size) {}
  ~FakeRegionMapping() override {
    munmap(data_, size_);
    core_->LocalUnmapped(region_);
  }
  void* data() const override { return data_; }
  size_t size() const override { return size_; }

 private:
  std::shared_ptr<GrantCore> core_;
  RegionId region_;
  void* data_;
  size_t size_;
};

class FakeGrantMapping : public GrantMapping {
 public:
  FakeGrantMapping(std::shared_ptr<GrantCore> core, Caller caller, uint64_t id,
                   void* data, size_t size, bool writable, UnmapNotify notify)
      : core_(std::move(core)),
        caller_(caller),
        id_(id),
        data_(data),
        size_(size),
        writable_(writable),
        notify_(notify) {}

  // gntdev's order: clear the byte, unmap, then send the event. A dead
  // domain's kernel does nothing.
  ~FakeGrantMapping() override {
    bool alive = core_->domains_->Alive(caller_);
    if (alive && notify_.clear_byte_offset) {
      static_cast<volatile char*>(data_)[*notify_.clear_byte_offset] = 0;
    }
    munmap(data_, size_);
    core_->PeerUnmapped(id_);
    if (alive && notify_.port) {
      core_->event_channels_->KernelNotify(caller_.domain, *notify_.port);
    }
  }
  void* data() const override { return data_; }
  size_t size() const override { return size_; }
  bool writable() const override { return writable_; }

 private:
  std::shared_ptr<GrantCore> core_;
  Caller caller_;
  uint64_t id_;
  void* data_;
  size_t size_;
  bool writable_;
  UnmapNotify notify_;
};

class FakeRegionGranter : public RegionGranter {
 public:
  explicit FakeRegionGranter(std::shared_ptr<GrantCore> core)
      : core_(std::move(core)) {}
  Result<RegionId> Allocate(size_t pages) override {
    return core_->Allocate(pages);
  }
  Result<std::vector<GrantRef>> Grant(RegionId region, DomainId domain,
                                      bool readonly) override {
    return core_->Grant(region, domain, readonly);
  }
  Status Revoke(RegionId region, DomainId domain) override {
    return core_->Revoke(region, domain);
  }
  Status Release(RegionId region) override { return core_->Release(region); }
  Result<RegionId> ReadOnlyView(RegionId region) override {
    return core_->ReadOnlyView(region);
  }
  Result<std::unique_ptr<RegionMapping>> MapLocal(RegionId region,
                                                  bool readonly) override {
    return core_->MapLocal(region, readonly);
  }
  using RegionGranter::MapLocal;
  Result<std::vector<RegionInfo>> List() override { return core_->List(); }
  Result<GranterCounts> Counts() override { return core_->Counts(); }
  Result<DomainGrantUsage> UsageOf(DomainId domain) override {
    if (domain >= kFirstReservedDomain) {
      return Error(Code::kInvalidArgument,
                   "domain " + std::to_string(domain) + " is reserved");
    }
    return core_->UsageOf(domain);
  }
  Result<uint64_t> FreeGrantEntries() override { return core_->FreeEntries(); }

 private:
  std::shared_ptr<GrantCore> core_;
};

class FakeGrantMapper : public GrantMapper {
 public:
  FakeGrantMapper(std::shared_ptr<GrantCore> core, Caller caller)
      : core_(std::move(core)), caller_(caller) {}
  Result<std::unique_ptr<GrantMapping>> Map(
      DomainId granter, std::span<const GrantRef> refs, bool writable,
      const UnmapNotify& notify) override {
    return core_->Map(caller_, granter, refs, writable, notify);
  }

 private:
  std::shared_ptr<GrantCore> core_;
  Caller caller_;
};

GrantCore::GrantCore(std::shared_ptr<const DomainTable> domains,
                     std::shared_ptr<FaultInjector> faults,
                     std::shared_ptr<EventChannelCore> event_channels)
    : domains_(std::move(domains)),
      faults_(std::move(faults)),
      event_channels_(std::move(event_channels)) {
  SetTableSize(kDefaultGrantTableSize);
}

GrantCore::~GrantCore() {
  for (auto& [id, region] : regions_) close(region.memfd);
}

std::unique_ptr<RegionGranter> GrantCore::OpenGranter() {
  return std::make_unique<FakeRegionGranter>(shared_from_this());
}

std::unique_ptr<GrantMapper> GrantCore::OpenMapper(const Caller& caller) {
  return std::make_unique<FakeGrantMapper>(shared_from_this(), caller);
}

void GrantCore::SetTableSize(size_t entries) {
  std::lock_guard<std::mutex> lock(mu_);
  table_size_ = entries;
  free_refs_.clear();
  for (size_t ref = kReservedGrantEntries; ref < entries; ++ref) {
    if (!entries_.contains(ref)) free_refs_.insert(free_refs_.end(), ref);
  }
}

void GrantCore::ReleaseDomain(DomainId domain) {
  std::lock_guard<std::mutex> lock(mu_);
  std::set<RegionId> touched;
  for (auto it = mappings_.begin(); it != mappings_.end();) {
    if (it->second.domain != domain) {
      ++it;
      continue;
    }
    for (GrantRef ref : it->second.refs)
      touched.insert(entries_.at(ref).region);
    Unaccount(it->second);
    it = mappings_.erase(it);
  }
  for (RegionId region : touched) MaybeFree(region);
}

GranterCounts GrantCore::Counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  GranterCounts counts;
  for (const auto& [id, region] : regions_) {
    if (!region.released) ++counts.regions;
    counts.pages += region.pages;
  }
  counts.grants = entries_.size();
  for (const auto& [ref, entry] : entries_) {
    if (entry.ended) ++counts.deferred_frees;
  }
  return counts;
}

DomainGrantUsage GrantCore::UsageOf(DomainId domain) const {
  std::lock_guard<std::mutex> lock(mu_);
  DomainGrantUsage usage;
  // Ended entries exist only while mapped, and only their grantee maps.
  struct Keepers {
    bool mine = false;
    bool other = false;
  };
  std::map<RegionId, Keepers> released;
  for (const auto& [ref, entry] : entries_) {
    if (entry.grantee == domain) {
      ++(entry.ended ? usage.deferred : usage.grants);
    }
    if (!entry.ended || !regions_.at(entry.region).released) continue;
    Keepers& keepers = released[entry.region];
    (entry.grantee == domain ? keepers.mine : keepers.other) = true;
  }
  for (const auto& [id, keepers] : released) {
    if (!keepers.mine) continue;
    const size_t pages = regions_.at(id).pages;
    if (keepers.other) {
      usage.shared_pinned_pages += pages;
    } else {
      ++usage.pinned_regions;
      usage.pinned_pages += pages;
    }
  }
  return usage;
}

RegionMappingCounts GrantCore::MappingCounts(RegionId region) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = regions_.find(region);
  if (it == regions_.end()) return {};
  return {it->second.peer_mappings, it->second.local_mappings};
}

Status GrantCore::LiveRegion(RegionId region) const {
  auto it = regions_.find(region);
  if (it == regions_.end() || it->second.released) {
    return Status(Code::kNotFound,
                  "no region " + std::to_string(region) + " in the granter");
  }
  return Status::Ok();
}

uint64_t GrantCore::FreeEntriesLocked() const { return free_refs_.size(); }

uint64_t GrantCore::FreeEntries() const {
  std::lock_guard<std::mutex> lock(mu_);
  return FreeEntriesLocked();
}

void GrantCore::FreeEntry(GrantRef ref) {
  entries_.erase(ref);
  if (ref >= kReservedGrantEntries && ref < table_size_) free_refs_.insert(ref);
}

void GrantCore::EndGrant(GrantRef ref) {
  Entry& entry = entries_.at(ref);
  if (entry.maps == 0) {
    FreeEntry(ref);
  } else {
    entry.ended = true;
  }
}

void GrantCore::Unaccount(const MappingRecord& record) {
  std::set<RegionId> regions;
  for (GrantRef ref : record.refs) {
    Entry& entry = entries_.at(ref);
    regions.insert(entry.region);
    if (--entry.maps == 0 && entry.ended) FreeEntry(ref);
  }
  for (RegionId region : regions) --regions_.at(region).peer_mappings;
}

void GrantCore::MaybeFree(RegionId region) {
  auto it = regions_.find(region);
  if (it == regions_.end()) return;
  const Region& r = it->second;
  if (r.released && r.peer_mappings == 0 && r.local_mappings == 0) {
    close(r.memfd);
    regions_.erase(it);
  }
}

Result<RegionId> GrantCore::Allocate(size_t pages) {
  if (pages == 0) return Error(Code::kInvalidArgument, "a region of 0 pages");
  if (auto fault = faults_->Check(Op::kRegionAllocate, kDom0)) {
    return Error(*fault);
  }
  int fd = memfd_create("xenshm-fake-region", MFD_CLOEXEC);
  if (fd < 0) return Error(StatusFromErrno(errno, "memfd_create"));
  if (ftruncate(fd, static_cast<off_t>(pages * kPageSize)) != 0) {
    int err = errno;
    close(fd);
    return Error(Code::kNoMemory, StatusFromErrno(err, "ftruncate").message());
  }
  std::lock_guard<std::mutex> lock(mu_);
  RegionId id = next_region_++;
  Region& region = regions_[id];
  region.pages = pages;
  region.memfd = fd;
  return id;
}

Result<std::vector<GrantRef>> GrantCore::Grant(RegionId region, DomainId domain,
                                               bool readonly) {
  std::lock_guard<std::mutex> lock(mu_);
  if (Status live = LiveRegion(region); !live.ok()) {
    return Error(std::move(live));
  }
  if (auto fault = faults_->Check(Op::kGrant, kDom0)) return Error(*fault);
  Region& r = regions_.at(region);
  if (r.grants.contains(domain)) {
    return Error(Code::kAlreadyAttached, "region " + std::to_string(region) +
                                             " is already granted to domain " +
                                             std::to_string(domain));
  }
  if (FreeEntriesLocked() < r.pages) {
    return Error(Code::kGrantBudget,
                 "region " + std::to_string(region) + " needs " +
                     std::to_string(r.pages) + " grant entries, " +
                     std::to_string(FreeEntriesLocked()) + " are free");
  }
  std::vector<GrantRef> refs;
  refs.reserve(r.pages);
  for (size_t page = 0; page < r.pages; ++page) {
    GrantRef ref = *free_refs_.begin();
    free_refs_.erase(free_refs_.begin());
    entries_[ref] = Entry{region, page, domain, readonly, 0, false};
    refs.push_back(ref);
  }
  r.grants[domain] = refs;
  return refs;
}

Status GrantCore::Revoke(RegionId region, DomainId domain) {
  std::lock_guard<std::mutex> lock(mu_);
  XENSHM_RETURN_IF_ERROR(LiveRegion(region));
  Region& r = regions_.at(region);
  auto it = r.grants.find(domain);
  if (it == r.grants.end()) return Status::Ok();
  for (GrantRef ref : it->second) EndGrant(ref);
  r.grants.erase(it);
  return Status::Ok();
}

Status GrantCore::Release(RegionId region) {
  std::lock_guard<std::mutex> lock(mu_);
  XENSHM_RETURN_IF_ERROR(LiveRegion(region));
  Region& r = regions_.at(region);
  for (const auto& [domain, refs] : r.grants) {
    for (GrantRef ref : refs) EndGrant(ref);
  }
  r.grants.clear();
  r.released = true;
  views_.erase(r.ro_view);
  r.ro_view = 0;
  MaybeFree(region);
  return Status::Ok();
}

Result<RegionId> GrantCore::ReadOnlyView(RegionId id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (views_.contains(id)) return id;
  if (Status live = LiveRegion(id); !live.ok()) return Error(std::move(live));
  Region& r = regions_.at(id);
  if (r.ro_view == 0) {
    r.ro_view = next_region_++;
    views_[r.ro_view] = id;
  }
  return r.ro_view;
}

Result<std::unique_ptr<RegionMapping>> GrantCore::MapLocal(RegionId id,
                                                           bool readonly) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto view = views_.find(id);
  const RegionId region = view != views_.end() ? view->second : id;
  if (Status live = LiveRegion(region); !live.ok()) {
    return Error(std::move(live));
  }
  if (view != views_.end() && !readonly) {
    return Error(Code::kNoPermission,
                 "region " + std::to_string(id) +
                     " is a read-only view: it cannot be mapped writable");
  }
  Region& r = regions_.at(region);
  size_t size = r.pages * kPageSize;
  void* data = MAP_FAILED;
  if (readonly) {
    // A shared mapping of a read-only open has no VM_MAYWRITE, like the
    // module's view: mprotect(PROT_WRITE) fails with EACCES.
    const std::string path = "/proc/self/fd/" + std::to_string(r.memfd);
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return Error(StatusFromErrno(errno, "open " + path));
    data = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0);
    const int err = errno;
    close(fd);
    errno = err;
  } else {
    data = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, r.memfd, 0);
  }
  if (data == MAP_FAILED) return Error(StatusFromErrno(errno, "mmap region"));
  ++r.local_mappings;
  return std::make_unique<FakeRegionMapping>(shared_from_this(), region, data,
                                             size);
}

void GrantCore::LocalUnmapped(RegionId region) {
  std::lock_guard<std::mutex> lock(mu_);
  --regions_.at(region).local_mappings;
  MaybeFree(region);
}

std::vector<RegionInfo> GrantCore::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<RegionInfo> out;
  for (const auto& [id, region] : regions_) {
    if (!region.released) out.push_back(RegionInfo{id, region.pages});
  }
  return out;
}

Result<std::unique_ptr<GrantMapping>> GrantCore::Map(
    const Caller& caller, DomainId granter, std::span<const GrantRef> refs,
    bool writable, const UnmapNotify& notify) {
  if (Status alive = domains_->CheckAlive(caller, "gntdev map"); !alive.ok()) {
    return Error(std::move(alive));
  }
  if (auto fault = faults_->Check(Op::kGrantMap, caller.domain)) {
    return Error(*fault);
  }
  if (refs.empty()) return Error(Code::kInvalidArgument, "no grant refs");
  size_t size = refs.size() * kPageSize;
  // gntdev refuses to clear a byte it cannot write, or outside the mapping.
  if (notify.clear_byte_offset &&
      (!writable || *notify.clear_byte_offset >= size)) {
    return Error(Code::kInvalidArgument, "bad unmap-notify byte offset");
  }
  if (notify.port &&
      !event_channels_->PortExists(caller.domain, *notify.port)) {
    return Error(Code::kInvalidArgument,
                 "unmap-notify port " + std::to_string(*notify.port) +
                     " is not open in domain " + std::to_string(caller.domain));
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (GrantRef ref : refs) {
    auto it = entries_.find(ref);
    bool granted = granter == kDom0 && it != entries_.end() &&
                   !it->second.ended && it->second.grantee == caller.domain;
    if (!granted) {
      return Error(Code::kNoPermission,
                   "grant ref " + std::to_string(ref) + " of domain " +
                       std::to_string(granter) + " is not granted to domain " +
                       std::to_string(caller.domain));
    }
    if (writable && it->second.readonly) {
      return Error(Code::kNoPermission,
                   "grant ref " + std::to_string(ref) + " is read-only");
    }
  }
  char* base = static_cast<char*>(
      mmap(nullptr, size, PROT_NONE,
           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0));
  if (base == MAP_FAILED) {
    return Error(StatusFromErrno(errno, "mmap reservation"));
  }
  int prot = writable ? PROT_READ | PROT_WRITE : PROT_READ;
  for (size_t i = 0; i < refs.size(); ++i) {
    const Entry& entry = entries_.at(refs[i]);
    void* page = mmap(base + i * kPageSize, kPageSize, prot,
                      MAP_SHARED | MAP_FIXED, regions_.at(entry.region).memfd,
                      static_cast<off_t>(entry.page * kPageSize));
    if (page == MAP_FAILED) {
      int err = errno;
      munmap(base, size);
      return Error(StatusFromErrno(err, "mmap grant page"));
    }
  }
  uint64_t id = next_mapping_++;
  MappingRecord& record = mappings_[id];
  record.domain = caller.domain;
  record.refs.assign(refs.begin(), refs.end());
  std::set<RegionId> regions;
  for (GrantRef ref : refs) {
    Entry& entry = entries_.at(ref);
    ++entry.maps;
    regions.insert(entry.region);
  }
  for (RegionId region : regions) ++regions_.at(region).peer_mappings;
  return std::make_unique<FakeGrantMapping>(shared_from_this(), caller, id,
                                            base, size, writable, notify);
}

void GrantCore::PeerUnmapped(uint64_t mapping) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = mappings_.find(mapping);
  if (it == mappings_.end()) return;  // its domain died; already unaccounted
  std::set<RegionId> regions;
  for (GrantRef ref : it->second.refs) regions.insert(entries_.at(ref).region);
  Unaccount(it->second);
  mappings_.erase(it);
  for (RegionId region : regions) MaybeFree(region);
}

}  // namespace xenshm::fake
