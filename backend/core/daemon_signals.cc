// The daemon's half of selective signals: it never carries a signal itself.
// It tells each peer who is attached (members/<index>/domain), relays the
// port a lower-index peer offers to a higher-index one (members/<i>/offer),
// and relays the binder's acknowledgement back (members/<i>/connected).
// A relayed port can only be bound by the peer it was offered to, and only
// as a channel with the offering domain: the hypervisor vouches for both
// ends, so a receiver's knowledge of who signaled it cannot be forged.
#include <string>

#include "backend/core/daemon.h"

namespace xenshm::backend {

void Daemon::WakePeer(const Peer& peer) {
  if (peer.control_port) (void)event_channels_->Notify(*peer.control_port);
}

void Daemon::PublishMembers(const std::string& name) {
  const Region* region = table_.Find(name);
  if (region == nullptr) return;
  for (const auto& [viewer_index, viewer] : region->peers) {
    for (const auto& [index, member] : region->peers) {
      const std::string path =
          schema::BackendMemberPath(viewer.key.domain, viewer.key.handle,
                                    index) +
          "/" + std::string(schema::kNodeDomain);
      const std::string value = std::to_string(member.key.domain);
      auto current = xenstore_.Read(kNoTransaction, path);
      if (current && *current == value) continue;
      (void)xenstore_.Write(kNoTransaction, path, value);
    }
    WakePeer(viewer);
  }
}

void Daemon::UnpublishMember(const std::string& name, uint32_t index) {
  const Region* region = table_.Find(name);
  if (region == nullptr) return;
  for (const auto& [viewer_index, viewer] : region->peers) {
    (void)xenstore_.Remove(
        kNoTransaction,
        schema::BackendMemberPath(viewer.key.domain, viewer.key.handle, index));
    WakePeer(viewer);
  }
}

void Daemon::RelaySignals(AttachmentKey key) {
  auto attachment = table_.FindAttachment(key);
  if (!attachment) return;
  const auto [region, me] = *attachment;
  // Relays one list of the frontend (offers or bound) to its targets; `valid`
  // says whether the pair's direction is right for that list.
  auto relay = [&](std::string_view list, std::string_view target_node,
                   auto valid) {
    auto entries = xenstore_.List(
        kNoTransaction, schema::FrontendNode(key.domain, key.handle, list));
    if (!entries) return;
    for (const std::string& entry : *entries) {
      auto index = schema::ParsePeerIndex(entry);
      if (!index) continue;  // hostile junk is ignored, not relayed
      auto target = region->peers.find(*index);
      if (target == region->peers.end() || !valid(*index)) continue;
      auto raw = xenstore_.Read(
          kNoTransaction,
          schema::FrontendListEntry(key.domain, key.handle, list, *index));
      if (!raw) continue;
      std::string value;
      if (target_node == schema::kNodeOffer) {
        auto port = schema::ParsePort(*raw);
        if (!port) continue;
        value = std::to_string(*port);
      } else {
        if (*raw != "1") continue;
        value = "1";
      }
      const Peer& peer = target->second;
      const std::string path =
          schema::BackendMemberPath(peer.key.domain, peer.key.handle,
                                    me->index) +
          "/" + std::string(target_node);
      auto current = xenstore_.Read(kNoTransaction, path);
      if (current && *current == value) continue;
      (void)xenstore_.Write(kNoTransaction, path, value);
      WakePeer(peer);
    }
  };
  relay(schema::kNodeOffers, schema::kNodeOffer,
        [&](uint32_t index) { return index > me->index; });
  relay(schema::kNodeBound, schema::kNodeConnected,
        [&](uint32_t index) { return index < me->index; });
}

}  // namespace xenshm::backend
