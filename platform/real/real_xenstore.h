// RealXenStore: XenStore over libxenstore (xs_open).
//
// In dom0 xs_open connects to xenstored's Unix socket; in a guest it uses
// /dev/xen/xenbus. Every call is one xenstored request on the shared handle;
// libxenstore serialises them, so one RealXenStore may be used from several
// threads.
//
// Differences from raw libxenstore that callers can rely on (they match the
// XenStore contract in platform/xenstore.h):
//  - Remove of a missing node fails with kNotFound (xenstored itself
//    acknowledges it when the parent exists).
//  - A guest over its watch quota gets kQuotaExceeded (xenstored says E2BIG).
#ifndef XENSHM_PLATFORM_REAL_REAL_XENSTORE_H_
#define XENSHM_PLATFORM_REAL_REAL_XENSTORE_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/types.h"
#include "platform/xenstore.h"

struct xs_handle;  // libxenstore's opaque handle.

namespace xenshm {

class RealXenStore final : public XenStore {
 public:
  // Connects to xenstore and learns our domain id from the relative node
  // "domid". Fails (kNotFound, kNoPermission, ...) with a message naming
  // the step when xenstore is unreachable, e.g. on a host without Xen.
  static Result<std::unique_ptr<RealXenStore>> Open();

  ~RealXenStore() override;
  RealXenStore(const RealXenStore&) = delete;
  RealXenStore& operator=(const RealXenStore&) = delete;

  DomainId self() const override { return self_; }

  Result<std::string> Read(XsTransaction t, const std::string& path) override;
  Status Write(XsTransaction t, const std::string& path,
               const std::string& value) override;
  Status Mkdir(XsTransaction t, const std::string& path) override;
  Status Remove(XsTransaction t, const std::string& path) override;
  Result<std::vector<std::string>> List(XsTransaction t,
                                        const std::string& path) override;
  Result<std::vector<XsPermission>> GetPermissions(
      XsTransaction t, const std::string& path) override;
  Status SetPermissions(XsTransaction t, const std::string& path,
                        const std::vector<XsPermission>& perms) override;

  Result<XsTransaction> TransactionStart() override;
  Status TransactionEnd(XsTransaction t, bool commit) override;

  Status Watch(const std::string& path, const std::string& token) override;
  Status Unwatch(const std::string& path, const std::string& token) override;
  int watch_fd() const override { return watch_fd_; }
  // A read error other than "nothing queued" is also reported as nullopt;
  // the interface has no error channel here.
  std::optional<XsWatchEvent> TakeWatchEvent() override;

 private:
  RealXenStore(xs_handle* handle, int watch_fd)
      : handle_(handle), watch_fd_(watch_fd) {}

  xs_handle* handle_;  // owned; closed by the destructor
  int watch_fd_;       // owned by handle_ (libxenstore's watch pipe)
  DomainId self_ = 0;
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_REAL_XENSTORE_H_
