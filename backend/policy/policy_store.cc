#include "backend/policy/policy_store.h"

#include <vector>

#include "backend/policy/policy_codec.h"

namespace xenshm::policy {
namespace {

const std::vector<XsPermission>& Dom0Only() {
  static const std::vector<XsPermission> perms = {{kDom0, XsAccess::kNone}};
  return perms;
}

}  // namespace

std::string PolicyRoot() { return "/local/domain/0/xenshm/policy"; }

std::string PolicyPath(DomainId domain) {
  return PolicyRoot() + "/" + std::to_string(domain);
}

Result<DomainPolicy> ReadDomainPolicy(XenStore& xenstore, DomainId domain) {
  const std::string path = PolicyPath(domain);
  auto perms = xenstore.GetPermissions(kNoTransaction, path);
  if (!perms) return Error(perms.error());
  if (perms->empty() || (*perms)[0].domain != kDom0) {
    return Error(Code::kNoPermission,
                 path + " is not owned by dom0; ignoring it");
  }
  auto value = xenstore.Read(kNoTransaction, path);
  if (!value) return Error(value.error());
  auto policy = ParseSerializedPolicy(*value);
  if (!policy) {
    return Error(policy.error().code(), path + ": " + policy.error().message());
  }
  return policy;
}

Status WriteDomainPolicy(XenStore& xenstore, DomainId domain,
                         const DomainPolicy& policy) {
  auto text = SerializePolicy(policy);
  if (!text) {
    return Status(text.error().code(), "domain " + std::to_string(domain) +
                                           ": " + text.error().message());
  }
  XENSHM_RETURN_IF_ERROR(xenstore.Mkdir(kNoTransaction, PolicyRoot()));
  XENSHM_RETURN_IF_ERROR(
      xenstore.SetPermissions(kNoTransaction, PolicyRoot(), Dom0Only()));
  const std::string path = PolicyPath(domain);
  // Created under the dom0-only root, the node inherits its permissions;
  // setting them again covers a node left by an earlier domain.
  XENSHM_RETURN_IF_ERROR(xenstore.Write(kNoTransaction, path, *text));
  return xenstore.SetPermissions(kNoTransaction, path, Dom0Only());
}

Status RemoveDomainPolicy(XenStore& xenstore, DomainId domain) {
  Status removed = xenstore.Remove(kNoTransaction, PolicyPath(domain));
  if (removed.code() == Code::kNotFound) return Status();
  return removed;
}

}  // namespace xenshm::policy
