// RealPageSharer: grant freshly allocated pages to ONE domain from user
// space (libxengntshr over Linux /dev/xen/gntalloc).
//
// Not part of the platform seam: gntalloc cannot grant a page to a second
// domain, which is why region memory comes from the xenshm kernel module
// (RegionGranter). This exists for the smoke probe and lab diagnostics.
#ifndef XENSHM_PLATFORM_REAL_REAL_PAGE_SHARER_H_
#define XENSHM_PLATFORM_REAL_REAL_PAGE_SHARER_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "base/status.h"
#include "base/types.h"

struct xengntdev_handle;  // libxengntshr's opaque handle.

namespace xenshm {

// Pages shared with one domain; destroying it unshares them (gntalloc ends
// the grants, deferring the free while the grantee still maps them).
class SharedPages {
 public:
  virtual ~SharedPages() = default;
  virtual void* data() const = 0;
  virtual size_t size() const = 0;
  // refs()[i] names page i.
  virtual const std::vector<GrantRef>& refs() const = 0;
};

class RealPageSharer {
 public:
  // Opens /dev/xen/gntalloc (module xen-gntalloc).
  static Result<std::unique_ptr<RealPageSharer>> Open();

  ~RealPageSharer();
  RealPageSharer(const RealPageSharer&) = delete;
  RealPageSharer& operator=(const RealPageSharer&) = delete;

  // Allocates `pages` zeroed pages, grants them to `domain` and maps them
  // here. REQUIRES: pages > 0. SharedPages must not outlive this sharer.
  Result<std::unique_ptr<SharedPages>> Share(DomainId domain, size_t pages,
                                             bool writable);

 private:
  explicit RealPageSharer(xengntdev_handle* handle) : handle_(handle) {}

  xengntdev_handle* handle_;  // owned; closed by the destructor
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_REAL_PAGE_SHARER_H_
