#include "frontend/qnx/compat_peer.h"

#include <cerrno>
#include <cstring>
#include <utility>

namespace xenshm::qnx {
namespace {

constexpr uint32_t kLowMask = (1u << GUEST_SHM_MAX_CLIENTS) - 1;

thread_local std::string last_error;

}  // namespace

uint32_t GssFromStatus(int status) {
  switch (status) {
    case XENSHM_OK:
      return GSS_OK;
    case XENSHM_NO_MEMORY:
    case XENSHM_GRANT_BUDGET:
    case XENSHM_QUOTA_EXCEEDED:
      return GSS_NOMEM;
    case XENSHM_CLIENT_MAX:
      return GSS_CLIENT_MAX;
    case XENSHM_ILLEGAL_NAME:
      return GSS_ILLEGAL_NAME;
    case XENSHM_NO_PERMISSION:
      return GSS_NO_PERMISSION;
    case XENSHM_DOES_NOT_EXIST:
      return GSS_DOES_NOT_EXIST;
    default:
      return GSS_UNKNOWN_FAILURE;
  }
}

void SetLastError(std::string message) { last_error = std::move(message); }

const char* LastError() { return last_error.c_str(); }

std::string NameFrom(const char (&name)[GUEST_SHM_MAX_NAME]) {
  return std::string(name, strnlen(name, GUEST_SHM_MAX_NAME));
}

uint32_t CompatPeer::Attach(xenshm_client* client, std::string_view name,
                            uint64_t bytes, bool create) {
  if (name.empty() || name.size() > GUEST_SHM_MAX_NAME) {
    SetLastError("region name must be 1.." +
                 std::to_string(GUEST_SHM_MAX_NAME) + " bytes");
    return GSS_ILLEGAL_NAME;
  }
  xenshm_attach_options options;
  xenshm_attach_options_init(&options);
  options.mode = create ? XENSHM_CREATE_OR_ATTACH : XENSHM_ATTACH_ONLY;
  const std::string copy(name);
  xenshm_region* region = nullptr;
  int status = xenshm_attach(client, copy.c_str(), bytes, &options, &region);
  if (status != XENSHM_OK) {
    SetLastError(xenshm_last_error());
    return GssFromStatus(status);
  }
  // xenshmd gives the lowest free index, so 16 or more means the 16 QNX
  // slots are taken (by compatibility or native peers).
  const uint32_t index = xenshm_region_peer_index(region);
  if (index >= GUEST_SHM_MAX_CLIENTS) {
    xenshm_region_free(region);
    SetLastError("region '" + copy + "': indices 0.." +
                 std::to_string(GUEST_SHM_MAX_CLIENTS - 1) +
                 " are taken (this attach got " + std::to_string(index) +
                 "); detached again");
    return GSS_CLIENT_MAX;
  }
  region_ = region;
  return GSS_OK;
}

int CompatPeer::Detach() {
  if (region_ == nullptr) return XENSHM_OK;
  int status = xenshm_detach(region_);
  if (status != XENSHM_OK) SetLastError(xenshm_last_error());
  xenshm_region_free(region_);
  region_ = nullptr;
  return status;
}

uint32_t CompatPeer::index() const { return xenshm_region_peer_index(region_); }

int CompatPeer::Notify(uint32_t clients) {
  const xenshm_peer_set targets =
      clients == ~0u ? XENSHM_ALL_PEERS : xenshm_peer_set{clients & kLowMask};
  // xenshm_signal is only the notify; channels to new peers are set up when
  // the library looks. QNX code may only ever notify on this side, so look
  // first (news of nothing costs a few bit operations).
  xenshm_peer_set reachable = 0;
  int status = xenshm_reachable_peers(region_, &reachable);
  if (status == XENSHM_OK) status = xenshm_signal(region_, targets, nullptr);
  if (status != XENSHM_OK) SetLastError(xenshm_last_error());
  return status;
}

uint32_t CompatPeer::TakeStatusWord() {
  xenshm_signal_status status;
  xenshm_peer_set reachable = 0;
  if (xenshm_take_status(region_, &status) != XENSHM_OK ||
      xenshm_reachable_peers(region_, &reachable) != XENSHM_OK) {
    SetLastError(xenshm_last_error());
    return 0;
  }
  // A peer counts as attached once a notify from here reaches it, so QNX
  // code that waits for a peer's bit and then notifies it never loses that
  // notify while the pair's channel is still being set up.
  const xenshm_peer_set attached =
      status.attached & (reachable | xenshm_peer_set{1} << index());
  // Native peers above 15 have no bit in QNX's word.
  return static_cast<uint32_t>(status.signaled_by & kLowMask) |
         static_cast<uint32_t>(attached & kLowMask) << 16;
}

}  // namespace xenshm::qnx
