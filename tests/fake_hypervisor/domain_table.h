// DomainTable: which fake domains exist, whether they are dying, and which
// incarnation of a domain id a platform object was opened for (domain ids
// are reused, as in Xen).
#ifndef XENSHM_TESTS_FAKE_HYPERVISOR_DOMAIN_TABLE_H_
#define XENSHM_TESTS_FAKE_HYPERVISOR_DOMAIN_TABLE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "base/types.h"
#include "platform/domain_info.h"

namespace xenshm::fake {

// Who makes a call: a domain, and which life of that domain id. A "process"
// of a destroyed domain must not act as a later domain with the same id.
struct Caller {
  DomainId domain = kDom0;
  uint64_t incarnation = 0;
};

// Thread-safe. A leaf lock: never calls out while holding it.
//
// A domain is running, then (optionally) dying: still listed, its id still
// taken, but no longer running, so its processes' calls fail as if it were
// gone. Remove ends both.
class DomainTable {
 public:
  // Adds `id`, running, and returns the caller identity for its processes.
  // Returns nullopt if the id is taken (running or dying).
  // `uuid` "" gets one made from the incarnation, unique per Add.
  std::optional<Caller> Add(DomainId id, std::string uuid = "");
  // False if `id` is not running.
  bool MarkDying(DomainId id);
  // False if `id` is not listed.
  bool Remove(DomainId id);
  // The caller identity of a running domain; nullopt if absent or dying.
  std::optional<Caller> Lookup(DomainId id) const;
  // True while `id` is listed, running or dying.
  bool Listed(DomainId id) const;
  // True while the domain `caller` was opened for is still running.
  bool Alive(const Caller& caller) const;
  // kIoError naming `what` if `caller`'s domain has been destroyed (or is
  // dying).
  Status CheckAlive(const Caller& caller, const char* what) const;
  std::vector<DomainState> List() const;

 private:
  struct Entry {
    uint64_t incarnation = 0;
    bool dying = false;
    std::string uuid;
  };
  mutable std::mutex mu_;
  uint64_t next_incarnation_ = 1;      // GUARDED_BY(mu_)
  std::map<DomainId, Entry> domains_;  // GUARDED_BY(mu_)
};

// DomainInfo (libxenctrl) over a DomainTable.
class FakeDomainInfo : public DomainInfo {
 public:
  explicit FakeDomainInfo(std::shared_ptr<const DomainTable> domains)
      : domains_(std::move(domains)) {}
  Result<std::vector<DomainState>> List() override;

 private:
  std::shared_ptr<const DomainTable> domains_;
};

}  // namespace xenshm::fake

#endif  // XENSHM_TESTS_FAKE_HYPERVISOR_DOMAIN_TABLE_H_
