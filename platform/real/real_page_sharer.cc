#include "platform/real/real_page_sharer.h"

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include <xengnttab.h>
}

namespace xenshm {
namespace {

class RealSharedPages final : public SharedPages {
 public:
  RealSharedPages(xengntshr_handle* handle, void* data,
                  std::vector<GrantRef> refs)
      : handle_(handle), data_(data), refs_(std::move(refs)) {}
  ~RealSharedPages() override {
    xengntshr_unshare(handle_, data_, static_cast<uint32_t>(refs_.size()));
  }
  RealSharedPages(const RealSharedPages&) = delete;
  RealSharedPages& operator=(const RealSharedPages&) = delete;

  void* data() const override { return data_; }
  size_t size() const override { return refs_.size() * kPageSize; }
  const std::vector<GrantRef>& refs() const override { return refs_; }

 private:
  xengntshr_handle* handle_;  // not owned
  void* data_;
  std::vector<GrantRef> refs_;
};

}  // namespace

Result<std::unique_ptr<RealPageSharer>> RealPageSharer::Open() {
  xengntshr_handle* handle = xengntshr_open(nullptr, 0);
  if (handle == nullptr) {
    return Error(StatusFromErrno(
        errno, "xengntshr_open (/dev/xen/gntalloc; is xen-gntalloc loaded?)"));
  }
  return std::unique_ptr<RealPageSharer>(new RealPageSharer(handle));
}

RealPageSharer::~RealPageSharer() { xengntshr_close(handle_); }

Result<std::unique_ptr<SharedPages>> RealPageSharer::Share(DomainId domain,
                                                           size_t pages,
                                                           bool writable) {
  if (pages == 0 || pages > INT32_MAX / kPageSize) {
    return Error(Code::kInvalidArgument,
                 "share: bad page count " + std::to_string(pages));
  }
  std::vector<uint32_t> raw(pages);
  void* data = xengntshr_share_pages(handle_, domain, static_cast<int>(pages),
                                     raw.data(), writable ? 1 : 0);
  if (data == nullptr) {
    return Error(StatusFromErrno(
        errno, "xengntshr_share_pages " + std::to_string(pages) +
                   " page(s) with domain " + std::to_string(domain)));
  }
  return std::make_unique<RealSharedPages>(
      handle_, data, std::vector<GrantRef>(raw.begin(), raw.end()));
}

}  // namespace xenshm
