// FakeEventChannels: Xen interdomain event channels between fake domains.
//
// How this works:
//  1. Port numbers are per domain, as in Xen (lowest free number first, from
//     1); each port belongs to the handle (fake /dev/xen/evtchn open) that
//     made it, and only that handle may notify, unmask or unbind it.
//  2. A port is unbound (waiting for one named remote domain to bind) or
//     interdomain (connected to a remote port). Closing one end of an
//     interdomain channel leaves the other end unbound, waiting for the same
//     remote domain again; sends on it are silently dropped, as Xen does.
//  3. An event on a port that is not masked masks it and queues it on its
//     handle's ring (the Linux evtchn driver masks the port it reports). An
//     event on a masked port only sets `pending`; Unmask delivers it then.
//  4. A handle's fd is an eventfd, readable while its ring is not empty, so
//     real threads blocked in poll() wake on cross-domain events.
//  5. Binding raises one spurious event on the new local port, like Xen.
//  6. Closing a port leaves its events in the ring, as Linux's evtchn
//     driver does on IOCTL_EVTCHN_UNBIND: a later read would return the old
//     port number, maybe bound anew by then. The EventChannels object (like
//     platform/real's) discards them in Unbind, as event_channels.h asks;
//     the ring itself is the kernel's, and keeps them.
#ifndef XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_EVENT_CHANNELS_H_
#define XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_EVENT_CHANNELS_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>

#include "platform/event_channels.h"
#include "tests/fake_hypervisor/domain_table.h"
#include "tests/fake_hypervisor/fault_injector.h"

namespace xenshm::fake {

// A guest's event-channel limit (xl's default max_event_channels); dom0 has
// none here.
inline constexpr size_t kMaxGuestPorts = 1023;

class EventChannelHandle;

class EventChannelCore : public std::enable_shared_from_this<EventChannelCore> {
 public:
  EventChannelCore(std::shared_ptr<const DomainTable> domains,
                   std::shared_ptr<FaultInjector> faults)
      : domains_(std::move(domains)), faults_(std::move(faults)) {}
  EventChannelCore(const EventChannelCore&) = delete;
  EventChannelCore& operator=(const EventChannelCore&) = delete;

  // A new handle for a process of `caller`'s domain. kIoError if an eventfd
  // cannot be had.
  Result<std::unique_ptr<EventChannels>> Open(const Caller& caller);

  // Domain `domain` died: every port of it closes (remote ends become
  // unbound) and its handles fail from now on.
  void CloseDomain(DomainId domain);

  // The guest kernel sending on its own `port`, whichever handle owns it
  // (gntdev's unmap notify). False if the port does not exist.
  bool KernelNotify(DomainId domain, EventPort port);
  bool PortExists(DomainId domain, EventPort port) const;

  // For tests: ports `domain` has open (unbound or interdomain).
  size_t OpenPorts(DomainId domain) const;

 private:
  friend class EventChannelHandle;

  struct Port {
    uint64_t handle = 0;
    bool interdomain = false;    // false: unbound
    DomainId remote_domain = 0;  // the peer, or who may bind when unbound
    EventPort remote_port = 0;   // when interdomain
    bool pending = false;        // raised while masked
    bool masked = false;
  };

  struct Handle {
    Caller caller;
    int fd = -1;  // readable while `ring` is not empty
    bool dead = false;
    std::deque<EventPort> ring;
    std::set<EventPort> ports;
  };

  // Calls from EventChannelHandle.
  void CloseHandle(uint64_t handle);
  Result<EventPort> AllocateUnbound(uint64_t handle, DomainId remote);
  Result<EventPort> BindInterdomain(uint64_t handle, DomainId remote,
                                    EventPort remote_port);
  Status Notify(uint64_t handle, EventPort port);
  Status Unbind(uint64_t handle, EventPort port);
  // The platform layer's half of Unbind: forgets the events of `port` the
  // ring still holds, keeping the others in order.
  void DiscardQueued(uint64_t handle, EventPort port);
  Result<std::optional<EventPort>> TakePending(uint64_t handle);
  Status Unmask(uint64_t handle, EventPort port);

  // Helpers; REQUIRE mu_ held.
  Result<Handle*> LiveHandle(uint64_t handle, const char* what);
  Result<EventPort> NewPort(uint64_t handle, Handle& h);
  Status OwnedPort(const Handle& h, EventPort port) const;
  void Raise(DomainId domain, EventPort port);
  void Send(DomainId domain, EventPort port);
  void Close(DomainId domain, EventPort port);

  std::shared_ptr<const DomainTable> domains_;
  std::shared_ptr<FaultInjector> faults_;

  mutable std::mutex mu_;
  uint64_t next_handle_ = 1;                             // GUARDED_BY(mu_)
  std::map<uint64_t, Handle> handles_;                   // GUARDED_BY(mu_)
  std::map<DomainId, std::map<EventPort, Port>> ports_;  // GUARDED_BY(mu_)
};

}  // namespace xenshm::fake

#endif  // XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_EVENT_CHANNELS_H_
