// XenStore: the control plane, as one domain sees it.
//
// Semantics follow xenstored (docs/misc/xenstore.txt):
//  - A node's permission list's first entry names its owner and the access
//    every domain not listed later gets; later entries grant one domain
//    read/write/both. dom0 and the owner may always read and write.
//  - Writes create missing parents; a created node inherits its parent's
//    permissions with the creator as owner.
//  - Watches fire once when set, then for every change at or below the path;
//    "@introduceDomain" and "@releaseDomain" fire on domain start/death.
//  - A transaction fails with Code::kAgain at end if a node it read changed.
//  - Guests (not dom0) have quotas (nodes, watches, transactions, entries per
//    permission list); exceeding one yields Code::kQuotaExceeded.
#ifndef XENSHM_PLATFORM_XENSTORE_H_
#define XENSHM_PLATFORM_XENSTORE_H_

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/types.h"

namespace xenshm {

enum class XsAccess : uint8_t { kNone, kRead, kWrite, kBoth };

struct XsPermission {
  DomainId domain = 0;
  XsAccess access = XsAccess::kNone;
  friend bool operator==(const XsPermission&, const XsPermission&) = default;
};

// Permissions of a node only dom0 may write and `readers` may read (the
// first entry names the owner and what everyone else may do: nothing).
inline std::vector<XsPermission> Dom0OwnedReadableBy(
    const std::set<DomainId>& readers) {
  std::vector<XsPermission> perms = {{kDom0, XsAccess::kNone}};
  for (DomainId reader : readers) {
    if (reader != kDom0) perms.push_back({reader, XsAccess::kRead});
  }
  return perms;
}

// 0 means "not in a transaction".
using XsTransaction = uint32_t;
inline constexpr XsTransaction kNoTransaction = 0;

struct XsWatchEvent {
  std::string path;   // the node that changed (or the special "@..." name)
  std::string token;  // the token given to Watch
};

class XenStore {
 public:
  virtual ~XenStore() = default;

  // The domain this connection acts as.
  virtual DomainId self() const = 0;

  virtual Result<std::string> Read(XsTransaction t,
                                   const std::string& path) = 0;
  virtual Status Write(XsTransaction t, const std::string& path,
                       const std::string& value) = 0;
  virtual Status Mkdir(XsTransaction t, const std::string& path) = 0;
  // Removes the node and everything below it. Removing a missing node fails
  // with kNotFound.
  virtual Status Remove(XsTransaction t, const std::string& path) = 0;
  // Names of the children (not full paths), in no particular order.
  virtual Result<std::vector<std::string>> List(XsTransaction t,
                                                const std::string& path) = 0;
  virtual Result<std::vector<XsPermission>> GetPermissions(
      XsTransaction t, const std::string& path) = 0;
  // REQUIRES: !perms.empty(). Only the owner or dom0 may change them.
  virtual Status SetPermissions(XsTransaction t, const std::string& path,
                                const std::vector<XsPermission>& perms) = 0;

  virtual Result<XsTransaction> TransactionStart() = 0;
  // commit=false aborts. A conflicting commit returns kAgain; the caller
  // retries the whole transaction (RetryOnAgain, xenstore_retry.h).
  virtual Status TransactionEnd(XsTransaction t, bool commit) = 0;

  virtual Status Watch(const std::string& path, const std::string& token) = 0;
  virtual Status Unwatch(const std::string& path, const std::string& token) = 0;
  // Readable when a watch event is queued (for poll/epoll).
  virtual int watch_fd() const = 0;
  // Next queued event without blocking; nullopt when none is queued.
  virtual std::optional<XsWatchEvent> TakeWatchEvent() = 0;
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_XENSTORE_H_
