// FilePolicyResolver: xenshmd's PolicyResolver, over a PinStore and a
// ConfigScan. Pins first: a rebooted or restored domain keeps the rules it
// started with even if its config file changed since (as xl keeps the
// config it started the domain with); a fresh `xl create` gets a new UUID,
// so it reads the file as it is now.
#ifndef XENSHM_BACKEND_POLICY_FILE_POLICY_RESOLVER_H_
#define XENSHM_BACKEND_POLICY_FILE_POLICY_RESOLVER_H_

#include <optional>
#include <vector>

#include "backend/policy/config_scan.h"
#include "backend/policy/pin_store.h"
#include "backend/policy/policy_resolver.h"

namespace xenshm::policy {

class FilePolicyResolver : public PolicyResolver {
 public:
  FilePolicyResolver(PinStore pins, ConfigScan configs)
      : pins_(std::move(pins)), configs_(std::move(configs)) {}

  Result<std::optional<FoundPolicy>> Find(const DomainIdentity& who) override;
  Status Pin(const DomainIdentity& who, const FoundPolicy& found) override;
  std::vector<PinnedPolicy> Pins() override { return pins_.List(); }

 private:
  PinStore pins_;
  ConfigScan configs_;
};

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_FILE_POLICY_RESOLVER_H_
