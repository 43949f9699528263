// MemoryXenStore: the smallest XenStore a fuzz target can build from its
// input bytes. Nodes are a flat map from path to value and permissions;
// there is no tree, no watches and no quota (the fake hypervisor's
// FakeXenStore has all that, at a cost per execution a fuzzer cannot pay).
// One transaction id (1) is accepted and changes nothing. A path may be made
// to fail every Read with a chosen code, to drive error paths.
#ifndef XENSHM_TESTS_FUZZ_MEMORY_XENSTORE_H_
#define XENSHM_TESTS_FUZZ_MEMORY_XENSTORE_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "platform/xenstore.h"

namespace xenshm::fuzz {

class MemoryXenStore final : public XenStore {
 public:
  explicit MemoryXenStore(DomainId self = kDom0) : self_(self) {}

  // Reads of `path` fail with `code` (other calls are unaffected).
  void FailReads(const std::string& path, Code code) { failing_[path] = code; }
  // Every node, for comparisons.
  const std::map<std::string, std::string>& values() const { return values_; }

  DomainId self() const override { return self_; }
  Result<std::string> Read(XsTransaction t, const std::string& path) override;
  Status Write(XsTransaction t, const std::string& path,
               const std::string& value) override;
  Status Mkdir(XsTransaction t, const std::string& path) override;
  Status Remove(XsTransaction t, const std::string& path) override;
  Result<std::vector<std::string>> List(XsTransaction t,
                                        const std::string& path) override;
  Result<std::vector<XsPermission>> GetPermissions(
      XsTransaction t, const std::string& path) override;
  Status SetPermissions(XsTransaction t, const std::string& path,
                        const std::vector<XsPermission>& perms) override;
  Result<XsTransaction> TransactionStart() override { return 1; }
  Status TransactionEnd(XsTransaction t, bool commit) override;
  Status Watch(const std::string& path, const std::string& token) override;
  Status Unwatch(const std::string& path, const std::string& token) override;
  int watch_fd() const override { return -1; }
  std::optional<XsWatchEvent> TakeWatchEvent() override { return std::nullopt; }

 private:
  Status CheckTransaction(XsTransaction t) const;

  DomainId self_;
  std::map<std::string, std::string> values_;
  std::map<std::string, std::vector<XsPermission>> perms_;
  std::map<std::string, Code> failing_;
};

}  // namespace xenshm::fuzz

#endif  // XENSHM_TESTS_FUZZ_MEMORY_XENSTORE_H_
