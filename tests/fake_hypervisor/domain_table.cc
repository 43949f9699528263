#include "tests/fake_hypervisor/domain_table.h"

#include <string>

namespace xenshm::fake {

std::optional<Caller> DomainTable::Add(DomainId id) {
  std::lock_guard<std::mutex> lock(mu_);
  if (domains_.contains(id)) return std::nullopt;
  Entry entry{next_incarnation_++, false};
  domains_[id] = entry;
  return Caller{id, entry.incarnation};
}

bool DomainTable::Remove(DomainId id) {
  std::lock_guard<std::mutex> lock(mu_);
  return domains_.erase(id) > 0;
}

bool DomainTable::SetShutdown(DomainId id, bool shutdown) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = domains_.find(id);
  if (it == domains_.end()) return false;
  it->second.shutdown = shutdown;
  return true;
}

std::optional<Caller> DomainTable::Lookup(DomainId id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = domains_.find(id);
  if (it == domains_.end()) return std::nullopt;
  return Caller{id, it->second.incarnation};
}

bool DomainTable::Alive(const Caller& caller) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = domains_.find(caller.domain);
  return it != domains_.end() && it->second.incarnation == caller.incarnation;
}

Status DomainTable::CheckAlive(const Caller& caller, const char* what) const {
  if (Alive(caller)) return Status::Ok();
  return Status(Code::kIoError, std::string(what) + ": domain " +
                                    std::to_string(caller.domain) +
                                    " has been destroyed");
}

std::optional<DomainState> DomainTable::Query(DomainId id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = domains_.find(id);
  if (it == domains_.end()) return std::nullopt;
  return DomainState{id, false, it->second.shutdown};
}

std::vector<DomainState> DomainTable::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DomainState> out;
  for (const auto& [id, entry] : domains_) {
    out.push_back(DomainState{id, false, entry.shutdown});
  }
  return out;
}

Result<DomainState> FakeDomainInfo::Query(DomainId domain) {
  std::optional<DomainState> state = domains_->Query(domain);
  if (!state) {
    return Error(Code::kNotFound,
                 "domain " + std::to_string(domain) + " does not exist");
  }
  return *state;
}

Result<std::vector<DomainState>> FakeDomainInfo::List() {
  return domains_->List();
}

}  // namespace xenshm::fake
