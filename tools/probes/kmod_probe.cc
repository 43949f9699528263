// kmod_probe: checks the xenshm dom0 kernel module (backend/kmod) on real
// Xen, through KmodRegionGranter and raw ioctls. Runs in dom0 as root with
// xenshm.ko and xen-gntdev loaded.
//
//   kmod_probe [--pages=N] [--peer=DOMID]   full round (default 16 pages)
//   kmod_probe --keep                       leave one region behind, filled
//   kmod_probe --resume                     find it again, check, release
//   kmod_probe --hold-deferred=S            a released region mapped by gntdev
//                                           for S s, no xenshm fd open
//
// The full round allocates a region, maps it locally twice, grants it to
// dom0 itself and maps the grants back through gntdev (so a "peer" really
// maps the pages), revokes and releases while that mapping is live (the
// deferred path), checks that unmapping drains the deferred list, tries
// hostile arguments, and checks that every count returns to where it was.
// With --peer it also grants to that guest read-only and revokes. It checks
// the region's read-only view (no writable mmap, no mprotect to writable)
// and DOMAIN_USAGE's charges along the way: live grants, deferred entries,
// and the released region that only dom0's gntdev mapping keeps alive.
// --keep then --resume, as two processes, show that regions outlive the
// process that made them (a daemon restart).
//
// Output: `PASS <check>` or `FAIL <check>: <why>` per check, flushed.
// Exit status 0 iff every check passed; 2 for a usage error.
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "base/numbers.h"
#include "base/status.h"
#include "base/types.h"
#include "platform/real/kmod_region_granter.h"
#include "platform/real/real_grant_mapper.h"
#include "platform/region_granter.h"
#include "uapi/xenshm_uapi.h"

namespace xenshm {
namespace {

constexpr size_t kKeepPages = 4;
constexpr uint8_t kKeepSeed = 0x3c;

class Reporter {
 public:
  void Pass(const std::string& check) {
    std::printf("PASS %s\n", check.c_str());
    std::fflush(stdout);
  }
  void Fail(const std::string& check, const std::string& why) {
    failed_ = true;
    std::printf("FAIL %s: %s\n", check.c_str(), why.c_str());
    std::fflush(stdout);
  }
  bool Expect(const std::string& check, bool ok, const std::string& why) {
    if (ok) {
      Pass(check);
    } else {
      Fail(check, why);
    }
    return ok;
  }
  bool Ok(const std::string& check, const Status& status) {
    return Expect(check, status.ok(), status.ToString());
  }
  // PASS if `status` failed with `code`.
  bool Refused(const std::string& check, const Status& status, Code code) {
    return Expect(check, !status.ok() && status.code() == code,
                  "want " + std::string(CodeName(code)) + ", got " +
                      (status.ok() ? "ok" : status.ToString()));
  }
  bool failed() const { return failed_; }

 private:
  bool failed_ = false;
};

template <typename T>
Status StatusOf(const Result<T>& result) {
  return result ? Status::Ok() : result.error();
}

uint8_t PatternByte(uint8_t seed, size_t i) {
  return static_cast<uint8_t>((i * 131u) ^ (i >> 9) ^ seed);
}

void Fill(void* data, size_t size, uint8_t seed) {
  auto* bytes = static_cast<uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) bytes[i] = PatternByte(seed, i);
}

// "" if `data` holds the pattern, else where it first differs.
std::string Mismatch(const void* data, size_t size, uint8_t seed) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (size_t i = 0; i < size; ++i) {
    if (bytes[i] != PatternByte(seed, i)) {
      return "byte " + std::to_string(i) + " is " + std::to_string(bytes[i]) +
             ", want " + std::to_string(PatternByte(seed, i));
    }
  }
  return "";
}

std::string Show(const GranterCounts& c) {
  return "regions=" + std::to_string(c.regions) +
         " pages=" + std::to_string(c.pages) +
         " grants=" + std::to_string(c.grants) +
         " deferred=" + std::to_string(c.deferred_frees);
}

bool operator==(const GranterCounts& a, const GranterCounts& b) {
  return a.regions == b.regions && a.pages == b.pages && a.grants == b.grants &&
         a.deferred_frees == b.deferred_frees;
}

