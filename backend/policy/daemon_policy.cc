#include "backend/policy/daemon_policy.h"

#include <utility>

#include "backend/policy/policy_store.h"
#include "backend/policy/region_mode.h"

namespace xenshm::policy {

DaemonPolicy::DaemonPolicy(Dom0Policy dom0,
                           std::function<void(std::string_view)> log)
    : StanzaPolicy(std::move(dom0)), log_(std::move(log)) {}

std::string DaemonPolicy::WatchedRoot() const { return PolicyRoot(); }

void DaemonPolicy::Refresh(XenStore& xenstore, DomainId domain) {
  auto policy = ReadDomainPolicy(xenstore, domain);
  if (policy) {
    SetDomainPolicy(domain, std::move(*policy));
    return;
  }
  if (policy.error().code() == Code::kNotFound) {
    // No stanza: the policy file's default governs it.
    if (HasDomainPolicy(domain)) RemoveDomain(domain);
    return;
  }
  log_("domain " + std::to_string(domain) +
       ": policy node unreadable, refusing it everything: " +
       policy.error().ToString());
  SetDomainPolicy(domain, DenyEverything("policy node unreadable: " +
                                         policy.error().message()));
}

void DaemonPolicy::Forget(XenStore& xenstore, DomainId domain) {
  RemoveDomain(domain);
  if (domain == kDom0) return;
  if (Status removed = RemoveDomainPolicy(xenstore, domain); !removed.ok()) {
    log_("domain " + std::to_string(domain) +
         ": cannot remove its policy node: " + removed.ToString());
  }
}

std::vector<backend::PreCreate> DaemonPolicy::RegionsToPreCreate(
    DomainId domain) const {
  std::vector<backend::PreCreate> regions;
  for (const PreCreatedRegion& region : PreCreatedRegions(domain)) {
    regions.push_back({region.name, region.size});
  }
  return regions;
}

backend::RegionAttributes DaemonPolicy::OnRegionCreated(std::string_view name,
                                                        DomainId creator) {
  RegionMeta meta = RegionCreated(name, creator);
  backend::RegionAttributes attributes = {{"mode", FormatMode(meta.mode)}};
  if (!meta.gid.empty()) attributes.emplace_back("gid", meta.gid);
  return attributes;
}

void DaemonPolicy::OnRegionDestroyed(std::string_view name) {
  RegionDestroyed(name);
}

}  // namespace xenshm::policy
