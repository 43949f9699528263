#include "xenstore-schema/attach_request.h"

#include <string>

namespace xenshm::schema {
namespace {

Result<std::string> ReadBounded(XenStore& xenstore, XsTransaction t,
                                DomainId domain, uint32_t handle,
                                std::string_view node) {
  auto value = xenstore.Read(t, FrontendNode(domain, handle, node));
  if (!value) {
    if (value.error().code() == Code::kNotFound) {
      return Error(Code::kInvalidArgument,
                   "request node '" + std::string(node) + "' is missing");
    }
    return value;
  }
  if (value->size() > kMaxValueLength) {
    return Error(Code::kInvalidArgument,
                 "request node '" + std::string(node) + "' is " +
                     std::to_string(value->size()) + " bytes, over " +
                     std::to_string(kMaxValueLength));
  }
  return value;
}

}  // namespace

Result<AttachRequest> ReadAttachRequest(XenStore& xenstore, XsTransaction t,
                                        DomainId domain, uint32_t handle) {
  AttachRequest request;
  auto name = ReadBounded(xenstore, t, domain, handle, kNodeName);
  if (!name) {
    // A name too long to read is still an illegal name to the user.
    if (name.error().message().find("bytes, over") != std::string::npos) {
      return Error(Code::kIllegalName, name.error().message());
    }
    return std::unexpected(name.error());
  }
  auto parsed_name = ParseRegionName(*name);
  if (!parsed_name) return std::unexpected(parsed_name.error());
  request.name = *parsed_name;

  auto size = ReadBounded(xenstore, t, domain, handle, kNodeSize);
  if (!size) return std::unexpected(size.error());
  auto parsed_size = ParseSize(*size);
  if (!parsed_size) return std::unexpected(parsed_size.error());
  request.size = *parsed_size;

  auto mode = ReadBounded(xenstore, t, domain, handle, kNodeMode);
  if (!mode) return std::unexpected(mode.error());
  auto parsed_mode = ParseMode(*mode);
  if (!parsed_mode) return std::unexpected(parsed_mode.error());
  request.mode = *parsed_mode;

  auto access = ReadBounded(xenstore, t, domain, handle, kNodeAccess);
  if (!access) return std::unexpected(access.error());
  auto parsed_access = ParseAccess(*access);
  if (!parsed_access) return std::unexpected(parsed_access.error());
  request.access = *parsed_access;

  if (domain == kDom0) {
    auto pid = xenstore.Read(t, FrontendNode(domain, handle, kNodePid));
    if (pid) {
      auto parsed_pid = ParsePid(*pid);
      if (!parsed_pid) return std::unexpected(parsed_pid.error());
      request.pid = *parsed_pid;
    }
  }
  return request;
}

Status WriteAttachRequest(XenStore& xenstore, XsTransaction t, DomainId domain,
                          uint32_t handle, const AttachRequest& request) {
  XENSHM_RETURN_IF_ERROR(
      xenstore.Write(t, FrontendNode(domain, handle, kNodeName), request.name));
  XENSHM_RETURN_IF_ERROR(xenstore.Write(t,
                                        FrontendNode(domain, handle, kNodeSize),
                                        std::to_string(request.size)));
  XENSHM_RETURN_IF_ERROR(xenstore.Write(t,
                                        FrontendNode(domain, handle, kNodeMode),
                                        std::string(ModeName(request.mode))));
  XENSHM_RETURN_IF_ERROR(
      xenstore.Write(t, FrontendNode(domain, handle, kNodeAccess),
                     std::string(AccessName(request.access))));
  if (!request.pid) return Status();
  return xenstore.Write(t, FrontendNode(domain, handle, kNodePid),
                        std::to_string(*request.pid));
}

}  // namespace xenshm::schema
