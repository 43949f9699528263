// RealEventChannels: EventChannels over libxenevtchn (/dev/xen/evtchn).
//
// One instance is one open of the xen-evtchn device: ports bound through it
// are unbound when it is destroyed (the kernel does that on close). The fd
// stays blocking, so NextPending is one read, as in a raw libxenevtchn
// loop; TakePending polls it first. It is readable while a delivered port
// waits to be taken.
#ifndef XENSHM_PLATFORM_REAL_REAL_EVENT_CHANNELS_H_
#define XENSHM_PLATFORM_REAL_REAL_EVENT_CHANNELS_H_

#include <memory>
#include <optional>

#include "base/status.h"
#include "base/types.h"
#include "platform/event_channels.h"

struct xenevtchn_handle;  // libxenevtchn's opaque handle.

namespace xenshm {

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
  int fd() const override { return fd_; }
  Result<std::optional<EventPort>> TakePending() override;
  Result<EventPort> NextPending() override;
  Status Unmask(EventPort local_port) override;

 private:
  RealEventChannels(xenevtchn_handle* handle, int fd)
      : handle_(handle), fd_(fd) {}

  xenevtchn_handle* handle_;  // owned; closed by the destructor
  int fd_;                    // owned by handle_
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_REAL_REAL_EVENT_CHANNELS_H_
