#include "backend/core/registry_publisher.h"

#include <vector>

#include "xenstore-schema/schema.h"

namespace xenshm::backend {

void RegistryPublisher::Clear() {
  if (auto names = xenstore_.List(kNoTransaction, schema::RegistryRoot())) {
    for (const std::string& name : *names) {
      (void)xenstore_.Remove(kNoTransaction, schema::RegistryPath(name));
    }
  }
  written_.clear();
}

void RegistryPublisher::Publish(const Region& region) {
  const std::string path = schema::RegistryPath(region.name);
  auto [entry, first] = written_.try_emplace(region.name);
  Written& written = entry->second;
  // Every node of the entry, for the permission update below.
  std::vector<std::string> nodes = {
      path, path + "/" + std::string(schema::kRegistrySize),
      path + "/" + std::string(schema::kNodePeers)};
  if (first) {
    (void)xenstore_.Write(kNoTransaction, nodes[1],
                          std::to_string(region.size));
    // What an earlier xenshmd wrote here (a restarted one adopts the
    // region): its peers are ours to list, so the departed go.
    if (auto listed = xenstore_.List(kNoTransaction, nodes[2])) {
      for (const std::string& child : *listed) {
        auto index = schema::ParsePeerIndex(child);
        if (!index || !region.peers.contains(*index)) {
          (void)xenstore_.Remove(kNoTransaction, nodes[2] + "/" + child);
        }
      }
    }
  }
  for (const auto& [attribute, value] : region.attributes) {
    nodes.push_back(path + "/" + attribute);
    if (first) (void)xenstore_.Write(kNoTransaction, nodes.back(), value);
  }
  std::set<DomainId> members;
  std::map<uint32_t, std::string> peers;
  for (const auto& [index, peer] : region.peers) {
    members.insert(peer.key.domain);
    const std::string value =
        schema::FormatPeerRef({peer.key.domain, peer.key.handle});
    const std::string peer_path = schema::RegistryPeerPath(region.name, index);
    nodes.push_back(peer_path);
    auto known = written.peers.find(index);
    if (known == written.peers.end() || known->second != value) {
      (void)xenstore_.Write(kNoTransaction, peer_path, value);
    }
    peers[index] = value;
  }
  for (const auto& [index, value] : written.peers) {
    if (!peers.contains(index)) {
      (void)xenstore_.Remove(kNoTransaction,
                             schema::RegistryPeerPath(region.name, index));
    }
  }
  written.peers = std::move(peers);
  // A node created above inherited its parent's readers; any change of the
  // member set is applied to every node.
  if (first || members != written.readers) {
    const std::vector<XsPermission> perms = Dom0OwnedReadableBy(members);
    for (const std::string& node : nodes) {
      (void)xenstore_.SetPermissions(kNoTransaction, node, perms);
    }
    written.readers = std::move(members);
  }
}

void RegistryPublisher::Remove(const std::string& name) {
  (void)xenstore_.Remove(kNoTransaction, schema::RegistryPath(name));
  written_.erase(name);
}

}  // namespace xenshm::backend
