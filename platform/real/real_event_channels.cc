#include "platform/real/real_event_channels.h"

#include <poll.h>

#include <cerrno>
#include <memory>
#include <string>

extern "C" {
#include <xenevtchn.h>
}

namespace xenshm {

Result<std::unique_ptr<RealEventChannels>> RealEventChannels::Open() {
  xenevtchn_handle* handle = xenevtchn_open(nullptr, 0);
  if (handle == nullptr) {
    return Error(StatusFromErrno(
        errno, "xenevtchn_open (/dev/xen/evtchn; is xen-evtchn loaded?)"));
  }
  return std::unique_ptr<RealEventChannels>(
      new RealEventChannels(handle, xenevtchn_fd(handle)));
}

RealEventChannels::~RealEventChannels() { xenevtchn_close(handle_); }

Result<EventPort> RealEventChannels::AllocateUnbound(DomainId remote) {
  const xenevtchn_port_or_error_t port =
      xenevtchn_bind_unbound_port(handle_, remote);
  if (port < 0) {
    return Error(StatusFromErrno(
        errno,
        "xenevtchn_bind_unbound_port for domain " + std::to_string(remote)));
  }
  return static_cast<EventPort>(port);
}

Result<EventPort> RealEventChannels::BindInterdomain(DomainId remote,
                                                     EventPort remote_port) {
  const xenevtchn_port_or_error_t port =
      xenevtchn_bind_interdomain(handle_, remote, remote_port);
  if (port < 0) {
    return Error(
        StatusFromErrno(errno, "xenevtchn_bind_interdomain to domain " +
                                   std::to_string(remote) + " port " +
                                   std::to_string(remote_port)));
  }
  return static_cast<EventPort>(port);
}

Status RealEventChannels::Notify(EventPort local_port) {
  if (xenevtchn_notify(handle_, local_port) != 0) {
    return StatusFromErrno(
        errno, "xenevtchn_notify port " + std::to_string(local_port));
  }
  return Status::Ok();
}

Status RealEventChannels::Unbind(EventPort local_port) {
  if (xenevtchn_unbind(handle_, local_port) != 0) {
    return StatusFromErrno(
        errno, "xenevtchn_unbind port " + std::to_string(local_port));
  }
  return Status::Ok();
}

Result<std::optional<EventPort>> RealEventChannels::TakePending() {
  pollfd ready{fd_, POLLIN, 0};
  int polled;
  do {
    polled = poll(&ready, 1, 0);
  } while (polled < 0 && errno == EINTR);
  if (polled < 0) return Error(StatusFromErrno(errno, "poll on evtchn"));
  if (polled == 0) return std::optional<EventPort>();
  auto port = NextPending();
  if (!port) return std::unexpected(port.error());
  return std::optional<EventPort>(*port);
}

Result<EventPort> RealEventChannels::NextPending() {
  while (true) {
    const xenevtchn_port_or_error_t port = xenevtchn_pending(handle_);
    if (port >= 0) return static_cast<EventPort>(port);
    if (errno != EINTR) {
      return Error(StatusFromErrno(errno, "xenevtchn_pending"));
    }
  }
}

Status RealEventChannels::Unmask(EventPort local_port) {
  if (xenevtchn_unmask(handle_, local_port) != 0) {
    return StatusFromErrno(
        errno, "xenevtchn_unmask port " + std::to_string(local_port));
  }
  return Status::Ok();
}

}  // namespace xenshm
