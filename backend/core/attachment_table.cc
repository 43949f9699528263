#include "backend/core/attachment_table.h"

#include <string>

namespace xenshm::backend {

std::string Describe(AttachmentKey key) {
  return "domain " + std::to_string(key.domain) + " handle " +
         std::to_string(key.handle);
}

Attachment& AttachmentTable::Open(AttachmentKey key, bool* created) {
  auto [it, inserted] = records_.try_emplace(key);
  if (inserted) it->second.key = key;
  if (created != nullptr) *created = inserted;
  return it->second;
}

Attachment* AttachmentTable::Find(AttachmentKey key) {
  auto it = records_.find(key);
  return it == records_.end() ? nullptr : &it->second;
}

const Attachment* AttachmentTable::Find(AttachmentKey key) const {
  auto it = records_.find(key);
  return it == records_.end() ? nullptr : &it->second;
}

Attachment* AttachmentTable::FindByControlPort(EventPort port) {
  for (auto& [key, record] : records_) {
    if (record.held && record.held->control_port == port) return &record;
  }
  return nullptr;
}

void AttachmentTable::Erase(AttachmentKey key) { records_.erase(key); }

std::vector<AttachmentKey> AttachmentTable::KeysOf(DomainId domain) const {
  std::vector<AttachmentKey> keys;
  for (auto it = records_.lower_bound({domain, 0});
       it != records_.end() && it->first.domain == domain; ++it) {
    keys.push_back(it->first);
  }
  return keys;
}

}  // namespace xenshm::backend
