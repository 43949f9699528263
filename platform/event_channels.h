// EventChannels: one process's event-channel handle (Linux xen-evtchn).
//
// Ports are local to this handle. Binding an interdomain channel raises one
// spurious event on the local port (real Xen does this); callers must expect
// it.
//
// Port numbers are reused: Xen hands out the lowest free one, so a port
// unbound now may come back from the next bind. Linux's evtchn driver keeps
// events it already queued for a port when the port is unbound, and a later
// read would report them under the reused number, for the new channel. This
// interface does not: once Unbind(p) returned, no event raised before it is
// ever reported for p (see Unbind).
#ifndef XENSHM_PLATFORM_EVENT_CHANNELS_H_
#define XENSHM_PLATFORM_EVENT_CHANNELS_H_

#include <optional>

#include "base/status.h"
#include "base/types.h"

namespace xenshm {

class EventChannels {
 public:
  virtual ~EventChannels() = default;
  // A new port that `remote` may bind to.
  virtual Result<EventPort> AllocateUnbound(DomainId remote) = 0;
  // Binds to `remote_port` in `remote`, which must have been allocated
  // unbound for us. Returns our local port.
  virtual Result<EventPort> BindInterdomain(DomainId remote,
                                            EventPort remote_port) = 0;
  virtual Status Notify(EventPort local_port) = 0;
  // Closes the port and discards its events not yet taken, so a later bind
  // that gets the same number starts with nothing pending. Events of other
  // ports stay pending, in order.
  virtual Status Unbind(EventPort local_port) = 0;
  // Readable when an event is pending (for poll/epoll). The same fd for the
  // handle's life.
  virtual int fd() const = 0;
  // The next pending port without blocking; nullopt when none. The port
  // stays masked until Unmask.
  virtual Result<std::optional<EventPort>> TakePending() = 0;
  // The next pending port, blocking until there is one. After poll() found
  // fd() readable, or to wait with no deadline, this is one read: the same
  // cost as a raw libxenevtchn loop (TakePending must look first).
  virtual Result<EventPort> NextPending() = 0;
  virtual Status Unmask(EventPort local_port) = 0;
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_EVENT_CHANNELS_H_
