#include "platform/real/real_event_channels.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <string>

extern "C" {
#include <xenevtchn.h>
}

namespace xenshm {
namespace {

// Whether `fd` is readable now. EINTR is retried.
Result<bool> ReadableNow(int fd, const char* what) {
  pollfd ready{fd, POLLIN, 0};
  int polled;
  do {
    polled = poll(&ready, 1, 0);
  } while (polled < 0 && errno == EINTR);
  if (polled < 0) return Error(StatusFromErrno(errno, what));
  return polled > 0;
}

}  // namespace

Result<std::unique_ptr<EventBacklog>> EventBacklog::Open(int device_fd) {
  const int ready_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (ready_fd < 0) return Error(StatusFromErrno(errno, "eventfd"));
  const int poll_fd = epoll_create1(EPOLL_CLOEXEC);
  if (poll_fd < 0) {
    const int err = errno;
    close(ready_fd);
    return Error(StatusFromErrno(err, "epoll_create1"));
  }
  for (int member : {device_fd, ready_fd}) {
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = member;
    if (epoll_ctl(poll_fd, EPOLL_CTL_ADD, member, &event) != 0) {
      const int err = errno;
      close(poll_fd);
      close(ready_fd);
      return Error(StatusFromErrno(err, "epoll_ctl add"));
    }
  }
  return std::unique_ptr<EventBacklog>(
      new EventBacklog(device_fd, poll_fd, ready_fd));
}

EventBacklog::~EventBacklog() {
  close(poll_fd_);
  close(ready_fd_);
}

void EventBacklog::SetReady(bool ready) {
  // Neither can fail: the counter is only ever 0 or 1.
  if (ready) {
    const uint64_t one = 1;
    if (write(ready_fd_, &one, sizeof(one)) < 0) {
    }
  } else {
    uint64_t count;
    if (read(ready_fd_, &count, sizeof(count)) < 0) {
    }
  }
}

std::optional<EventPort> EventBacklog::Take() {
  if (ports_.empty()) return std::nullopt;
  const EventPort port = ports_.front();
  ports_.pop_front();
  if (ports_.empty()) SetReady(false);
  return port;
}

Status EventBacklog::DiscardAfterUnbind(
    EventPort unbound, const std::function<Result<EventPort>()>& read_one) {
  const bool was_empty = ports_.empty();
  std::erase(ports_, unbound);
  // Bounded: a port the device reported stays masked until its caller
  // unmasks it, so each comes at most once, and `unbound` raises no more.
  Status status;
  while (true) {
    auto readable = ReadableNow(device_fd_, "poll on evtchn");
    if (!readable) {
      status = readable.error();
      break;
    }
    if (!*readable) break;
    auto port = read_one();
    if (!port) {
      status = port.error();
      break;
    }
    if (*port != unbound) ports_.push_back(*port);
  }
  if (was_empty != ports_.empty()) SetReady(!ports_.empty());
  return status;
}

Result<std::unique_ptr<RealEventChannels>> RealEventChannels::Open() {
  xenevtchn_handle* handle = xenevtchn_open(nullptr, 0);
  if (handle == nullptr) {
    return Error(StatusFromErrno(
        errno, "xenevtchn_open (/dev/xen/evtchn; is xen-evtchn loaded?)"));
  }
  const int device_fd = xenevtchn_fd(handle);
  auto backlog = EventBacklog::Open(device_fd);
  if (!backlog) {
    xenevtchn_close(handle);
    return std::unexpected(backlog.error());
  }
  return std::unique_ptr<RealEventChannels>(
      new RealEventChannels(handle, device_fd, std::move(*backlog)));
}

RealEventChannels::~RealEventChannels() {
  backlog_.reset();  // its epoll fd watches the device fd
  xenevtchn_close(handle_);
}

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
  Status discarded =
      backlog_->DiscardAfterUnbind(local_port, [this] { return ReadDevice(); });
  if (!discarded.ok()) {
    return Status(discarded.code(),
                  "port " + std::to_string(local_port) +
                      " unbound, but its queued events may remain: " +
                      discarded.message());
  }
  return Status::Ok();
}

Result<std::optional<EventPort>> RealEventChannels::TakePending() {
  if (std::optional<EventPort> kept = backlog_->Take()) return kept;
  auto readable = ReadableNow(device_fd_, "poll on evtchn");
  if (!readable) return std::unexpected(readable.error());
  if (!*readable) return std::optional<EventPort>();
  auto port = ReadDevice();
  if (!port) return std::unexpected(port.error());
  return std::optional<EventPort>(*port);
}

Result<EventPort> RealEventChannels::NextPending() {
  if (std::optional<EventPort> kept = backlog_->Take()) return *kept;
  return ReadDevice();
}

Result<EventPort> RealEventChannels::ReadDevice() {
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
