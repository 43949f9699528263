#include "platform/real/real_domain_info.h"

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <memory>
#include <string>
#include <vector>

#include "base/uuid.h"

extern "C" {
#include <xenctrl.h>
}

namespace xenshm {
namespace {

DomainState ToState(const xc_domaininfo_t& info) {
  DomainState state;
  state.id = static_cast<DomainId>(info.domain);
  state.dying = (info.flags & XEN_DOMINF_dying) != 0;
  UuidBytes handle;
  std::copy(std::begin(info.handle), std::end(info.handle), handle.begin());
  state.uuid = FormatUuid(handle);
  return state;
}

}  // namespace

Result<std::unique_ptr<RealDomainInfo>> RealDomainInfo::Open() {
  // A null logger makes libxenctrl log its own errors to stderr.
  xc_interface* xch = xc_interface_open(nullptr, nullptr, 0);
  if (xch == nullptr) {
    return Error(
        StatusFromErrno(errno,
                        "xc_interface_open (privcmd; dom0 only, is xen-privcmd "
                        "loaded and xenfs mounted?)"));
  }
  return std::unique_ptr<RealDomainInfo>(new RealDomainInfo(xch));
}

RealDomainInfo::~RealDomainInfo() { xc_interface_close(xch_); }

Result<std::vector<DomainState>> RealDomainInfo::List() {
  constexpr unsigned int kBatch = 64;
  std::vector<DomainState> out;
  std::vector<xc_domaininfo_t> batch(kBatch);
  uint32_t first = 0;
  // Xen lists domains in increasing id order.
  while (first < DOMID_FIRST_RESERVED) {
    const int n = xc_domain_getinfolist(xch_, first, kBatch, batch.data());
    if (n < 0) {
      return Error(StatusFromErrno(
          errno, "xc_domain_getinfolist from domain " + std::to_string(first)));
    }
    for (int i = 0; i < n; ++i) out.push_back(ToState(batch[i]));
    if (n < static_cast<int>(kBatch)) break;
    first = batch[n - 1].domain + 1;
  }
  return out;
}

}  // namespace xenshm
