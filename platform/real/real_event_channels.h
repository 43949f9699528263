// RealEventChannels: EventChannels over libxenevtchn (/dev/xen/evtchn).
//
// One instance is one open of the xen-evtchn device: ports bound through it
// are unbound when it is destroyed (the kernel does that on close). The
// device fd stays blocking, so NextPending is one read, as in a raw
// libxenevtchn loop; TakePending polls it first.
//
// Linux's evtchn driver does not flush its ring on IOCTL_EVTCHN_UNBIND, so
// Unbind reads what the ring holds (without blocking), drops the unbound
// port's events and keeps the others in an EventBacklog, which TakePending
// and NextPending serve first. fd() is therefore not the device's fd but an
// epoll fd over it and the backlog: readable while a port waits to be taken
// in either.
#ifndef XENSHM_PLATFORM_REAL_REAL_EVENT_CHANNELS_H_
#define XENSHM_PLATFORM_REAL_REAL_EVENT_CHANNELS_H_

#include <deque>
#include <functional>
#include <memory>
#include <optional>

#include "base/status.h"
#include "base/types.h"
#include "platform/event_channels.h"

struct xenevtchn_handle;  // libxenevtchn's opaque handle.

namespace xenshm {

// Ports read from an event-channel device ahead of their caller, and the fd
// that polls readable while the device fd is or the backlog is not empty.
// Part of RealEventChannels; separate so it can be tested without Xen.
class EventBacklog {
 public:
  // `device_fd` stays the caller's; it must outlive the backlog.
  static Result<std::unique_ptr<EventBacklog>> Open(int device_fd);
  ~EventBacklog();
  EventBacklog(const EventBacklog&) = delete;
  EventBacklog& operator=(const EventBacklog&) = delete;

  // An epoll fd: readable while the device fd is or Take would return a port.
  int fd() const { return poll_fd_; }
  // The oldest kept port; nullopt when none.
  std::optional<EventPort> Take();
  // After `unbound` was closed: forgets its kept events, then moves what the
  // device holds now into the backlog except `unbound`'s. `read_one` reads
  // one port from the device; it is only called when the device fd polled
  // readable, so it does not block. On an error, the ports read so far are
  // kept.
  Status DiscardAfterUnbind(EventPort unbound,
                            const std::function<Result<EventPort>()>& read_one);

 private:
  EventBacklog(int device_fd, int poll_fd, int ready_fd)
      : device_fd_(device_fd), poll_fd_(poll_fd), ready_fd_(ready_fd) {}
  // Makes ready_fd_ readable exactly while ports_ is not empty.
  void SetReady(bool ready);

  int device_fd_;                // not owned
  int poll_fd_;                  // owned: epoll over device_fd_ and ready_fd_
  int ready_fd_;                 // owned: eventfd, readable iff ports_ is not
                                 // empty
  std::deque<EventPort> ports_;  // oldest first
};

class RealEventChannels final : public EventChannels {
 public:
  // Opens /dev/xen/evtchn (module xen-evtchn).
  static Result<std::unique_ptr<RealEventChannels>> Open();

  ~RealEventChannels() override;
  RealEventChannels(const RealEventChannels&) = delete;
  RealEventChannels& operator=(const RealEventChannels&) = delete;

  Result<EventPort> AllocateUnbound(DomainId remote) override;
  Result<EventPort> BindInterdomain(DomainId remote,
                                    EventPort remote_port) override;
  Status Notify(EventPort local_port) override;
  Status Unbind(EventPort local_port) override;
  int fd() const override { return backlog_->fd(); }
  Result<std::optional<EventPort>> TakePending() override;
  Result<EventPort> NextPending() override;
  Status Unmask(EventPort local_port) override;

 private:
  RealEventChannels(xenevtchn_handle* handle, int device_fd,
                    std::unique_ptr<EventBacklog> backlog)
      : handle_(handle), device_fd_(device_fd), backlog_(std::move(backlog)) {}
  // One blocking read of the device.
  Result<EventPort> ReadDevice();

  xenevtchn_handle* handle_;               // owned; closed by the destructor
  int device_fd_;                          // owned by handle_
  std::unique_ptr<EventBacklog> backlog_;  // over device_fd_
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_REAL_EVENT_CHANNELS_H_
