// ReservationBook: the region names that `create=` items reserve, and for
// whom (docs/policy.md, "Reserved names").
//
// A name declared with `create=` belongs to its declaring policy: dom0's
// policy file (the `xenshm` stanza, declarer kDom0Declarer) from xenshmd's
// start, a guest's stanza from the moment xenshmd learns it (a pin, a
// config file, a policy node). The declarer is the domain's *name*, which
// the toolstack keeps across reboot, restore and migration, so the name
// stays reserved while the declaring domain is down. The first declarer of
// a name keeps it; a later one's create= of it is refused and reported.
#ifndef XENSHM_BACKEND_POLICY_RESERVATIONS_H_
#define XENSHM_BACKEND_POLICY_RESERVATIONS_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "backend/policy/stanza.h"

namespace xenshm::policy {

// dom0's name in xenstore (/local/domain/0/name), as libxl writes it.
inline constexpr std::string_view kDom0Declarer = "Domain-0";

struct Reservation {
  std::string declarer;  // a domain name
  RegionSpec spec;       // as declared
  uint32_t mode = 0;     // spec.mode with the declarer's umask applied
  friend bool operator==(const Reservation&, const Reservation&) = default;
};

class ReservationBook {
 public:
  // `declarer`'s reservations become `policy`'s create= items (replacing
  // what it declared before). Returns one sentence per name another
  // declarer holds already; those stay with the first.
  std::vector<std::string> Declare(const std::string& declarer,
                                   const DomainPolicy& policy);
  // The reservation of `name`; null if none.
  const Reservation* Find(std::string_view name) const;
  const std::map<std::string, Reservation, std::less<>>& all() const {
    return by_name_;
  }

 private:
  std::map<std::string, Reservation, std::less<>> by_name_;
};

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_RESERVATIONS_H_
