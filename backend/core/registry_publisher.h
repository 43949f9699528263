// RegistryPublisher: the live-region registry, /local/domain/0/xenshm/
// regions/<name> (xenstore-paths.md): size, the policy's attributes and
// peers/<index> = "<domid>/<handle>", readable only by the member domains.
//
// It remembers what it last wrote per region and writes only what changed:
// every xenstore request is a round trip through xenstored, and publishing
// is on the critical path of an attach.
#ifndef XENSHM_BACKEND_CORE_REGISTRY_PUBLISHER_H_
#define XENSHM_BACKEND_CORE_REGISTRY_PUBLISHER_H_

#include <map>
#include <set>
#include <string>

#include "backend/core/region_table.h"
#include "platform/xenstore.h"

namespace xenshm::backend {

class RegistryPublisher {
 public:
  explicit RegistryPublisher(XenStore& xenstore) : xenstore_(xenstore) {}

  // Removes every entry under the registry root (at start: entries an
  // earlier xenshmd left would list ghosts).
  void Clear();
  // Brings `region`'s entry up to date.
  void Publish(const Region& region);
  // Removes the entry of a destroyed region.
  void Remove(const std::string& name);

 private:
  // What was last written for one region.
  struct Written {
    std::map<uint32_t, std::string> peers;  // index -> "<domid>/<handle>"
    std::set<DomainId> readers;
  };

  XenStore& xenstore_;
  std::map<std::string, Written> written_;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_REGISTRY_PUBLISHER_H_