// Counts relative to a baseline (another user of the module may hold some).
GranterCounts Plus(const GranterCounts& base, uint64_t regions, uint64_t pages,
                   uint64_t grants, uint64_t deferred) {
  return GranterCounts{.regions = base.regions + regions,
                       .pages = base.pages + pages,
                       .grants = base.grants + grants,
                       .deferred_frees = base.deferred_frees + deferred};
}

std::string Show(const DomainGrantUsage& u) {
  return "grants=" + std::to_string(u.grants) +
         " deferred=" + std::to_string(u.deferred) +
         " pinned_regions=" + std::to_string(u.pinned_regions) +
         " pinned_pages=" + std::to_string(u.pinned_pages) +
         " shared_pinned_pages=" + std::to_string(u.shared_pinned_pages);
}

// Usage relative to a baseline.
DomainGrantUsage Plus(const DomainGrantUsage& base, uint64_t grants,
                      uint64_t deferred, uint64_t pinned_regions,
                      uint64_t pinned_pages) {
  return DomainGrantUsage{
      .grants = base.grants + grants,
      .deferred = base.deferred + deferred,
      .pinned_regions = base.pinned_regions + pinned_regions,
      .pinned_pages = base.pinned_pages + pinned_pages,
      .shared_pinned_pages = base.shared_pinned_pages};
}

void ExpectUsage(Reporter& r, KmodRegionGranter& granter,
                 const std::string& check, DomainId domain,
                 const DomainGrantUsage& want) {
  auto usage = granter.UsageOf(domain);
  if (!usage) {
    r.Fail(check, usage.error().ToString());
    return;
  }
  r.Expect(check, *usage == want,
           "domain " + std::to_string(domain) + " has " + Show(*usage) +
               ", want " + Show(want));
}

void ExpectCounts(Reporter& r, KmodRegionGranter& granter,
                  const std::string& check, const GranterCounts& want) {
  auto counts = granter.Counts();
  if (!counts) {
    r.Fail(check, counts.error().ToString());
    return;
  }
  r.Expect(check, *counts == want,
           "have " + Show(*counts) + ", want " + Show(want));
}

// errno of a raw ioctl (0 if it succeeded).
int RawIoctl(int fd, unsigned long request, void* arg) {
  return ioctl(fd, request, arg) == 0 ? 0 : errno;
}

void ExpectErrno(Reporter& r, const std::string& check, int got, int want) {
  r.Expect(check, got == want,
           std::string("want ") + strerrorname_np(want) + ", got " +
               (got ? strerrorname_np(got) : "success"));
}

std::optional<RegionInfo> FindRegion(KmodRegionGranter& granter, RegionId id) {
  auto regions = granter.List();
  if (!regions) return std::nullopt;
  for (const RegionInfo& info : *regions) {
    if (info.id == id) return info;
  }
  return std::nullopt;
}

