#include "tests/integration/crash_injector.h"

#include <type_traits>
#include <utility>

namespace xenshm::testing {
namespace {

Status Gone() { return Status(Code::kIoError, "xenshmd has crashed"); }

class CrashingXenStore : public XenStore {
 public:
  CrashingXenStore(std::unique_ptr<XenStore> inner, CrashInjector& crash)
      : inner_(std::move(inner)), crash_(crash) {}

  DomainId self() const override { return inner_->self(); }
  Result<std::string> Read(XsTransaction t, const std::string& path) override {
    if (crash_.Dead()) return std::unexpected(Gone());
    return inner_->Read(t, path);
  }
  Status Write(XsTransaction t, const std::string& path,
               const std::string& value) override {
    return Mutate("write " + path,
                  [&] { return inner_->Write(t, path, value); });
  }
  Status Mkdir(XsTransaction t, const std::string& path) override {
    return Mutate("mkdir " + path, [&] { return inner_->Mkdir(t, path); });
  }
  Status Remove(XsTransaction t, const std::string& path) override {
    return Mutate("remove " + path, [&] { return inner_->Remove(t, path); });
  }
  Result<std::vector<std::string>> List(XsTransaction t,
                                        const std::string& path) override {
    if (crash_.Dead()) return std::unexpected(Gone());
    return inner_->List(t, path);
  }
  Result<std::vector<XsPermission>> GetPermissions(
      XsTransaction t, const std::string& path) override {
    if (crash_.Dead()) return std::unexpected(Gone());
    return inner_->GetPermissions(t, path);
  }
  Status SetPermissions(XsTransaction t, const std::string& path,
                        const std::vector<XsPermission>& perms) override {
    return Mutate("setperms " + path,
                  [&] { return inner_->SetPermissions(t, path, perms); });
  }
  Result<XsTransaction> TransactionStart() override {
    if (crash_.Dead()) return std::unexpected(Gone());
    return inner_->TransactionStart();
  }
  Status TransactionEnd(XsTransaction t, bool commit) override {
    if (!commit) {
      return crash_.Dead() ? Gone() : inner_->TransactionEnd(t, commit);
    }
    return Mutate("commit", [&] { return inner_->TransactionEnd(t, commit); });
  }
  Status Watch(const std::string& path, const std::string& token) override {
    if (crash_.Dead()) return Gone();
    return inner_->Watch(path, token);
  }
  Status Unwatch(const std::string& path, const std::string& token) override {
    if (crash_.Dead()) return Gone();
    return inner_->Unwatch(path, token);
  }
  int watch_fd() const override { return inner_->watch_fd(); }
  std::optional<XsWatchEvent> TakeWatchEvent() override {
    if (crash_.Dead()) return std::nullopt;
    return inner_->TakeWatchEvent();
  }

 private:
  template <typename Call>
  Status Mutate(const std::string& what, Call call) {
    if (crash_.Dead()) return Gone();
    Status done = call();
    crash_.Counted(what);
    return done;
  }

  std::unique_ptr<XenStore> inner_;
  CrashInjector& crash_;
};

class CrashingGranter : public RegionGranter {
 public:
  CrashingGranter(std::unique_ptr<RegionGranter> inner, CrashInjector& crash)
      : inner_(std::move(inner)), crash_(crash) {}

  Result<RegionId> Allocate(size_t pages) override {
    return Mutate("allocate", [&] { return inner_->Allocate(pages); });
  }
  Result<std::vector<GrantRef>> Grant(RegionId region, DomainId domain,
                                      bool readonly) override {
    return Mutate("grant " + std::to_string(region),
                  [&] { return inner_->Grant(region, domain, readonly); });
  }
  Status Revoke(RegionId region, DomainId domain) override {
    return Mutate("revoke " + std::to_string(region),
                  [&] { return inner_->Revoke(region, domain); });
  }
  Status Release(RegionId region) override {
    return Mutate("release " + std::to_string(region),
                  [&] { return inner_->Release(region); });
  }
  Result<RegionId> ReadOnlyView(RegionId region) override {
    return Mutate("view " + std::to_string(region),
                  [&] { return inner_->ReadOnlyView(region); });
  }
  Result<std::unique_ptr<RegionMapping>> MapLocal(RegionId region,
                                                  bool readonly) override {
    if (crash_.Dead()) return std::unexpected(Gone());
    return inner_->MapLocal(region, readonly);
  }
  Result<std::vector<RegionInfo>> List() override {
    if (crash_.Dead()) return std::unexpected(Gone());
    return inner_->List();
  }
  Result<GranterCounts> Counts() override {
    if (crash_.Dead()) return std::unexpected(Gone());
    return inner_->Counts();
  }
  Result<DomainGrantUsage> UsageOf(DomainId domain) override {
    if (crash_.Dead()) return std::unexpected(Gone());
    return inner_->UsageOf(domain);
  }
  Result<uint64_t> FreeGrantEntries() override {
    if (crash_.Dead()) return std::unexpected(Gone());
    return inner_->FreeGrantEntries();
  }
  uint32_t GrantEntriesPerFrame() override {
    return inner_->GrantEntriesPerFrame();
  }

 private:
  template <typename Call>
  auto Mutate(const std::string& what, Call call) -> decltype(call()) {
    if (crash_.Dead()) {
      if constexpr (std::is_same_v<decltype(call()), Status>) {
        return Gone();
      } else {
        return std::unexpected(Gone());
      }
    }
    auto done = call();
    crash_.Counted(what);
    return done;
  }

  std::unique_ptr<RegionGranter> inner_;
  CrashInjector& crash_;
};

}  // namespace

void CrashInjector::Wrap(Platform& platform) {
  platform.xenstore =
      std::make_unique<CrashingXenStore>(std::move(platform.xenstore), *this);
  platform.region_granter = std::make_unique<CrashingGranter>(
      std::move(platform.region_granter), *this);
}

void CrashInjector::Arm(int nth) {
  std::lock_guard lock(mu_);
  trail_.clear();
  calls_ = 0;
  crashed_ = false;
  crash_at_ = nth;
}

std::vector<std::string> CrashInjector::trail() const {
  std::lock_guard lock(mu_);
  return trail_;
}

void CrashInjector::Counted(const std::string& what) {
  {
    std::lock_guard lock(mu_);
    trail_.push_back(what);
  }
  const int now = ++calls_;
  if (now == crash_at_) {
    crashed_ = true;
    throw InjectedCrash{what};
  }
}

}  // namespace xenshm::testing
