#include "tests/fake_hypervisor/fake_event_channels.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <utility>

#include "tests/fake_hypervisor/wake_fd.h"

namespace xenshm::fake {
namespace {}  // namespace

// One fake process's /dev/xen/evtchn.
class EventChannelHandle : public EventChannels {
 public:
  EventChannelHandle(std::shared_ptr<EventChannelCore> core, uint64_t id,
                     int fd)
      : core_(std::move(core)), id_(id), fd_(fd) {}
  ~EventChannelHandle() override { core_->CloseHandle(id_); }

  Result<EventPort> AllocateUnbound(DomainId remote) override {
    return core_->AllocateUnbound(id_, remote);
  }
  Result<EventPort> BindInterdomain(DomainId remote,
                                    EventPort remote_port) override {
    return core_->BindInterdomain(id_, remote, remote_port);
  }
  Status Notify(EventPort local_port) override {
    return core_->Notify(id_, local_port);
  }
  Status Unbind(EventPort local_port) override {
    XENSHM_RETURN_IF_ERROR(core_->Unbind(id_, local_port));
    core_->DiscardQueued(id_, local_port);
    return Status::Ok();
  }
  int fd() const override { return fd_; }
  Result<std::optional<EventPort>> TakePending() override {
    return core_->TakePending(id_);
  }
  Result<EventPort> NextPending() override {
    while (true) {
      auto pending = core_->TakePending(id_);
      if (!pending) return std::unexpected(pending.error());
      if (*pending) return **pending;
      pollfd readable{fd_, POLLIN, 0};
      (void)poll(&readable, 1, -1);  // the eventfd: readable once raised
    }
  }
  Status Unmask(EventPort local_port) override {
    return core_->Unmask(id_, local_port);
  }

 private:
  std::shared_ptr<EventChannelCore> core_;
  uint64_t id_;
  int fd_;
};

Result<std::unique_ptr<EventChannels>> EventChannelCore::Open(
    const Caller& caller) {
  if (Status alive = domains_->CheckAlive(caller, "open /dev/xen/evtchn");
      !alive.ok()) {
    return Error(std::move(alive));
  }
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) return Error(StatusFromErrno(errno, "eventfd"));
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_handle_++;
    Handle& h = handles_[id];
    h.caller = caller;
    h.fd = fd;
  }
  return std::make_unique<EventChannelHandle>(shared_from_this(), id, fd);
}

void EventChannelCore::CloseHandle(uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  Handle& h = handles_.at(handle);
  std::set<EventPort> ports = h.ports;
  for (EventPort port : ports) Close(h.caller.domain, port);
  close(h.fd);
  handles_.erase(handle);
}

void EventChannelCore::CloseDomain(DomainId domain) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [id, h] : handles_) {
    if (h.caller.domain != domain) continue;
    std::set<EventPort> ports = h.ports;
    for (EventPort port : ports) Close(domain, port);
    h.dead = true;
  }
  ports_.erase(domain);
}

bool EventChannelCore::KernelNotify(DomainId domain, EventPort port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = ports_.find(domain);
  if (d == ports_.end() || !d->second.contains(port)) return false;
  Send(domain, port);
  return true;
}

bool EventChannelCore::PortExists(DomainId domain, EventPort port) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = ports_.find(domain);
  return d != ports_.end() && d->second.contains(port);
}

size_t EventChannelCore::OpenPorts(DomainId domain) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto d = ports_.find(domain);
  return d == ports_.end() ? 0 : d->second.size();
}

Result<EventChannelCore::Handle*> EventChannelCore::LiveHandle(
    uint64_t handle, const char* what) {
  Handle& h = handles_.at(handle);
  if (h.dead || !domains_->Alive(h.caller)) {
    return Error(Code::kIoError, std::string(what) + ": domain " +
                                     std::to_string(h.caller.domain) +
                                     " has been destroyed");
  }
  return &h;
}

Result<EventPort> EventChannelCore::NewPort(uint64_t handle, Handle& h) {
  std::map<EventPort, Port>& ports = ports_[h.caller.domain];
  if (h.caller.domain != kDom0 && ports.size() >= kMaxGuestPorts) {
    return Error(Code::kQuotaExceeded, "domain " +
                                           std::to_string(h.caller.domain) +
                                           " has no free event channel");
  }
  EventPort port = 1;  // Xen reserves port 0.
  for (const auto& [used, state] : ports) {
    if (used != port) break;
    ++port;
  }
  ports[port].handle = handle;
  h.ports.insert(port);
  return port;
}

Status EventChannelCore::OwnedPort(const Handle& h, EventPort port) const {
  if (h.ports.contains(port)) return Status::Ok();
  return Status(Code::kNotFound,
                "port " + std::to_string(port) + " is not open on this handle");
}

void EventChannelCore::Raise(DomainId domain, EventPort port) {
  Port& p = ports_.at(domain).at(port);
  if (p.masked) {
    p.pending = true;
    return;
  }
  p.masked = true;
  Handle& h = handles_.at(p.handle);
  if (h.ring.empty()) SignalFd(h.fd);
  h.ring.push_back(port);
}