// Bad arguments straight at the device: errors, never an oops, nothing left.
void HostileArguments(Reporter& r, KmodRegionGranter& granter, RegionId region,
                      size_t pages) {
  const int fd = open(XENSHM_DEVICE_PATH, O_RDWR | O_CLOEXEC);
  if (!r.Expect("hostile/open", fd >= 0, std::strerror(errno))) return;
  auto before = granter.Counts();

  xenshm_alloc alloc{};
  ExpectErrno(r, "hostile/alloc-zero", RawIoctl(fd, XENSHM_IOC_ALLOC, &alloc),
              EINVAL);
  alloc.nr_pages = 0xffffffffu;
  ExpectErrno(r, "hostile/alloc-huge", RawIoctl(fd, XENSHM_IOC_ALLOC, &alloc),
              E2BIG);
  alloc.nr_pages = 1;
  alloc.pad = 1;
  ExpectErrno(r, "hostile/alloc-pad", RawIoctl(fd, XENSHM_IOC_ALLOC, &alloc),
              EINVAL);
  ExpectErrno(r, "hostile/alloc-bad-pointer",
              RawIoctl(fd, XENSHM_IOC_ALLOC, reinterpret_cast<void*>(8)),
              EFAULT);

  std::vector<uint32_t> refs(pages);
  xenshm_grant grant{};
  grant.region_id = region;
  grant.refs = reinterpret_cast<uintptr_t>(refs.data());
  grant.nr_refs = static_cast<uint32_t>(pages + 1);
  grant.domid = 1;
  ExpectErrno(r, "hostile/grant-wrong-count",
              RawIoctl(fd, XENSHM_IOC_GRANT, &grant), EINVAL);
  grant.nr_refs = static_cast<uint32_t>(pages);
  grant.domid = 0x7ff0;  // DOMID_FIRST_RESERVED
  ExpectErrno(r, "hostile/grant-reserved-domid",
              RawIoctl(fd, XENSHM_IOC_GRANT, &grant), EINVAL);
  grant.domid = 1;
  grant.readonly = 2;
  ExpectErrno(r, "hostile/grant-readonly-2",
              RawIoctl(fd, XENSHM_IOC_GRANT, &grant), EINVAL);
  grant.readonly = 0;
  grant.region_id = 0;
  ExpectErrno(r, "hostile/grant-region-0",
              RawIoctl(fd, XENSHM_IOC_GRANT, &grant), ENOENT);
  grant.region_id = ~0ull;
  ExpectErrno(r, "hostile/grant-region-max",
              RawIoctl(fd, XENSHM_IOC_GRANT, &grant), ENOENT);
  // All or nothing: the refs cannot be written back, so no grant remains.
  grant.region_id = region;
  grant.refs = 8;
  ExpectErrno(r, "hostile/grant-bad-refs-pointer",
              RawIoctl(fd, XENSHM_IOC_GRANT, &grant), EFAULT);
  if (before) ExpectCounts(r, granter, "hostile/grant-undone", *before);

  xenshm_revoke revoke{};
  revoke.region_id = region;
  revoke.domid = 1;
  ExpectErrno(r, "hostile/revoke-not-granted",
              RawIoctl(fd, XENSHM_IOC_REVOKE, &revoke), ENOENT);
  xenshm_release release{};
  release.region_id = 1ull << 40;
  ExpectErrno(r, "hostile/release-unknown",
              RawIoctl(fd, XENSHM_IOC_RELEASE, &release), ENOENT);
  xenshm_list list{};
  list.entries = 8;
  list.max_entries = 0xffffffffu;
  ExpectErrno(r, "hostile/list-bad-pointer",
              RawIoctl(fd, XENSHM_IOC_LIST, &list), EFAULT);
  xenshm_grant_entries entries{};
  entries.probe = 70000;
  ExpectErrno(r, "hostile/grant-entries-probe-too-big",
              RawIoctl(fd, XENSHM_IOC_GRANT_ENTRIES, &entries), EINVAL);
  xenshm_ro_view view{};
  ExpectErrno(r, "hostile/ro-view-region-0",
              RawIoctl(fd, XENSHM_IOC_RO_VIEW, &view), ENOENT);
  view.id = region;
  view.pad = 1;
  ExpectErrno(r, "hostile/ro-view-pad", RawIoctl(fd, XENSHM_IOC_RO_VIEW, &view),
              EINVAL);
  xenshm_domain_usage usage{};
  usage.domid = 0x7ff0;  // DOMID_FIRST_RESERVED
  ExpectErrno(r, "hostile/usage-reserved-domid",
              RawIoctl(fd, XENSHM_IOC_DOMAIN_USAGE, &usage), EINVAL);
  usage.domid = 0;
  usage.pad = 1;
  ExpectErrno(r, "hostile/usage-pad",
              RawIoctl(fd, XENSHM_IOC_DOMAIN_USAGE, &usage), EINVAL);
  usage.pad = 0;
  usage.reserved[2] = 1;
  ExpectErrno(r, "hostile/usage-reserved",
              RawIoctl(fd, XENSHM_IOC_DOMAIN_USAGE, &usage), EINVAL);
  ExpectErrno(r, "hostile/unknown-ioctl",
              RawIoctl(fd, _IO(XENSHM_IOC_MAGIC, 0x7f), nullptr), ENOTTY);

  const off_t offset = static_cast<off_t>(XENSHM_MMAP_OFFSET(region));
  void* p = mmap(nullptr, pages * kPageSize, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE, fd, offset);
  r.Expect("hostile/mmap-private", p == MAP_FAILED && errno == EINVAL,
           p == MAP_FAILED ? std::strerror(errno) : "mapped");
  if (p != MAP_FAILED) munmap(p, pages * kPageSize);
  p = mmap(nullptr, (pages + 1) * kPageSize, PROT_READ, MAP_SHARED, fd, offset);
  r.Expect("hostile/mmap-too-long", p == MAP_FAILED && errno == EINVAL,
           p == MAP_FAILED ? std::strerror(errno) : "mapped");
  if (p != MAP_FAILED) munmap(p, (pages + 1) * kPageSize);
  p = mmap(nullptr, kPageSize, PROT_READ, MAP_SHARED, fd,
           static_cast<off_t>(XENSHM_MMAP_OFFSET(0x7ffffff)));
  r.Expect("hostile/mmap-unknown-region", p == MAP_FAILED && errno == ENOENT,
           p == MAP_FAILED ? std::strerror(errno) : "mapped");
  if (p != MAP_FAILED) munmap(p, kPageSize);
  close(fd);

  if (before) ExpectCounts(r, granter, "hostile/counts-unchanged", *before);
}

