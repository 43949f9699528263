// FakeHypervisor: several Xen domains in one process, for unit tests.
//
// It stands in for Xen, xenstored, libxl and the xenshm kernel module behind
// the platform seam (platform/platform.h): components under test get a
// Platform from OpenPlatform() and cannot tell it from the real one, except
// for the differences each part documents (fake_xenstore.h,
// fake_event_channels.h, fake_grants.h). Domains share real memory (memfd)
// and real wake-ups (eventfd), so tests may run each domain's side on its own
// thread.
//
// Each OpenPlatform() call is one process: its own xenstore connection
// (watches, transactions), its own gntdev and evtchn handles. A platform of a
// destroyed domain fails every call with kIoError, even if the domain id is
// created again.
//
// Thread-safe. Platforms may outlive the FakeHypervisor.
#ifndef XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_HYPERVISOR_H_
#define XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_HYPERVISOR_H_

#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "base/status.h"
#include "base/types.h"
#include "platform/platform.h"
#include "tests/fake_hypervisor/domain_table.h"
#include "tests/fake_hypervisor/fake_event_channels.h"
#include "tests/fake_hypervisor/fake_grants.h"
#include "tests/fake_hypervisor/fake_xenstore.h"
#include "tests/fake_hypervisor/fault_injector.h"

namespace xenshm::fake {

class FakeHypervisor {
 public:
  // dom0 exists from the start.
  FakeHypervisor();
  FakeHypervisor(const FakeHypervisor&) = delete;
  FakeHypervisor& operator=(const FakeHypervisor&) = delete;
  ~FakeHypervisor();

  // Starts domain `id` the way libxl does (see XenStoreCore::IntroduceDomain)
  // and fires "@introduceDomain".
  // REQUIRES: `id` does not exist (aborts otherwise).
  void CreateDomain(DomainId id);
  // The same with the toolstack's identity: /local/domain/<id>/name is
  // `name` (dom0-owned, as libxl writes it) and the domain's UUID `uuid`
  // ("" makes a fresh one). A reboot or restore is CreateDomain of a new id
  // with the old name and UUID.
  struct Identity {
    std::string name;
    std::string uuid;
    bool write_name = true;  // false: no name node (a toolstack too slow)
  };
  void CreateDomain(DomainId id, const Identity& identity);
  // Domain `id` dies: its mappings leave the grant accounting (their memory
  // stays mapped), its event channels close (remote ends become unbound), its
  // xenstore connections die, /local/domain/<id> is removed and
  // "@releaseDomain" fires. dom0's grants to it stay until revoked, as in Xen.
  // For a dying domain (MarkDomainDying), only what is left happens: its home
  // is removed and it leaves the domain list. No-op for a domain that does
  // not exist. REQUIRES: id != 0.
  void DestroyDomain(DomainId id);
  // Domain `id` is being destroyed but a reference keeps it (Xen's
  // domain_kill, XEN_DOMINF_dying): it stops running, so everything
  // DestroyDomain describes happens (xenstored releases it and fires
  // "@releaseDomain") except two things: DomainInfo still lists it, with
  // `dying` set, and /local/domain/<id> stays (the toolstack removes it).
  // Both end with DestroyDomain(id); until then the id cannot be created
  // again and OpenPlatform(id) fails. No-op unless `id` is running.
  // REQUIRES: id != 0.
  void MarkDomainDying(DomainId id);
  // True while `id` is listed: running or dying.
  bool DomainExists(DomainId id) const;

  // A new process in domain `id`. dom0's also has DomainInfo and
  // RegionGranter. kNotFound if the domain does not exist or is dying.
  Result<Platform> OpenPlatform(DomainId id);

  // dom0's grant table size in entries, including the kReservedGrantEntries
  // Xen keeps (default kDefaultGrantTableSize).
  void SetGrantTableSize(size_t entries);
  GranterCounts GrantCounts() const;
  RegionMappingCounts MappingCounts(RegionId region) const;

  // The next call of `op` (by `domain`, if given) fails with `code`.
  void FailNext(Op op, Code code,
                std::optional<DomainId> domain = std::nullopt);
  // The `nth` next call (1 = the next) of `op` fails with `code`.
  void FailNth(Op op, int nth, Code code,
               std::optional<DomainId> domain = std::nullopt);
  // Every call of `op` (by `domain`, if given) fails until ClearFaults.
  void FailAll(Op op, Code code, std::optional<DomainId> domain = std::nullopt);
  void ClearFaults();
  // Calls of `op` so far by `domain` (every domain if not given).
  uint64_t Calls(Op op, std::optional<DomainId> domain = std::nullopt) const;

  // Introspection for tests.
  size_t XenStoreNodesOwnedBy(DomainId domain) const;
  size_t XenStoreWatchesOf(DomainId domain) const;
  std::string DumpXenStore() const;
  size_t OpenEventPorts(DomainId domain) const;

 private:
  // Xen's domain_kill (grant mappings and event channels go) and xenstored's
  // release of the domain. REQUIRES: lifecycle_mu_ held, `id` marked dying.
  void StopDomain(DomainId id, bool remove_home);

  std::mutex lifecycle_mu_;  // serializes domain creation and destruction
  std::shared_ptr<DomainTable> domains_;
  std::shared_ptr<FaultInjector> faults_;
  std::shared_ptr<XenStoreCore> xenstore_;
  std::shared_ptr<EventChannelCore> event_channels_;
  std::shared_ptr<GrantCore> grants_;
};

}  // namespace xenshm::fake

#endif  // XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_HYPERVISOR_H_
