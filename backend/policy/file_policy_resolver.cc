#include "backend/policy/file_policy_resolver.h"

namespace xenshm::policy {

Result<std::optional<FoundPolicy>> FilePolicyResolver::Find(
    const DomainIdentity& who) {
  if (!who.uuid.empty()) {
    auto pinned = pins_.Read(who.uuid);
    if (!pinned) return Error(pinned.error());
    // The UUID decides, even after an `xl rename`.
    if (*pinned) return std::optional<FoundPolicy>((*pinned)->found);
  }
  if (who.name.empty()) return std::optional<FoundPolicy>();
  return configs_.Find(who.name);
}

Status FilePolicyResolver::Pin(const DomainIdentity& who,
                               const FoundPolicy& found) {
  if (found.pinned) return Status();
  return pins_.Write({who.name, who.uuid, found});
}

}  // namespace xenshm::policy
