#include "tests/fuzz/memory_xenstore.h"

namespace xenshm::fuzz {

Status MemoryXenStore::CheckTransaction(XsTransaction t) const {
  if (t == kNoTransaction || t == 1) return Status();
  return Status(Code::kInvalidArgument, "no transaction " + std::to_string(t));
}

Result<std::string> MemoryXenStore::Read(XsTransaction t,
                                         const std::string& path) {
  XENSHM_RETURN_IF_ERROR(CheckTransaction(t));
  if (auto failing = failing_.find(path); failing != failing_.end()) {
    return Error(failing->second, "injected read failure of " + path);
  }
  auto value = values_.find(path);
  if (value == values_.end()) return Error(Code::kNotFound, "no node " + path);
  return value->second;
}

Status MemoryXenStore::Write(XsTransaction t, const std::string& path,
                             const std::string& value) {
  XENSHM_RETURN_IF_ERROR(CheckTransaction(t));
  values_[path] = value;
  perms_.try_emplace(path, std::vector<XsPermission>{{self_, XsAccess::kNone}});
  return Status();
}

Status MemoryXenStore::Mkdir(XsTransaction t, const std::string& path) {
  XENSHM_RETURN_IF_ERROR(CheckTransaction(t));
  if (!values_.contains(path)) return Write(t, path, "");
  return Status();
}

Status MemoryXenStore::Remove(XsTransaction t, const std::string& path) {
  XENSHM_RETURN_IF_ERROR(CheckTransaction(t));
  if (!values_.contains(path)) return Status(Code::kNotFound, "no " + path);
  const std::string prefix = path + "/";
  for (auto it = values_.begin(); it != values_.end();) {
    if (it->first == path || it->first.starts_with(prefix)) {
      perms_.erase(it->first);
      it = values_.erase(it);
    } else {
      ++it;
    }
  }
  return Status();
}

Result<std::vector<std::string>> MemoryXenStore::List(XsTransaction t,
                                                      const std::string& path) {
  XENSHM_RETURN_IF_ERROR(CheckTransaction(t));
  if (!values_.contains(path)) return Error(Code::kNotFound, "no " + path);
  std::vector<std::string> children;
  const std::string prefix = path + "/";
  for (const auto& [node, value] : values_) {
    if (!node.starts_with(prefix)) continue;
    std::string rest = node.substr(prefix.size());
    if (rest.empty() || rest.find('/') != std::string::npos) continue;
    children.push_back(rest);
  }
  return children;
}

Result<std::vector<XsPermission>> MemoryXenStore::GetPermissions(
    XsTransaction t, const std::string& path) {
  XENSHM_RETURN_IF_ERROR(CheckTransaction(t));
  auto perms = perms_.find(path);
  if (perms == perms_.end()) return Error(Code::kNotFound, "no " + path);
  return perms->second;
}

Status MemoryXenStore::SetPermissions(XsTransaction t, const std::string& path,
                                      const std::vector<XsPermission>& perms) {
  XENSHM_RETURN_IF_ERROR(CheckTransaction(t));
  if (!values_.contains(path)) return Status(Code::kNotFound, "no " + path);
  if (perms.empty()) return Status(Code::kInvalidArgument, "no permissions");
  perms_[path] = perms;
  return Status();
}

Status MemoryXenStore::TransactionEnd(XsTransaction t, bool /*commit*/) {
  if (t != 1) return Status(Code::kInvalidArgument, "no such transaction");
  return Status();
}

Status MemoryXenStore::Watch(const std::string& path,
                             const std::string& /*token*/) {
  return Status(Code::kIoError, "MemoryXenStore has no watches: " + path);
}

Status MemoryXenStore::Unwatch(const std::string& path,
                               const std::string& /*token*/) {
  return Status(Code::kIoError, "MemoryXenStore has no watches: " + path);
}

}  // namespace xenshm::fuzz
