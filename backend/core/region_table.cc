#include "backend/core/region_table.h"

#include "xenstore-schema/limits.h"

namespace xenshm::backend {

const Region* RegionTable::Find(const std::string& name) const {
  auto it = regions_.find(name);
  return it == regions_.end() ? nullptr : &it->second;
}

std::optional<std::pair<const Region*, const Peer*>>
RegionTable::FindAttachment(AttachmentKey key) const {
  auto it = attachments_.find(key);
  if (it == attachments_.end()) return std::nullopt;
  const Region& region = regions_.at(it->second);
  for (const auto& [index, peer] : region.peers) {
    if (peer.key == key) return std::make_pair(&region, &peer);
  }
  return std::nullopt;
}

void RegionTable::Create(const std::string& name, uint64_t size, RegionId id) {
  Region region;
  region.name = name;
  region.size = size;
  region.pages = schema::PagesFor(size);
  region.id = id;
  regions_.emplace(name, std::move(region));
}

Result<uint32_t> RegionTable::CheckJoin(const std::string& name,
                                        AttachmentKey key) const {
  if (auto it = attachments_.find(key); it != attachments_.end()) {
    return Error(Code::kAlreadyAttached,
                 "domain " + std::to_string(key.domain) + " handle " +
                     std::to_string(key.handle) + " is already attached to '" +
                     it->second + "'");
  }
  const Region* region = Find(name);
  if (region == nullptr) {
    return Error(Code::kDoesNotExist, "region '" + name + "' does not exist");
  }
  if (key.domain != kDom0) {
    for (const auto& [index, peer] : region->peers) {
      if (peer.key.domain == key.domain) {
        return Error(Code::kAlreadyAttached,
                     "domain " + std::to_string(key.domain) +
                         " already attached '" + name + "' as handle " +
                         std::to_string(peer.key.handle));
      }
    }
  }
  for (uint32_t index = 0; index < schema::kMaxPeers; ++index) {
    if (!region->peers.contains(index)) return index;
  }
  return Error(Code::kClientMax, "region '" + name + "' already has " +
                                     std::to_string(schema::kMaxPeers) +
                                     " peers");
}

const Peer& RegionTable::Join(const std::string& name, Peer peer) {
  Region& region = regions_.at(name);
  attachments_[peer.key] = name;
  return region.peers[peer.index] = std::move(peer);
}

std::optional<RegionTable::Left> RegionTable::Leave(AttachmentKey key) {
  auto it = attachments_.find(key);
  if (it == attachments_.end()) return std::nullopt;
  Left left;
  left.name = it->second;
  attachments_.erase(it);
  Region& region = regions_.at(left.name);
  for (auto peer = region.peers.begin(); peer != region.peers.end(); ++peer) {
    if (peer->second.key == key) {
      left.peer = peer->second;
      region.peers.erase(peer);
      break;
    }
  }
  left.region_empty = region.peers.empty();
  return left;
}

void RegionTable::Erase(const std::string& name) { regions_.erase(name); }

std::vector<AttachmentKey> RegionTable::AttachmentsOf(DomainId domain) const {
  std::vector<AttachmentKey> keys;
  for (const auto& [key, name] : attachments_) {
    if (key.domain == domain) keys.push_back(key);
  }
  return keys;
}

void RegionTable::Rename(const std::string& from, const std::string& to) {
  auto node = regions_.extract(from);
  node.key() = to;
  node.mapped().name = to;
  regions_.insert(std::move(node));
  for (auto& [key, name] : attachments_) {
    if (name == from) name = to;
  }
}

}  // namespace xenshm::backend
