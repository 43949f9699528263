// RegionTable: the daemon's view of live regions and their peers.
//
// Pure bookkeeping (no Xen calls), so every rule is unit-testable: names are
// unique, a region holds at most kMaxPeers attachments, peer indices are the
// lowest free ones, a (domain, handle) attaches at most once, and a guest
// domain attaches a given region at most once at a time (its grants are per
// domain, so two attachments would share them).
#ifndef XENSHM_BACKEND_CORE_REGION_TABLE_H_
#define XENSHM_BACKEND_CORE_REGION_TABLE_H_

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backend/core/access_policy.h"
#include "backend/core/attachment.h"
#include "base/status.h"
#include "base/types.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {

// A region's peer: which attachment holds which index, and how. What the
// attachment holds in dom0 (grants, control port) is in its Attachment.
struct Peer {
  AttachmentKey key;
  uint32_t index = 0;
  schema::Access access = schema::Access::kReadWrite;
};

struct Region {
  std::string name;
  uint64_t size = 0;  // bytes, as the creator asked
  uint64_t pages = 0;
  RegionId id = 0;
  std::map<uint32_t, Peer> peers;  // by peer index
  // A region pre-created by this domain's policy outlives its last detach
  // until the domain dies.
  std::optional<DomainId> pinned_by;
  RegionAttributes attributes;  // from the policy, for the registry
  // The domain its pages are charged to (its creator); none for regions a
  // policy pre-created.
  std::optional<DomainId> charged_to;
};

class RegionTable {
 public:
  const Region* Find(const std::string& name) const;
  // The region and peer of an attachment, if attached.
  std::optional<std::pair<const Region*, const Peer*>> FindAttachment(
      AttachmentKey key) const;

  // REQUIRES: no region named `name`.
  void Create(const std::string& name, uint64_t size, RegionId id);
  // Checks the rules above without changing anything; returns the index the
  // peer would get. kClientMax, kAlreadyAttached, kDoesNotExist.
  Result<uint32_t> CheckJoin(const std::string& name, AttachmentKey key) const;
  // REQUIRES: CheckJoin succeeded.
  const Peer& Join(const std::string& name, Peer peer);
  // Removes the attachment; returns the region's name and whether it is now
  // empty (the caller destroys it). nullopt if not attached.
  struct Left {
    std::string name;
    Peer peer;
    bool region_empty = false;
  };
  std::optional<Left> Leave(AttachmentKey key);
  void Erase(const std::string& name);
  // The region `from` is named `to` from now on (its peers stay).
  // REQUIRES: a region named `from`, none named `to`.
  void Rename(const std::string& from, const std::string& to);
  // REQUIRES: a region named `name`.
  Region& Mutable(const std::string& name) { return regions_.at(name); }

  std::vector<AttachmentKey> AttachmentsOf(DomainId domain) const;
  const std::map<std::string, Region>& regions() const { return regions_; }

 private:
  std::map<std::string, Region> regions_;
  std::map<AttachmentKey, std::string> attachments_;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_REGION_TABLE_H_
