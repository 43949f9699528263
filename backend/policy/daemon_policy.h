// DaemonPolicy: StanzaPolicy wired to xenstore the way xenshmd needs it.
// It reads a domain's policy node when the domain appears or the node
// changes (fail closed on a bad node), forgets it when the domain dies,
// pre-creates the regions stanzas declare, and publishes a region's owner,
// group and mode in the registry.
#ifndef XENSHM_BACKEND_POLICY_DAEMON_POLICY_H_
#define XENSHM_BACKEND_POLICY_DAEMON_POLICY_H_

#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/policy/stanza_policy.h"

namespace xenshm::policy {

class DaemonPolicy : public StanzaPolicy {
 public:
  // `log` receives one line per policy event (unreadable node, etc.).
  DaemonPolicy(Dom0Policy dom0, std::function<void(std::string_view)> log);

  std::string WatchedRoot() const override;
  void Refresh(XenStore& xenstore, DomainId domain) override;
  void Forget(XenStore& xenstore, DomainId domain) override;
  std::vector<backend::PreCreate> RegionsToPreCreate(
      DomainId domain) const override;
  backend::RegionAttributes OnRegionCreated(std::string_view name,
                                            DomainId creator) override;
  void OnRegionDestroyed(std::string_view name) override;

 private:
  std::function<void(std::string_view)> log_;
};

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_DAEMON_POLICY_H_