// The region's read-only view, whose pages hold `seed`'s pattern: it maps
// only without write permission, and neither mprotect nor a ptrace-style
// write through /proc/self/mem makes it writable. Returns the view's id.
std::optional<RegionId> CheckReadOnlyView(Reporter& r,
                                          KmodRegionGranter& granter,
                                          RegionId region, size_t pages,
                                          uint8_t seed) {
  auto view = granter.ReadOnlyView(region);
  if (!r.Ok("ro-view", StatusOf(view))) return std::nullopt;
  r.Expect("ro-view/own-id", *view != region, "the view id is the region id");
  auto again = granter.ReadOnlyView(region);
  r.Expect("ro-view/same-again", again && *again == *view,
           again ? "another view " + std::to_string(*again)
                 : again.error().ToString());
  auto itself = granter.ReadOnlyView(*view);
  r.Expect(
      "ro-view/view-of-view-is-itself", itself && *itself == *view,
      itself ? "view " + std::to_string(*itself) : itself.error().ToString());
  r.Expect("ro-view/unlisted", !FindRegion(granter, *view).has_value(),
           "LIST shows the view");
  r.Refused("ro-view/grant-refused",
            StatusOf(granter.Grant(*view, kDom0, /*readonly=*/true)),
            Code::kNotFound);
  r.Refused("ro-view/release-refused", granter.Release(*view), Code::kNotFound);

  const size_t size = pages * kPageSize;
  const int fd = open(XENSHM_DEVICE_PATH, O_RDWR | O_CLOEXEC);
  if (r.Expect("ro-view/open", fd >= 0, std::strerror(errno))) {
    const off_t offset = static_cast<off_t>(XENSHM_MMAP_OFFSET(*view));
    void* p =
        mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, offset);
    r.Expect("ro-view/mmap-writable-refused",
             p == MAP_FAILED && errno == EACCES,
             p == MAP_FAILED ? std::strerror(errno) : "mapped writable");
    if (p != MAP_FAILED) munmap(p, size);
    p = mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, offset);
    if (r.Expect("ro-view/mmap-read", p != MAP_FAILED, std::strerror(errno))) {
      r.Expect("ro-view/sees-region", Mismatch(p, size, seed).empty(),
               Mismatch(p, size, seed));
      const int rc = mprotect(p, size, PROT_READ | PROT_WRITE);
      r.Expect("ro-view/mprotect-write-refused", rc != 0 && errno == EACCES,
               rc == 0 ? "mprotect made it writable" : std::strerror(errno));
      const int mem = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
      const uint8_t byte = static_cast<uint8_t>(~PatternByte(seed, 0));
      const ssize_t wrote =
          mem >= 0 ? pwrite(mem, &byte, 1,
                            static_cast<off_t>(reinterpret_cast<uintptr_t>(p)))
                   : -1;
      r.Expect("ro-view/proc-mem-write-refused",
               wrote != 1 && Mismatch(p, size, seed).empty(),
               mem < 0
                   ? std::string("open /proc/self/mem: ") + std::strerror(errno)
                   : "a forced write went through");
      if (mem >= 0) close(mem);
      munmap(p, size);
    }
    close(fd);
  }

  // Through the granter, as libxenshm maps a read-only attachment.
  r.Refused("ro-view/map-local-writable-refused",
            StatusOf(granter.MapLocal(*view)), Code::kNoPermission);
  auto mapped = granter.MapLocal(*view, /*readonly=*/true);
  if (r.Ok("ro-view/map-local", StatusOf(mapped))) {
    void* data = (*mapped)->data();
    r.Expect("ro-view/map-local-sees-region",
             Mismatch(data, size, seed).empty(), Mismatch(data, size, seed));
    r.Expect("ro-view/map-local-mprotect-refused",
             mprotect(data, size, PROT_READ | PROT_WRITE) != 0,
             "mprotect made it writable");
  }
  // A read-only map asked by the region's own id goes through the view.
  mapped = granter.MapLocal(region, /*readonly=*/true);
  if (r.Ok("ro-map-of-region", StatusOf(mapped))) {
    r.Expect("ro-map-of-region/mprotect-refused",
             mprotect((*mapped)->data(), size, PROT_READ | PROT_WRITE) != 0,
             "mprotect made it writable");
  }
  return *view;
}

