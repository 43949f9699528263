// FaultInjector: makes a chosen future platform call fail, so tests can check
// that a component leaves nothing half-done ("no half-attach").
#ifndef XENSHM_TESTS_FAKE_HYPERVISOR_FAULT_INJECTOR_H_
#define XENSHM_TESTS_FAKE_HYPERVISOR_FAULT_INJECTOR_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/types.h"

namespace xenshm::fake {

// The platform calls a fault can be injected into. A failed call has no
// effect, except kXsTransactionEnd, which (like xenstored) ends the
// transaction without committing it.
enum class Op {
  kXsRead,              // XenStore::Read
  kXsWrite,             // XenStore::Write
  kXsMkdir,             // XenStore::Mkdir
  kXsRemove,            // XenStore::Remove
  kXsSetPermissions,    // XenStore::SetPermissions
  kXsTransactionStart,  // XenStore::TransactionStart
  kXsTransactionEnd,    // XenStore::TransactionEnd with commit=true
  kXsWatch,             // XenStore::Watch
  kXsList,              // XenStore::List
  kXsGetPermissions,    // XenStore::GetPermissions
  kRegionAllocate,      // RegionGranter::Allocate
  kGrant,               // RegionGranter::Grant (grant entry allocation)
  kGrantMap,            // GrantMapper::Map
  kEvtchnAllocate,      // EventChannels::AllocateUnbound
  kEvtchnBind,          // EventChannels::BindInterdomain
  kEvtchnNotify,        // EventChannels::Notify
  kEvtchnRead,          // EventChannels::TakePending and NextPending
};

std::string_view OpName(Op op);

// Thread-safe. A leaf lock: never calls out while holding it.
class FaultInjector {
 public:
  // The `nth` next call (1 = the very next one) of `op`, made by `domain` if
  // given (by any domain otherwise), fails with `code`. Several faults may be
  // pending at once; each counts calls independently.
  void FailNth(Op op, int nth, Code code,
               std::optional<DomainId> domain = std::nullopt);
  // Every call of `op` (by `domain`, if given) fails with `code` until
  // Clear().
  void FailAll(Op op, Code code, std::optional<DomainId> domain = std::nullopt);
  // Forgets every pending fault.
  void Clear();
  // Called by the fakes at the start of each `op` made by `domain`: counts
  // the call and returns the injected failure, if one is due.
  std::optional<Status> Check(Op op, DomainId domain);
  // Calls of `op` made so far by `domain` (by every domain if not given),
  // for tests that bound the work an action costs.
  uint64_t Calls(Op op, std::optional<DomainId> domain = std::nullopt);

 private:
  struct Fault {
    Op op;
    int remaining;  // calls left until this one fails (1 = the next)
    Code code;
    std::optional<DomainId> domain;
    bool every = false;  // fails every call, until Clear()
  };

  std::mutex mu_;
  std::vector<Fault> faults_;                          // GUARDED_BY(mu_)
  std::map<std::pair<Op, DomainId>, uint64_t> calls_;  // GUARDED_BY(mu_)
};

}  // namespace xenshm::fake

#endif  // XENSHM_TESTS_FAKE_HYPERVISOR_FAULT_INJECTOR_H_
