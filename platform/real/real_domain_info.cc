#include "platform/real/real_domain_info.h"

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

extern "C" {
#include <xenctrl.h>
}

namespace xenshm {
namespace {

DomainState ToState(const xc_domaininfo_t& info) {
  DomainState state;
  state.id = static_cast<DomainId>(info.domain);
  state.dying = (info.flags & XEN_DOMINF_dying) != 0;
  char uuid[37];
  const uint8_t* h = info.handle;
  std::snprintf(uuid, sizeof uuid,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
                "%02x%02x%02x%02x%02x%02x",
                h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], h[8], h[9],
                h[10], h[11], h[12], h[13], h[14], h[15]);
  state.uuid = uuid;
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
