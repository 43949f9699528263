#include "backend/core/signal_broker.h"

#include <string>

#include "xenstore-schema/member_list.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {

void SignalBroker::Wake(const Peer& peer) {
  const Attachment* record = attachments_.Find(peer.key);
  if (record != nullptr && record->held) {
    (void)event_channels_.Notify(record->held->control_port);
  }
}

void SignalBroker::PublishMembers(const Region& region) {
  schema::MemberList members;
  for (const auto& [index, member] : region.peers) {
    members[index] = {member.key.domain, member.key.handle};
  }
  const std::string value = schema::FormatMemberList(members);
  for (const auto& [viewer_index, viewer] : region.peers) {
    std::string& listed = listed_[viewer.key];
    if (listed == value) continue;
    (void)xenstore_.Write(
        kNoTransaction,
        schema::BackendNode(viewer.key.domain, viewer.key.handle,
                            schema::kNodeMembers),
        value);
    listed = value;
    Wake(viewer);
  }
}

void SignalBroker::UnpublishMember(const Region& region, uint32_t index,
                                   AttachmentKey departed) {
  listed_.erase(departed);
  relayed_.erase(departed);
  for (const auto& [viewer_index, viewer] : region.peers) {
    // members/<index> exists only if something was relayed there.
    if (std::erase_if(relayed_[viewer.key], [&](const auto& entry) {
          return entry.first.first == index;
        }) > 0) {
      (void)xenstore_.Remove(
          kNoTransaction, schema::BackendMemberPath(viewer.key.domain,
                                                    viewer.key.handle, index));
    }
  }
  PublishMembers(region);
}

void SignalBroker::RelayEntry(const Region& region, const Peer& me,
                              std::string_view list, uint32_t index) {
  const bool offers = list == schema::kNodeOffers;
  if (!offers && list != schema::kNodeBound) return;
  // Offers go up (lower index to higher), acknowledgements down.
  if (offers ? index <= me.index : index >= me.index) return;
  auto target = region.peers.find(index);
  if (target == region.peers.end()) return;
  auto raw = xenstore_.Read(
      kNoTransaction,
      schema::FrontendListEntry(me.key.domain, me.key.handle, list, index));
  if (!raw) return;
  std::string value;
  if (offers) {
    auto port = schema::ParsePort(*raw);
    if (!port) return;  // hostile junk is ignored, not relayed
    value = std::to_string(*port);
  } else {
    if (*raw != "1") return;
    value = "1";
  }
  const Peer& peer = target->second;
  const std::string node(offers ? schema::kNodeOffer : schema::kNodeConnected);
  std::string& relayed = relayed_[peer.key][{me.index, node}];
  if (relayed == value) return;
  (void)xenstore_.Write(
      kNoTransaction,
      schema::BackendMemberPath(peer.key.domain, peer.key.handle, me.index) +
          "/" + node,
      value);
  relayed = value;
  Wake(peer);
}

void SignalBroker::Relay(const Region& region, const Peer& me) {
  for (std::string_view list : {schema::kNodeOffers, schema::kNodeBound}) {
    auto entries = xenstore_.List(
        kNoTransaction,
        schema::FrontendNode(me.key.domain, me.key.handle, list));
    if (!entries) continue;
    for (const std::string& entry : *entries) {
      if (auto index = schema::ParsePeerIndex(entry)) {
        RelayEntry(region, me, list, *index);
      }
    }
  }
}

}  // namespace xenshm::backend
