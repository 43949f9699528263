// PolicyResolver: where a guest's policy comes from when no policy node
// names its domid: the policy dom0 pinned for its UUID, else the xl config
// file that declares its name (docs/policy.md, "How a domain gets its
// policy"). The evaluator asks it once per domain, when the domain appears.
//
// Why UUID and name, never domid: xl gives a rebooted, restored or migrated
// domain a new domid but keeps its UUID and name; both are set by the
// toolstack in dom0 (the UUID is the hypervisor's domain handle, the name a
// dom0-owned xenstore node), so a guest cannot claim another's.
#ifndef XENSHM_BACKEND_POLICY_POLICY_RESOLVER_H_
#define XENSHM_BACKEND_POLICY_POLICY_RESOLVER_H_

#include <optional>
#include <string>
#include <vector>

#include "backend/policy/stanza.h"
#include "base/status.h"
#include "base/types.h"

namespace xenshm::policy {

struct DomainIdentity {
  DomainId id = 0;
  std::string name;  // /local/domain/<id>/name
  std::string uuid;  // DomainState::uuid
};

struct FoundPolicy {
  DomainPolicy policy;
  // Where it came from, for the log: "xenshm-xl-create camera.cfg",
  // "/etc/xen/auto/camera.cfg", "policy node of domain 7".
  std::string origin;
  bool pinned = false;  // read from a pin (so pinning again is a no-op)
};

struct PinnedPolicy {
  std::string name;
  std::string uuid;
  FoundPolicy found;
};

class PolicyResolver {
 public:
  virtual ~PolicyResolver() = default;
  // The policy pinned for `who.uuid`, else the stanza of the one config
  // file (of those it scans) whose `name` is `who.name`; nullopt when there
  // is neither, or the config has no stanza. An error when a candidate
  // exists but cannot be trusted or read (a bad pin, two configs of that
  // name that disagree, a stanza that does not parse): the domain then gets
  // no access, and the error is the log's reason.
  virtual Result<std::optional<FoundPolicy>> Find(
      const DomainIdentity& who) = 0;
  // Records `found` as `who`'s policy, so a domain with its UUID gets it
  // again; drops any pin of another UUID with the same name (only one
  // domain of a name runs at a time, and a fresh create supersedes).
  virtual Status Pin(const DomainIdentity& who, const FoundPolicy& found) = 0;
  // Every pin: the names their create= items reserve.
  virtual std::vector<PinnedPolicy> Pins() = 0;
};

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_POLICY_RESOLVER_H_
