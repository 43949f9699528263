#include "tests/fake_hypervisor/domain_table.h"

#include <string>
#include <utility>

#include "base/uuid.h"

namespace xenshm::fake {

std::optional<Caller> DomainTable::Add(DomainId id, std::string uuid) {
  std::lock_guard<std::mutex> lock(mu_);
  if (domains_.contains(id)) return std::nullopt;
  const uint64_t incarnation = next_incarnation_++;
  if (uuid.empty()) {
    // 00000000-0000-4000-8000-<incarnation>: unique per Add.
    UuidBytes made{};
    made[6] = 0x40;
    made[8] = 0x80;
    for (int i = 0; i < 6; ++i) {
      made[15 - i] = static_cast<uint8_t>(incarnation >> (8 * i));
    }
    uuid = FormatUuid(made);
  }
  Entry entry{incarnation, false, std::move(uuid)};
  domains_[id] = entry;
  return Caller{id, entry.incarnation};
}

bool DomainTable::MarkDying(DomainId id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = domains_.find(id);
  if (it == domains_.end() || it->second.dying) return false;
  it->second.dying = true;
  return true;
}

bool DomainTable::Remove(DomainId id) {
  std::lock_guard<std::mutex> lock(mu_);
  return domains_.erase(id) > 0;
}

std::optional<Caller> DomainTable::Lookup(DomainId id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = domains_.find(id);
  if (it == domains_.end() || it->second.dying) return std::nullopt;
  return Caller{id, it->second.incarnation};
}

bool DomainTable::Listed(DomainId id) const {
  std::lock_guard<std::mutex> lock(mu_);
  return domains_.contains(id);
}

bool DomainTable::Alive(const Caller& caller) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = domains_.find(caller.domain);
  return it != domains_.end() && !it->second.dying &&
         it->second.incarnation == caller.incarnation;
}

Status DomainTable::CheckAlive(const Caller& caller, const char* what) const {
  if (Alive(caller)) return Status::Ok();
  return Status(Code::kIoError, std::string(what) + ": domain " +
                                    std::to_string(caller.domain) +
                                    " has been destroyed");
}

std::vector<DomainState> DomainTable::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<DomainState> out;
  for (const auto& [id, entry] : domains_) {
    out.push_back(DomainState{id, entry.dying, entry.uuid});
  }
  return out;
}

Result<std::vector<DomainState>> FakeDomainInfo::List() {
  return domains_->List();
}

}  // namespace xenshm::fake