void EventChannelCore::Send(DomainId domain, EventPort port) {
  const Port& p = ports_.at(domain).at(port);
  // Xen drops sends on an unbound port silently.
  if (p.interdomain) Raise(p.remote_domain, p.remote_port);
}

void EventChannelCore::Close(DomainId domain, EventPort port) {
  std::map<EventPort, Port>& ports = ports_.at(domain);
  Port p = ports.at(port);
  if (p.interdomain) {
    Port& remote = ports_.at(p.remote_domain).at(p.remote_port);
    remote.interdomain = false;
    remote.remote_domain = domain;
    remote.remote_port = 0;
  }
  // Its events stay in the ring (see 6. in the header).
  handles_.at(p.handle).ports.erase(port);
  ports.erase(port);
}

Result<EventPort> EventChannelCore::AllocateUnbound(uint64_t handle,
                                                    DomainId remote) {
  std::lock_guard<std::mutex> lock(mu_);
  auto h = LiveHandle(handle, "evtchn alloc_unbound");
  if (!h) return std::unexpected(h.error());
  if (auto fault = faults_->Check(Op::kEvtchnAllocate, (*h)->caller.domain)) {
    return std::unexpected(*fault);
  }
  auto port = NewPort(handle, **h);
  if (!port) return port;
  ports_.at((*h)->caller.domain).at(*port).remote_domain = remote;
  return port;
}

Result<EventPort> EventChannelCore::BindInterdomain(uint64_t handle,
                                                    DomainId remote,
                                                    EventPort remote_port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto h = LiveHandle(handle, "evtchn bind_interdomain");
  if (!h) return std::unexpected(h.error());
  DomainId self = (*h)->caller.domain;
  if (auto fault = faults_->Check(Op::kEvtchnBind, self)) {
    return std::unexpected(*fault);
  }
  if (!domains_->Lookup(remote)) {
    return Error(Code::kNotFound,
                 "domain " + std::to_string(remote) + " does not exist");
  }
  const Port* rp = nullptr;
  if (auto rd = ports_.find(remote); rd != ports_.end()) {
    auto it = rd->second.find(remote_port);
    if (it != rd->second.end()) rp = &it->second;
  }
  // Xen answers EINVAL for all three: no such port, not unbound, or not
  // offered to us.
  if (rp == nullptr || rp->interdomain || rp->remote_domain != self) {
    return Error(Code::kInvalidArgument,
                 "port " + std::to_string(remote_port) + " of domain " +
                     std::to_string(remote) + " is not offered to domain " +
                     std::to_string(self));
  }
  auto port = NewPort(handle, **h);
  if (!port) return port;
  Port& local = ports_.at(self).at(*port);
  local.interdomain = true;
  local.remote_domain = remote;
  local.remote_port = remote_port;
  Port& other = ports_.at(remote).at(remote_port);
  other.interdomain = true;
  other.remote_domain = self;
  other.remote_port = *port;
  Raise(self, *port);  // Xen sets the new local port pending.
  return port;
}

Status EventChannelCore::Notify(uint64_t handle, EventPort port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto h = LiveHandle(handle, "evtchn notify");
  if (!h) return h.error();
  if (auto fault = faults_->Check(Op::kEvtchnNotify, (*h)->caller.domain)) {
    return *fault;
  }
  XENSHM_RETURN_IF_ERROR(OwnedPort(**h, port));
  Send((*h)->caller.domain, port);
  return Status::Ok();
}

Status EventChannelCore::Unbind(uint64_t handle, EventPort port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto h = LiveHandle(handle, "evtchn unbind");
  if (!h) return h.error();
  XENSHM_RETURN_IF_ERROR(OwnedPort(**h, port));
  Close((*h)->caller.domain, port);
  return Status::Ok();
}

void EventChannelCore::DiscardQueued(uint64_t handle, EventPort port) {
  std::lock_guard<std::mutex> lock(mu_);
  Handle& h = handles_.at(handle);
  if (std::erase(h.ring, port) > 0 && h.ring.empty()) DrainFd(h.fd);
}

Result<std::optional<EventPort>> EventChannelCore::TakePending(
    uint64_t handle) {
  std::lock_guard<std::mutex> lock(mu_);
  auto h = LiveHandle(handle, "evtchn read");
  if (!h) return std::unexpected(h.error());
  if (auto fault = faults_->Check(Op::kEvtchnRead, (*h)->caller.domain)) {
    return std::unexpected(*fault);
  }
  std::deque<EventPort>& ring = (*h)->ring;
  if (ring.empty()) return std::optional<EventPort>();
  EventPort port = ring.front();
  ring.pop_front();
  if (ring.empty()) DrainFd((*h)->fd);
  return std::optional<EventPort>(port);
}

Status EventChannelCore::Unmask(uint64_t handle, EventPort port) {
  std::lock_guard<std::mutex> lock(mu_);
  auto h = LiveHandle(handle, "evtchn unmask");
  if (!h) return h.error();
  XENSHM_RETURN_IF_ERROR(OwnedPort(**h, port));
  Port& p = ports_.at((*h)->caller.domain).at(port);
  if (!p.masked) return Status::Ok();
  p.masked = false;
  if (p.pending) {
    p.pending = false;
    Raise((*h)->caller.domain, port);
  }
  return Status::Ok();
}

}  // namespace xenshm::fake
