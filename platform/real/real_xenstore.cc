#include "platform/real/real_xenstore.h"

#include <cerrno>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "base/hostile_text.h"
#include "base/numbers.h"

extern "C" {
#include <xenstore.h>
}

namespace xenshm {
namespace {

// libxenstore returns malloc()ed blocks (a string vector is one block).
struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};
template <typename T>
using MallocPtr = std::unique_ptr<T, FreeDeleter>;

std::string Context(std::string_view op, const std::string& path) {
  return std::string(op) + " " + path;
}

unsigned int ToXsPerm(XsAccess access) {
  switch (access) {
    case XsAccess::kNone:
      return XS_PERM_NONE;
    case XsAccess::kRead:
      return XS_PERM_READ;
    case XsAccess::kWrite:
      return XS_PERM_WRITE;
    case XsAccess::kBoth:
      return XS_PERM_READ | XS_PERM_WRITE;
  }
  return XS_PERM_NONE;
}

XsAccess FromXsPerm(unsigned int perm) {
  // XS_PERM_OWNER / ENOENT_OK / IGNORE are bookkeeping bits, not access.
  const bool read = perm & XS_PERM_READ;
  const bool write = perm & XS_PERM_WRITE;
  if (read && write) return XsAccess::kBoth;
  if (read) return XsAccess::kRead;
  if (write) return XsAccess::kWrite;
  return XsAccess::kNone;
}

}  // namespace

Result<std::unique_ptr<RealXenStore>> RealXenStore::Open() {
  xs_handle* handle = xs_open(0);
  if (handle == nullptr) {
    return Error(StatusFromErrno(
        errno,
        "xs_open (xenstore unreachable: no xenstored socket and no "
        "/dev/xen/xenbus; is this a Xen domain with xenstored running?)"));
  }
  // Creating the watch pipe now means watch_fd() is valid (and stable)
  // before the first Watch.
  const int watch_fd = xs_fileno(handle);
  if (watch_fd < 0) {
    const int err = errno;
    xs_close(handle);
    return Error(StatusFromErrno(err, "xs_fileno (xenstore watch pipe)"));
  }
  std::unique_ptr<RealXenStore> store(new RealXenStore(handle, watch_fd));
  // "domid" relative to our home /local/domain/<self>; xenstored writes it
  // for guests and xen-init-dom0 for dom0.
  Result<std::string> domid = store->Read(kNoTransaction, "domid");
  if (!domid) {
    return Error(domid.error().code(),
                 "reading our own domain id: " + domid.error().message());
  }
  // DOMID_FIRST_RESERVED is 0x7ff0.
  auto value = ParseDecimal(*domid, 0x7FEF, "domain id");
  if (!value) {
    return Error(Code::kInvalidArgument,
                 "xenstore node 'domid' holds " + QuoteHostile(*domid) +
                     ", not a domain id: " + value.error().message());
  }
  store->self_ = static_cast<DomainId>(*value);
  return store;
}

RealXenStore::~RealXenStore() { xs_close(handle_); }

Result<std::string> RealXenStore::Read(XsTransaction t,
                                       const std::string& path) {
  unsigned int len = 0;
  MallocPtr<char> value(
      static_cast<char*>(xs_read(handle_, t, path.c_str(), &len)));
  if (value == nullptr) {
    return Error(StatusFromErrno(errno, Context("xs_read", path)));
  }
  return std::string(value.get(), len);
}

Status RealXenStore::Write(XsTransaction t, const std::string& path,
                           const std::string& value) {
  if (!xs_write(handle_, t, path.c_str(), value.data(),
                static_cast<unsigned int>(value.size()))) {
    return StatusFromErrno(errno, Context("xs_write", path));
  }
  return Status::Ok();
}

Status RealXenStore::Mkdir(XsTransaction t, const std::string& path) {
  if (!xs_mkdir(handle_, t, path.c_str())) {
    return StatusFromErrno(errno, Context("xs_mkdir", path));
  }
  return Status::Ok();
}

Status RealXenStore::Remove(XsTransaction t, const std::string& path) {
  // xenstored acknowledges XS_RM of a missing node whose parent exists; the
  // seam promises kNotFound, so look first. A node removed by someone else
  // between the two requests is reported as removed by us, which is what
  // the caller wanted anyway. A node we may not read (write-only) is left
  // to xs_rm to judge.
  unsigned int len = 0;
  MallocPtr<char> value(
      static_cast<char*>(xs_read(handle_, t, path.c_str(), &len)));
  if (value == nullptr && errno == ENOENT) {
    return StatusFromErrno(ENOENT, Context("xs_rm", path));
  }
  if (!xs_rm(handle_, t, path.c_str())) {
    return StatusFromErrno(errno, Context("xs_rm", path));
  }
  return Status::Ok();
}

