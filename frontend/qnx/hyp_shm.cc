// hyp_shm.h over the C API: a handle is one CompatPeer of a dom0 client.
#include "xenshm/hyp_shm.h"

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <string>

#include "frontend/qnx/compat_peer.h"
#include "frontend/qnx/handles.h"

using xenshm::qnx::CompatPeer;
using xenshm::qnx::SetLastError;

struct hyp_shm {
  xenshm_client* client = nullptr;
  bool owns_client = false;
  CompatPeer peer;

  ~hyp_shm() {
    peer.Detach();
    if (owns_client) xenshm_close(client);
  }
};

namespace {

constexpr size_t kPage = 0x1000;

int Fail(int err, std::string message) {
  SetLastError(std::move(message));
  errno = err;
  return -1;
}

}  // namespace

hyp_shm* xenshm::qnx::NewHypShm(xenshm_client* client, bool owns) {
  hyp_shm* shm = new hyp_shm;
  shm->client = client;
  shm->owns_client = owns;
  return shm;
}

extern "C" {

hyp_shm* hyp_shm_create_on(xenshm_client* client) {
  if (client == nullptr) {
    Fail(EINVAL, "hyp_shm_create_on: NULL client");
    return nullptr;
  }
  return xenshm::qnx::NewHypShm(client, /*owns=*/false);
}

void hyp_shm_destroy(hyp_shm* shm) { delete shm; }

int hyp_shm_attach(hyp_shm* shm, const char* name, size_t size, unsigned mode,
                   int gid) {
  if (shm == nullptr || name == nullptr) {
    Fail(EINVAL, "hyp_shm_attach: NULL handle or name");
    return GSS_UNKNOWN_FAILURE;
  }
  if (shm->peer.attached()) {
    Fail(EBUSY, "hyp_shm_attach: the handle is attached to '" +
                    std::string(hyp_shm_name(shm)) + "'");
    return GSS_UNKNOWN_FAILURE;
  }
  // Refused rather than ignored: a region's mode and group are dom0's
  // policy's (its xenshm stanza's mode= and gid=), not the attacher's.
  if (mode != HYP_SHM_MODE_DEFAULT || gid != HYP_SHM_GID_DEFAULT) {
    Fail(EINVAL,
         "hyp_shm_attach: mode and gid come from dom0's xenshm policy "
         "(/etc/xenshm/policy.cfg, xenshm = [ \"mode=...\", \"gid=...\" ]); "
         "pass HYP_SHM_MODE_DEFAULT and HYP_SHM_GID_DEFAULT");
    return GSS_UNKNOWN_FAILURE;
  }
  const size_t length = strnlen(name, GUEST_SHM_MAX_NAME + 1);
  // Whole pages, as guests ask; a size too large to round is left for the
  // C API to refuse.
  const uint64_t bytes = size > SIZE_MAX - kPage
                             ? uint64_t{size}
                             : (uint64_t{size} + kPage - 1) / kPage * kPage;
  return static_cast<int>(shm->peer.Attach(
      shm->client, std::string_view(name, length), bytes, /*create=*/true));
}

void* hyp_shm_data(const hyp_shm* shm) {
  return shm != nullptr && shm->peer.attached()
             ? xenshm_region_data(shm->peer.region())
             : nullptr;
}

size_t hyp_shm_size(const hyp_shm* shm) {
  return shm != nullptr && shm->peer.attached()
             ? static_cast<size_t>(xenshm_region_size(shm->peer.region()))
             : 0;
}

unsigned hyp_shm_idx(const hyp_shm* shm) {
  return shm != nullptr && shm->peer.attached() ? shm->peer.index() : 0;
}

const char* hyp_shm_name(const hyp_shm* shm) {
  return shm != nullptr && shm->peer.attached()
             ? xenshm_region_name(shm->peer.region())
             : "";
}

int hyp_shm_poke(hyp_shm* shm, uint32_t clients) {
  if (shm == nullptr || !shm->peer.attached()) {
    return Fail(EINVAL, "hyp_shm_poke: not attached");
  }
  return shm->peer.Notify(clients) == XENSHM_OK ? 0 : -1;
}

uint32_t hyp_shm_status(hyp_shm* shm) {
  if (shm == nullptr || !shm->peer.attached()) return 0;
  return shm->peer.TakeStatusWord();
}

int hyp_shm_event_fd(const hyp_shm* shm) {
  if (shm == nullptr || !shm->peer.attached()) {
    return Fail(EINVAL, "hyp_shm_event_fd: not attached");
  }
  return xenshm_event_fd(shm->peer.region());
}

int hyp_shm_detach(hyp_shm* shm) {
  if (shm == nullptr || !shm->peer.attached()) {
    return Fail(EINVAL, "hyp_shm_detach: not attached");
  }
  return shm->peer.Detach() == XENSHM_OK ? 0 : -1;
}

}  // extern "C"
