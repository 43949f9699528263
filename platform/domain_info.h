// DomainInfo: which domains exist and whether they are dying (libxenctrl).
#ifndef XENSHM_PLATFORM_DOMAIN_INFO_H_
#define XENSHM_PLATFORM_DOMAIN_INFO_H_

#include <string>
#include <vector>

#include "base/status.h"
#include "base/types.h"

namespace xenshm {

struct DomainState {
  DomainId id = 0;
  bool dying = false;     // being destroyed
  bool shutdown = false;  // shut down, not yet destroyed
};

class DomainInfo {
 public:
  virtual ~DomainInfo() = default;
  // kNotFound if the domain does not exist.
  virtual Result<DomainState> Query(DomainId domain) = 0;
  virtual Result<std::vector<DomainState>> List() = 0;
};

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_DOMAIN_INFO_H_