// Root without CAP_SYS_ADMIN passes the 0600 mode but must be refused.
void OpenWithoutCapSysAdmin(Reporter& r) {
  const pid_t pid = fork();
  if (pid == 0) {
    __user_cap_header_struct header{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[2] = {};
    if (syscall(SYS_capget, &header, data) != 0) _exit(3);
    data[CAP_SYS_ADMIN / 32].effective &= ~(1u << (CAP_SYS_ADMIN % 32));
    if (syscall(SYS_capset, &header, data) != 0) _exit(3);
    const int fd = open(XENSHM_DEVICE_PATH, O_RDWR);
    _exit(fd < 0 && errno == EPERM ? 0 : (fd < 0 ? 1 : 2));
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) status = 0xff00;
  r.Expect("open-without-cap-sys-admin",
           WIFEXITED(status) && WEXITSTATUS(status) == 0,
           "child exit " + std::to_string(WEXITSTATUS(status)) +
               " (1: other error, 2: opened, 3: capset failed)");
}

int FullRound(Reporter& r, size_t pages, std::optional<DomainId> peer) {
  OpenWithoutCapSysAdmin(r);
  auto opened = KmodRegionGranter::Open(XENSHM_DEVICE_PATH);
  if (!r.Ok("open", StatusOf(opened))) return 1;
  KmodRegionGranter& granter = **opened;
  auto base = granter.Counts();
  if (!r.Ok("counts", StatusOf(base))) return 1;
  auto usage = granter.UsageOf(kDom0);
  if (!r.Ok("usage", StatusOf(usage))) return 1;
  const DomainGrantUsage base_usage = *usage;

  auto budget = granter.Budget(static_cast<uint32_t>(pages));
  if (r.Ok("budget", StatusOf(budget))) {
    r.Expect(
        "budget/geometry",
        budget->max_frames > 0 && (budget->entries_per_frame == 512 ||
                                   budget->entries_per_frame == 256),
        "max_frames=" + std::to_string(budget->max_frames) +
            " entries_per_frame=" + std::to_string(budget->entries_per_frame));
    r.Expect("budget/probe", budget->probe_ok,
             std::to_string(pages) + " entries could not be reserved");
    std::printf("note max_frames=%u entries_per_frame=%u free_estimate=%llu\n",
                budget->max_frames, budget->entries_per_frame,
                static_cast<unsigned long long>(budget->free_estimate));
  }

  r.Refused("alloc-zero", StatusOf(granter.Allocate(0)),
            Code::kInvalidArgument);
  auto id = granter.Allocate(pages);
  if (!r.Ok("alloc", StatusOf(id))) return 1;
  const RegionId region = *id;
  const size_t size = pages * kPageSize;
  ExpectCounts(r, granter, "alloc/counts", Plus(*base, 1, pages, 0, 0));
  auto info = FindRegion(granter, region);
  r.Expect("list", info && info->pages == pages, "region not listed right");

  // Two local mappings of one region share its pages.
  auto map1 = granter.MapLocal(region);
  auto map2 = granter.MapLocal(region);
  if (!r.Ok("map-local", StatusOf(map1)) ||
      !r.Ok("map-local-again", StatusOf(map2))) {
    return 1;
  }
  r.Expect(
      "map-local/zeroed",
      std::vector<uint8_t>(size, 0) ==
          std::vector<uint8_t>(static_cast<uint8_t*>((*map1)->data()),
                               static_cast<uint8_t*>((*map1)->data()) + size),
      "fresh region is not zeroed");
  Fill((*map1)->data(), size, 0x11);
  r.Expect("map-local/shared", Mismatch((*map2)->data(), size, 0x11).empty(),
           Mismatch((*map2)->data(), size, 0x11));
  map2->reset();
  const std::optional<RegionId> view =
      CheckReadOnlyView(r, granter, region, pages, 0x11);

  // Grant to dom0 itself and map the grants back through gntdev: a peer
  // mapping, as a guest would have.
  auto refs = granter.Grant(region, kDom0, /*readonly=*/false);
  if (!r.Ok("grant-dom0", StatusOf(refs))) return 1;
  r.Expect("grant-dom0/refs",
           refs->size() == pages &&
               std::set<GrantRef>(refs->begin(), refs->end()).size() == pages,
           "want " + std::to_string(pages) + " distinct refs");
  ExpectCounts(r, granter, "grant-dom0/counts",
               Plus(*base, 1, pages, pages, 0));
  ExpectUsage(r, granter, "usage/live-grants", kDom0,
              Plus(base_usage, pages, 0, 0, 0));
  r.Refused("grant-dom0/twice",
            StatusOf(granter.Grant(region, kDom0, /*readonly=*/false)),
            Code::kAlreadyAttached);
  r.Refused("grant/unknown-region",
            StatusOf(granter.Grant(region + 1000000, kDom0, false)),
            Code::kNotFound);

  auto mapper = RealGrantMapper::Open();
  std::unique_ptr<GrantMapping> peer_map;
  if (r.Ok("gntdev-open", StatusOf(mapper))) {
    auto mapped = (*mapper)->Map(kDom0, *refs, /*writable=*/true);
    if (r.Ok("gntdev-map", StatusOf(mapped))) {
      peer_map = std::move(*mapped);
      r.Expect("gntdev-map/sees-region",
               Mismatch(peer_map->data(), size, 0x11).empty(),
               Mismatch(peer_map->data(), size, 0x11));
      Fill(peer_map->data(), size, 0x22);
      r.Expect("gntdev-map/writes-region",
               Mismatch((*map1)->data(), size, 0x22).empty(),
               Mismatch((*map1)->data(), size, 0x22));
    }
  }

  // Revoke while the peer maps: every entry is deferred, not freed.
  r.Ok("revoke-while-mapped", granter.Revoke(region, kDom0));
  ExpectCounts(r, granter, "revoke-while-mapped/deferred",
               Plus(*base, 1, pages, 0, peer_map ? pages : 0));
  // A live region's pages are its own: deferred entries, nothing pinned.
  ExpectUsage(r, granter, "usage/deferred-while-mapped", kDom0,
              Plus(base_usage, 0, peer_map ? pages : 0, 0, 0));
  r.Refused("revoke/twice", granter.Revoke(region, kDom0), Code::kNotFound);
  if (peer_map) {
    peer_map.reset();
    ExpectCounts(r, granter, "unmap/deferred-drained",
                 Plus(*base, 1, pages, 0, 0));
    ExpectUsage(r, granter, "usage/unmap-drains", kDom0, base_usage);
  }

  // Read-only grant: a writable gntdev map must fail, a read-only one works.
  auto ro_refs = granter.Grant(region, kDom0, /*readonly=*/true);
  if (r.Ok("grant-readonly", StatusOf(ro_refs)) && mapper) {
    r.Refused("grant-readonly/map-writable-refused",
              StatusOf((*mapper)->Map(kDom0, *ro_refs, /*writable=*/true)),
              Code::kNoPermission);
    auto ro_map = (*mapper)->Map(kDom0, *ro_refs, /*writable=*/false);
    if (r.Ok("grant-readonly/map", StatusOf(ro_map))) {
      r.Expect("grant-readonly/sees-region",
               Mismatch((*ro_map)->data(), size, 0x22).empty(),
               Mismatch((*ro_map)->data(), size, 0x22));
    }
  }
  if (ro_refs) r.Ok("grant-readonly/revoke", granter.Revoke(region, kDom0));

  if (peer) {
    auto peer_base = granter.UsageOf(*peer);
    auto peer_refs = granter.Grant(region, *peer, /*readonly=*/true);
    if (r.Ok("grant-peer", StatusOf(peer_refs))) {
      ExpectCounts(r, granter, "grant-peer/counts",
                   Plus(*base, 1, pages, pages, 0));
      if (peer_base) {
        ExpectUsage(r, granter, "usage/peer-grants", *peer,
                    Plus(*peer_base, pages, 0, 0, 0));
        ExpectUsage(r, granter, "usage/peer-grants-not-dom0s", kDom0,
                    base_usage);
      }
      r.Ok("grant-peer/revoke", granter.Revoke(region, *peer));
      if (peer_base) {
        ExpectUsage(r, granter, "usage/peer-revoked", *peer, *peer_base);
      }
    }
  }

  HostileArguments(r, granter, region, pages);

  // Release while a peer maps: the region disappears, its memory waits.
  refs = granter.Grant(region, kDom0, /*readonly=*/false);
  if (r.Ok("regrant-dom0", StatusOf(refs)) && mapper) {
    auto mapped = (*mapper)->Map(kDom0, *refs, /*writable=*/true);
    if (r.Ok("regrant-dom0/map", StatusOf(mapped))) {
      peer_map = std::move(*mapped);
    }
  }
  r.Ok("release-while-mapped", granter.Release(region));
  r.Expect("release/unlisted", !FindRegion(granter, region).has_value(),
           "released region still listed");
  ExpectCounts(r, granter, "release-while-mapped/deferred",
               Plus(*base, 0, peer_map ? pages : 0, 0, peer_map ? pages : 0));
  // Only dom0's gntdev mapping keeps the released region: dom0 pins it.
  if (peer_map) {
    ExpectUsage(r, granter, "usage/released-region-pinned", kDom0,
                Plus(base_usage, 0, pages, 1, pages));
  }
  if (view) {
    r.Refused("ro-view/gone-with-region", StatusOf(granter.ReadOnlyView(*view)),
              Code::kNotFound);
    r.Refused("ro-view/unmappable-after-release",
              StatusOf(granter.MapLocal(*view, /*readonly=*/true)),
              Code::kNotFound);
  }
  r.Expect("release/local-map-survives",
           Mismatch((*map1)->data(), size, 0x22).empty(),
           Mismatch((*map1)->data(), size, 0x22));
  if (peer_map) {
    Fill(peer_map->data(), size, 0x33);  // the peer still works on it
    r.Expect("release/peer-still-shares",
             Mismatch((*map1)->data(), size, 0x33).empty(),
             Mismatch((*map1)->data(), size, 0x33));
    peer_map.reset();
  }
  map1->reset();
  r.Refused("release/twice", granter.Release(region), Code::kNotFound);
  ExpectCounts(r, granter, "counts-back-to-baseline", *base);
  ExpectUsage(r, granter, "usage-back-to-baseline", kDom0, base_usage);
  return r.failed() ? 1 : 0;
}

int Keep(Reporter& r) {
  auto granter = KmodRegionGranter::Open(XENSHM_DEVICE_PATH);
  if (!r.Ok("keep/open", StatusOf(granter))) return 1;
  auto id = (*granter)->Allocate(kKeepPages);
  if (!r.Ok("keep/alloc", StatusOf(id))) return 1;
  auto map = (*granter)->MapLocal(*id);
  if (!r.Ok("keep/map", StatusOf(map))) return 1;
  Fill((*map)->data(), (*map)->size(), kKeepSeed);
  std::printf("note kept region %llu\n", static_cast<unsigned long long>(*id));
  return r.failed() ? 1 : 0;  // granter and mapping go; the region stays
}

int Resume(Reporter& r) {
  auto granter = KmodRegionGranter::Open(XENSHM_DEVICE_PATH);
  if (!r.Ok("resume/open", StatusOf(granter))) return 1;
  auto regions = (*granter)->List();
  if (!r.Ok("resume/list", StatusOf(regions))) return 1;
  std::optional<RegionInfo> kept;
  for (const RegionInfo& info : *regions) {
    if (info.pages == kKeepPages) kept = info;
  }
  if (!r.Expect("resume/found", kept.has_value(),
                "no region of " + std::to_string(kKeepPages) + " pages")) {
    return 1;
  }
  auto map = (*granter)->MapLocal(kept->id);
  if (r.Ok("resume/map", StatusOf(map))) {
    const std::string diff =
        Mismatch((*map)->data(), (*map)->size(), kKeepSeed);
    r.Expect("resume/content-survived", diff.empty(), diff);
    map->reset();
  }
  r.Ok("resume/release", (*granter)->Release(kept->id));
  auto counts = (*granter)->Counts();
  r.Expect("resume/counts-zero", counts && *counts == GranterCounts{},
           counts ? Show(*counts) : counts.error().ToString());
  return r.failed() ? 1 : 0;
}

// Leaves a released region whose pages this process still maps through
// gntdev, with no /dev/xenshm fd open, for `seconds`: rmmod meanwhile must
// hand the deferred entries to the kernel, and unmapping afterwards must
// leave nothing behind.
int HoldDeferred(Reporter& r, int seconds) {
  auto mapper = RealGrantMapper::Open();
  if (!r.Ok("hold/gntdev-open", StatusOf(mapper))) return 1;
  std::unique_ptr<GrantMapping> peer_map;
  {
    auto granter = KmodRegionGranter::Open(XENSHM_DEVICE_PATH);
    if (!r.Ok("hold/open", StatusOf(granter))) return 1;
    auto usage = (*granter)->UsageOf(kDom0);
    if (!r.Ok("hold/usage", StatusOf(usage))) return 1;
    auto id = (*granter)->Allocate(kKeepPages);
    if (!r.Ok("hold/alloc", StatusOf(id))) return 1;
    auto refs = (*granter)->Grant(*id, kDom0, /*readonly=*/false);
    if (!r.Ok("hold/grant", StatusOf(refs))) return 1;
    auto mapped = (*mapper)->Map(kDom0, *refs, /*writable=*/true);
    if (!r.Ok("hold/map", StatusOf(mapped))) return 1;
    peer_map = std::move(*mapped);
    Fill(peer_map->data(), peer_map->size(), kKeepSeed);
    r.Ok("hold/release", (*granter)->Release(*id));
    auto counts = (*granter)->Counts();
    r.Expect("hold/deferred", counts && counts->deferred_frees == kKeepPages,
             counts ? Show(*counts) : counts.error().ToString());
    ExpectUsage(r, **granter, "hold/usage-pinned", kDom0,
                Plus(*usage, 0, kKeepPages, 1, kKeepPages));
  }  // the fd closes: rmmod is possible now
  std::printf("note holding %zu deferred pages for %d s\n", kKeepPages,
              seconds);
  std::fflush(stdout);
  sleep(static_cast<unsigned>(seconds));
  const std::string diff =
      Mismatch(peer_map->data(), peer_map->size(), kKeepSeed);
  r.Expect("hold/pages-intact", diff.empty(), diff);
  peer_map.reset();
  return r.failed() ? 1 : 0;
}

int Usage() {
  std::fprintf(stderr,
               "usage: kmod_probe [--pages=N] [--peer=DOMID] | --keep | "
               "--resume | --hold-deferred=SECONDS\n");
  return 2;
}

// The number after `flag` in `arg` (--pages=16): strict decimal in
// [min, max], or nullopt after saying why on stderr.
std::optional<uint64_t> FlagNumber(std::string_view arg, std::string_view flag,
                                   uint64_t min, uint64_t max) {
  const std::string what(flag.substr(0, flag.size() - 1));
  auto number = ParseDecimal(arg.substr(flag.size()), max, what);
  if (number && *number < min) {
    number =
        Error(Code::kInvalidArgument, what + " " + std::to_string(*number) +
                                          " is below " + std::to_string(min));
  }
  if (!number) {
    std::fprintf(stderr, "kmod_probe: %s\n", number.error().message().c_str());
    return std::nullopt;
  }
  return *number;
}

}  // namespace
}  // namespace xenshm

