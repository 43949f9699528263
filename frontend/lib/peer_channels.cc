#include "frontend/lib/peer_channels.h"

#include <poll.h>

#include <chrono>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "xenstore-schema/schema.h"

namespace xenshm {

Result<std::unique_ptr<PeerChannels>> PeerChannels::Open(
    Platform& platform, uint32_t handle, uint32_t my_index,
    std::chrono::steady_clock::time_point deadline) {
  auto channels = platform.open_event_channels();
  if (!channels) return std::unexpected(channels.error());
  std::unique_ptr<PeerChannels> self(
      new PeerChannels(platform, handle, my_index, std::move(*channels)));
  const std::string answer_port =
      schema::BackendNode(platform.self, handle, schema::kNodeEventChannel);
  // Tried again until the deadline, the answer read afresh each time: the
  // next xenshmd may answer with the same port number, now offered to us.
  while (true) {
    auto raw = platform.xenstore->Read(kNoTransaction, answer_port);
    if (!raw) return std::unexpected(raw.error());
    auto remote_port = schema::ParsePort(*raw);
    if (!remote_port) return std::unexpected(remote_port.error());
    auto control = self->channels_->BindInterdomain(kDom0, *remote_port);
    if (control) {
      self->control_port_ = *control;
      break;
    }
    // Xen says EINVAL for a port that is not (or no longer) offered to us.
    if (control.error().code() != Code::kInvalidArgument) {
      return std::unexpected(control.error());
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      return Error(Code::kBackendUnavailable,
                   "xenshmd's answer offers port " +
                       std::to_string(*remote_port) +
                       ", which is not offered to us (any more), and no new "
                       "answer came: did xenshmd die after answering? (" +
                       control.error().message() + ")");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  if (Status refreshed = self->Refresh(); !refreshed.ok()) {
    return Error(refreshed);
  }
  return self;
}

PeerChannels::~PeerChannels() {
  for (auto& [index, channel] : peers_) {
    (void)channels_->Unbind(channel.local_port);
  }
  if (control_port_ != 0) (void)channels_->Unbind(control_port_);
}

std::string PeerChannels::BackendMember(uint32_t index,
                                        std::string_view node) const {
  return schema::BackendMemberPath(platform_.self, handle_, index) + "/" +
         std::string(node);
}

void PeerChannels::Drop(uint32_t index) {
  // A signal the departed peer sent and nobody took yet must not be
  // reported as coming from whoever gets its index next.
  signaled_by_ &= ~PeerBit(index);
  auto it = peers_.find(index);
  if (it == peers_.end()) return;
  (void)channels_->Unbind(it->second.local_port);
  std::string_view list =
      it->second.offered ? schema::kNodeOffers : schema::kNodeBound;
  (void)platform_.xenstore->Remove(
      kNoTransaction,
      schema::FrontendListEntry(platform_.self, handle_, list, index));
  peers_.erase(it);
}

Status PeerChannels::Refresh() {
  XenStore& xenstore = *platform_.xenstore;
  const DomainId self = platform_.self;
  const std::string members_node =
      schema::BackendNode(self, handle_, schema::kNodeMembers);
  // One read says who is attached, however many peers there are.
  schema::MemberList members;
  if (auto raw = xenstore.Read(kNoTransaction, members_node)) {
    if (auto parsed = schema::ParseMemberList(*raw)) members = *parsed;
  }
  if (members != members_) attached_changed_ = true;
  members_ = std::move(members);

  // Channels to peers that left (or whose index now names someone else).
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto member = members_.find(it->first);
    const uint32_t index = it->first;
    ++it;
    if (member == members_.end() || member->second != peers_[index].peer) {
      Drop(index);
    }
  }

  // What xenshmd relayed (members/<index>: an offer from a lower index, an
  // acknowledgement from a higher one), listed only while some channel
  // still waits for it, and read only for those channels: a peer that is
  // set up costs nothing here, so a join costs each settled peer O(1).
  std::set<uint32_t> relayed;
  bool waiting = false;
  for (const auto& [index, member] : members_) {
    auto existing = peers_.find(index);
    if (index != my_index_ &&
        (existing == peers_.end() || !existing->second.sendable)) {
      waiting = true;
    }
  }
  if (waiting) {
    if (auto listed = xenstore.List(kNoTransaction, members_node)) {
      for (const std::string& entry : *listed) {
        if (auto index = schema::ParsePeerIndex(entry)) relayed.insert(*index);
      }
    }
  }

  for (const auto& [index, member] : members_) {
    if (index == my_index_) continue;
    auto existing = peers_.find(index);
    if (index > my_index_) {
      // We offer.
      if (existing == peers_.end()) {
        auto port = channels_->AllocateUnbound(member.domain);
        if (!port) return port.error();
        Channel channel;
        channel.peer = member;
        channel.local_port = *port;
        channel.offered = true;
        peers_[index] = channel;
        XENSHM_RETURN_IF_ERROR(
            xenstore.Write(kNoTransaction,
                           schema::FrontendListEntry(
                               self, handle_, schema::kNodeOffers, index),
                           std::to_string(*port)));
      }
      Channel& channel = peers_[index];
      if (!channel.sendable && relayed.contains(index)) {
        auto connected = xenstore.Read(
            kNoTransaction, BackendMember(index, schema::kNodeConnected));
        channel.sendable = connected && *connected == "1";
      }
    } else if (existing == peers_.end() && relayed.contains(index)) {
      // We bind what the lower index offered, once xenshmd relayed it.
      auto raw = xenstore.Read(kNoTransaction,
                               BackendMember(index, schema::kNodeOffer));
      if (!raw) continue;
      auto remote_port = schema::ParsePort(*raw);
      if (!remote_port) continue;
      auto local = channels_->BindInterdomain(member.domain, *remote_port);
      if (!local) continue;  // stale offer; a fresh one will come
      Channel channel;
      channel.peer = member;
      channel.local_port = *local;
      channel.sendable = true;
      channel.awaiting_spurious = true;
      peers_[index] = channel;
      AbsorbSpuriousEvent(index);
    }
  }
  return Status();
}

void PeerChannels::AbsorbSpuriousEvent(uint32_t index) {
  // Xen raises the event while binding, so it is due at once; waiting for it
  // here (bounded) means the peer learns it may send even if our caller
  // does not call into the library again for a while.
  const auto deadline = std::chrono::steady_clock::now() + kSpuriousWait;
  while (peers_[index].awaiting_spurious) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    pollfd fd{channels_->fd(), POLLIN, 0};
    if (poll(&fd, 1, static_cast<int>(left.count())) <= 0) continue;
    auto pending = channels_->TakePending();
    if (!pending || !*pending) continue;
    HandleEvent(**pending);
  }
  if (peers_[index].awaiting_spurious) {
    // Never came: acknowledge anyway, or the peer could never signal us.
    Acknowledge(index);
  }
}

void PeerChannels::Acknowledge(uint32_t index) {
  peers_[index].awaiting_spurious = false;
  (void)platform_.xenstore->Write(
      kNoTransaction,
      schema::FrontendListEntry(platform_.self, handle_, schema::kNodeBound,
                                index),
      "1");
}

void PeerChannels::HandleEvent(EventPort port) {
  if (port == control_port_) {
    refresh_needed_ = true;
  } else {
    for (auto& [index, channel] : peers_) {
      if (channel.local_port != port) continue;
      if (channel.awaiting_spurious) {
        Acknowledge(index);
      } else {
        signaled_by_ |= PeerBit(index);
      }
      break;
    }
  }
  (void)channels_->Unmask(port);
}

Status PeerChannels::Process() {
  while (true) {
    auto pending = channels_->TakePending();
    if (!pending) return pending.error();
    if (!*pending) break;
    HandleEvent(**pending);
  }
  return ApplyMembershipNews();
}

Status PeerChannels::ProcessNext() {
  auto port = channels_->NextPending();
  if (!port) return port.error();
  HandleEvent(*port);
  return ApplyMembershipNews();
}

Status PeerChannels::ApplyMembershipNews() {
  // Refresh can bind, and binding can bring control events: loop (bounded).
  for (int round = 0; refresh_needed_ && round < 4; ++round) {
    refresh_needed_ = false;
    XENSHM_RETURN_IF_ERROR(Refresh());
  }
  return Status();
}

SignalStatus PeerChannels::PeekStatus() const {
  SignalStatus status;
  status.signaled_by = signaled_by_;
  for (const auto& [index, domain] : members_) {
    status.attached |= PeerBit(index);
  }
  return status;
}

SignalStatus PeerChannels::TakeStatus() {
  SignalStatus status = PeekStatus();
  signaled_by_ = 0;
  attached_changed_ = false;
  return status;
}

Result<SignalReport> PeerChannels::Signal(PeerSet targets) {
  // No Process() here: a signal is one notify, as fast as the raw channel.
  // Membership news is applied whenever the caller next looks.
  SignalReport report;
  for (uint32_t index = 0; index < 64; ++index) {
    if ((targets & PeerBit(index)) == 0) continue;
    bool attached = members_.contains(index);
    if (targets == kAllPeers && (!attached || index == my_index_)) continue;
    auto channel = peers_.find(index);
    if (index == my_index_ || channel == peers_.end() ||
        !channel->second.sendable) {
      report.missed |= PeerBit(index);
      continue;
    }
    if (channels_->Notify(channel->second.local_port).ok()) {
      report.reached |= PeerBit(index);
    } else {
      report.missed |= PeerBit(index);
    }
  }
  return report;
}

PeerSet PeerChannels::Reachable() const {
  PeerSet set = 0;
  for (const auto& [index, channel] : peers_) {
    if (channel.sendable) set |= PeerBit(index);
  }
  return set;
}

PeerSet PeerChannels::PeersOfDomain(DomainId domain) const {
  PeerSet set = 0;
  for (const auto& [index, member] : members_) {
    if (member.domain == domain) set |= PeerBit(index);
  }
  return set;
}

}  // namespace xenshm
