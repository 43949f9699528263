#include "platform/real/real_grant_mapper.h"

#include <sys/ioctl.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

extern "C" {
#include <xen/sys/gntdev.h>
#include <xengnttab.h>
}

namespace xenshm {
namespace {

std::string MapContext(DomainId granter, std::span<const GrantRef> refs) {
  std::string out = "map " + std::to_string(refs.size()) +
                    " grant ref(s) from domain " + std::to_string(granter);
  if (!refs.empty()) {
    out += " (first ref " + std::to_string(refs.front()) + ")";
  }
  return out;
}

class RealGrantMapping final : public GrantMapping {
 public:
  RealGrantMapping(xengnttab_handle* handle, void* data, size_t pages,
                   bool writable)
      : handle_(handle), data_(data), pages_(pages), writable_(writable) {}
  ~RealGrantMapping() override {
    // Fails only for an address gntdev does not know, i.e. never here.
    xengnttab_unmap(handle_, data_, static_cast<uint32_t>(pages_));
  }
  RealGrantMapping(const RealGrantMapping&) = delete;
  RealGrantMapping& operator=(const RealGrantMapping&) = delete;

  void* data() const override { return data_; }
  size_t size() const override { return pages_ * kPageSize; }
  bool writable() const override { return writable_; }

 private:
  xengnttab_handle* handle_;  // not owned
  void* data_;
  size_t pages_;
  bool writable_;
};

// See the header: gntdev's notify, addressed by the map's file offset.
Status SetUnmapNotify(xengnttab_handle* handle, void* data,
                      const UnmapNotify& notify, const std::string& context) {
  const int fd = xengnttab_fd(handle);
  ioctl_gntdev_get_offset_for_vaddr where{};
  where.vaddr = reinterpret_cast<uintptr_t>(data);
  if (ioctl(fd, IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR, &where) != 0) {
    return StatusFromErrno(errno,
                           context + ": IOCTL_GNTDEV_GET_OFFSET_FOR_VADDR");
  }
  ioctl_gntdev_unmap_notify op{};
  op.index = where.offset + notify.clear_byte_offset.value_or(0);
  if (notify.clear_byte_offset) op.action |= UNMAP_NOTIFY_CLEAR_BYTE;
  if (notify.port) {
    op.action |= UNMAP_NOTIFY_SEND_EVENT;
    op.event_channel_port = *notify.port;
  }
  if (ioctl(fd, IOCTL_GNTDEV_SET_UNMAP_NOTIFY, &op) != 0) {
    std::string what = context + ": IOCTL_GNTDEV_SET_UNMAP_NOTIFY";
    if (notify.port) {
      what += " (port " + std::to_string(*notify.port) +
              " must be bound via xen-evtchn)";
    }
    return StatusFromErrno(errno, what);
  }
  return Status::Ok();
}

}  // namespace

Status ValidateMapRequest(std::span<const GrantRef> refs, bool writable,
                          const UnmapNotify& notify) {
  if (refs.empty()) {
    return Status(Code::kInvalidArgument, "map: empty grant ref list");
  }
  if (refs.size() > UINT32_MAX / kPageSize) {
    return Status(Code::kInvalidArgument,
                  "map: " + std::to_string(refs.size()) + " refs is too many");
  }
  if (notify.clear_byte_offset) {
    if (!writable) {
      return Status(Code::kInvalidArgument,
                    "map: unmap notify cannot clear a byte of a read-only "
                    "mapping");
    }
    if (*notify.clear_byte_offset >= refs.size() * kPageSize) {
      return Status(
          Code::kInvalidArgument,
          "map: clear-byte offset " +
              std::to_string(*notify.clear_byte_offset) + " is outside the " +
              std::to_string(refs.size() * kPageSize) + "-byte mapping");
    }
  }
  return Status::Ok();
}

Result<std::unique_ptr<RealGrantMapper>> RealGrantMapper::Open() {
  xengnttab_handle* handle = xengnttab_open(nullptr, 0);
  if (handle == nullptr) {
    return Error(StatusFromErrno(
        errno, "xengnttab_open (/dev/xen/gntdev; is xen-gntdev loaded?)"));
  }
  return std::unique_ptr<RealGrantMapper>(new RealGrantMapper(handle));
}

RealGrantMapper::~RealGrantMapper() { xengnttab_close(handle_); }

Result<std::unique_ptr<GrantMapping>> RealGrantMapper::Map(
    DomainId granter, std::span<const GrantRef> refs, bool writable,
    const UnmapNotify& notify) {
  if (Status valid = ValidateMapRequest(refs, writable, notify); !valid.ok()) {
    return Error(std::move(valid));
  }
  const std::string context = MapContext(granter, refs);
  // libxengnttab takes a non-const array.
  std::vector<uint32_t> raw(refs.begin(), refs.end());
  const int prot = PROT_READ | (writable ? PROT_WRITE : 0);
  void* data = xengnttab_map_domain_grant_refs(
      handle_, static_cast<uint32_t>(raw.size()), granter, raw.data(), prot);
  if (data == nullptr) {
    const int err = errno;
    Status status = StatusFromErrno(err, context);
    // gntdev turns every failed GNTTABOP_map_grant_ref (not granted to us,
    // read-only grant mapped writable, bad ref) into EINVAL; the request
    // itself was validated above.
    if (err == EINVAL) {
      return Error(Code::kNoPermission,
                   status.message() +
                       " (a ref is not granted to us, is read-only, or is "
                       "invalid)");
    }
    return Error(std::move(status));
  }
  auto mapping =
      std::make_unique<RealGrantMapping>(handle_, data, raw.size(), writable);
  if (notify.clear_byte_offset || notify.port) {
    // On failure `mapping` unmaps on the way out.
    if (Status set = SetUnmapNotify(handle_, data, notify, context);
        !set.ok()) {
      return Error(std::move(set));
    }
  }
  return mapping;
}

}  // namespace xenshm
