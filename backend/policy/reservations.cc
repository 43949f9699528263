#include "backend/policy/reservations.h"

#include <set>

namespace xenshm::policy {

std::vector<std::string> ReservationBook::Declare(const std::string& declarer,
                                                  const DomainPolicy& policy) {
  std::set<std::string, std::less<>> declared;
  std::vector<std::string> conflicts;
  for (const RegionSpec& spec : policy.pre_created) {
    declared.insert(spec.name);
    auto held = by_name_.find(spec.name);
    if (held != by_name_.end() && held->second.declarer != declarer) {
      conflicts.push_back("region '" + spec.name + "' is declared by domain '" +
                          declarer + "' (" + spec.source +
                          ") but reserved already by domain '" +
                          held->second.declarer + "' (" +
                          held->second.spec.source + "), which keeps it");
      continue;
    }
    by_name_.insert_or_assign(
        spec.name,
        Reservation{declarer, spec, spec.mode & ~policy.umask & 0666});
  }
  for (auto it = by_name_.begin(); it != by_name_.end();) {
    if (it->second.declarer == declarer && !declared.contains(it->first)) {
      it = by_name_.erase(it);
    } else {
      ++it;
    }
  }
  return conflicts;
}

const Reservation* ReservationBook::Find(std::string_view name) const {
  auto found = by_name_.find(name);
  return found == by_name_.end() ? nullptr : &found->second;
}

}  // namespace xenshm::policy
