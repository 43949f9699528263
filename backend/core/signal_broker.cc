#include "backend/core/signal_broker.h"

#include <string>

#include "xenstore-schema/schema.h"

namespace xenshm::backend {

void SignalBroker::Wake(const Peer& peer) {
  const Attachment* record = attachments_.Find(peer.key);
  if (record != nullptr && record->held) {
    (void)event_channels_.Notify(record->held->control_port);
  }
}

void SignalBroker::PublishMembers(const Region& region) {
  for (const auto& [viewer_index, viewer] : region.peers) {
    std::map<uint32_t, DomainId>& listed = listed_[viewer.key];
    for (const auto& [index, member] : region.peers) {
      auto known = listed.find(index);
      if (known != listed.end() && known->second == member.key.domain) {
        continue;
      }
      (void)xenstore_.Write(kNoTransaction,
                            schema::BackendMemberPath(
                                viewer.key.domain, viewer.key.handle, index) +
                                "/" + std::string(schema::kNodeDomain),
                            std::to_string(member.key.domain));
      listed[index] = member.key.domain;
    }
    Wake(viewer);
  }
}

void SignalBroker::UnpublishMember(const Region& region, uint32_t index,
                                   AttachmentKey departed) {
  listed_.erase(departed);
  for (const auto& [viewer_index, viewer] : region.peers) {
    (void)xenstore_.Remove(
        kNoTransaction,
        schema::BackendMemberPath(viewer.key.domain, viewer.key.handle, index));
    listed_[viewer.key].erase(index);
    Wake(viewer);
  }
}

void SignalBroker::Relay(const Region& region, const Peer& me) {
  const AttachmentKey key = me.key;
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
      auto target = region.peers.find(*index);
      if (target == region.peers.end() || !valid(*index)) continue;
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
      const std::string path = schema::BackendMemberPath(
                                   peer.key.domain, peer.key.handle, me.index) +
                               "/" + std::string(target_node);
      auto current = xenstore_.Read(kNoTransaction, path);
      if (current && *current == value) continue;
      (void)xenstore_.Write(kNoTransaction, path, value);
      Wake(peer);
    }
  };
  relay(schema::kNodeOffers, schema::kNodeOffer,
        [&](uint32_t index) { return index > me.index; });
  relay(schema::kNodeBound, schema::kNodeConnected,
        [&](uint32_t index) { return index < me.index; });
}

}  // namespace xenshm::backend