int main(int argc, char** argv) {
  using namespace xenshm;
  size_t pages = 16;
  std::optional<DomainId> peer;
  std::string mode = "full";
  int hold_seconds = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--pages=")) {
      auto n = FlagNumber(arg, "--pages=", 1, XENSHM_MAX_REGION_PAGES);
      if (!n) return Usage();
      pages = static_cast<size_t>(*n);
    } else if (arg.starts_with("--peer=")) {
      // A guest: 1 .. DOMID_FIRST_RESERVED - 1.
      auto d = FlagNumber(arg, "--peer=", 1, 0x7fef);
      if (!d) return Usage();
      peer = static_cast<DomainId>(*d);
    } else if (arg == "--keep" || arg == "--resume") {
      mode = arg.substr(2);
    } else if (arg.starts_with("--hold-deferred=")) {
      mode = "hold";
      auto seconds = FlagNumber(arg, "--hold-deferred=", 1, 600);
      if (!seconds) return Usage();
      hold_seconds = static_cast<int>(*seconds);
    } else {
      return Usage();
    }
  }
  Reporter r;
  if (mode == "keep") return Keep(r);
  if (mode == "resume") return Resume(r);
  if (mode == "hold") return HoldDeferred(r, hold_seconds);
  return FullRound(r, pages, peer);
}