Result<std::vector<std::string>> RealXenStore::List(XsTransaction t,
                                                    const std::string& path) {
  unsigned int num = 0;
  MallocPtr<char*> names(xs_directory(handle_, t, path.c_str(), &num));
  if (names == nullptr) {
    return Error(StatusFromErrno(errno, Context("xs_directory", path)));
  }
  std::vector<std::string> out;
  out.reserve(num);
  for (unsigned int i = 0; i < num; ++i) out.emplace_back(names.get()[i]);
  return out;
}

Result<std::vector<XsPermission>> RealXenStore::GetPermissions(
    XsTransaction t, const std::string& path) {
  unsigned int num = 0;
  MallocPtr<xs_permissions> perms(
      xs_get_permissions(handle_, t, path.c_str(), &num));
  if (perms == nullptr) {
    return Error(StatusFromErrno(errno, Context("xs_get_permissions", path)));
  }
  std::vector<XsPermission> out;
  out.reserve(num);
  for (unsigned int i = 0; i < num; ++i) {
    const xs_permissions& p = perms.get()[i];
    out.push_back({static_cast<DomainId>(p.id), FromXsPerm(p.perms)});
  }
  return out;
}

Status RealXenStore::SetPermissions(XsTransaction t, const std::string& path,
                                    const std::vector<XsPermission>& perms) {
  if (perms.empty()) {
    return Status(Code::kInvalidArgument,
                  "xs_set_permissions " + path + ": empty permission list");
  }
  std::vector<xs_permissions> raw;
  raw.reserve(perms.size());
  for (const XsPermission& p : perms) {
    xs_permissions entry{};
    entry.id = p.domain;
    entry.perms = static_cast<decltype(entry.perms)>(ToXsPerm(p.access));
    raw.push_back(entry);
  }
  if (!xs_set_permissions(handle_, t, path.c_str(), raw.data(),
                          static_cast<unsigned int>(raw.size()))) {
    return StatusFromErrno(errno, Context("xs_set_permissions", path));
  }
  return Status::Ok();
}

Result<XsTransaction> RealXenStore::TransactionStart() {
  const xs_transaction_t t = xs_transaction_start(handle_);
  if (t == XBT_NULL) {
    return Error(StatusFromErrno(errno, "xs_transaction_start"));
  }
  return t;
}

Status RealXenStore::TransactionEnd(XsTransaction t, bool commit) {
  // EAGAIN (a conflicting commit) becomes kAgain in StatusFromErrno.
  if (!xs_transaction_end(handle_, t, /*abort=*/!commit)) {
    return StatusFromErrno(errno, "xs_transaction_end " + std::to_string(t) +
                                      (commit ? " (commit)" : " (abort)"));
  }
  return Status::Ok();
}

Status RealXenStore::Watch(const std::string& path, const std::string& token) {
  if (!xs_watch(handle_, path.c_str(), token.c_str())) {
    const int err = errno;
    Status status =
        StatusFromErrno(err, Context("xs_watch", path) + " token " + token);
    // xenstored's answer to a guest over its watch quota.
    if (err == E2BIG) return Status(Code::kQuotaExceeded, status.message());
    return status;
  }
  return Status::Ok();
}

Status RealXenStore::Unwatch(const std::string& path,
                             const std::string& token) {
  if (!xs_unwatch(handle_, path.c_str(), token.c_str())) {
    return StatusFromErrno(errno,
                           Context("xs_unwatch", path) + " token " + token);
  }
  return Status::Ok();
}

std::optional<XsWatchEvent> RealXenStore::TakeWatchEvent() {
  // Non-blocking: NULL with EAGAIN when nothing is queued. It also drains
  // the watch pipe once the queue is empty, so watch_fd() polls correctly.
  MallocPtr<char*> vec(xs_check_watch(handle_));
  if (vec == nullptr) return std::nullopt;
  return XsWatchEvent{vec.get()[XS_WATCH_PATH], vec.get()[XS_WATCH_TOKEN]};
}

}  // namespace xenshm
