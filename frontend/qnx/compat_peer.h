// CompatPeer: one QNX-style attachment over the C API, shared by
// guest_shm.h and hyp_shm.h: the 0..15 index rule, the GSS_* codes, and
// the 16-bit notify and status words. Calls only xenshm.h.
#ifndef XENSHM_FRONTEND_QNX_COMPAT_PEER_H_
#define XENSHM_FRONTEND_QNX_COMPAT_PEER_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "xenshm/guest_shm.h"
#include "xenshm/xenshm.h"

namespace xenshm::qnx {

// The GSS_* code of a xenshm status (0..6 are the same codes; resources
// are GSS_NOMEM; the rest GSS_UNKNOWN_FAILURE).
uint32_t GssFromStatus(int status);

// This thread's guest_shm_last_error() message.
void SetLastError(std::string message);
const char* LastError();

// A QNX region name (up to GUEST_SHM_MAX_NAME bytes, NUL-terminated unless
// that long) read from `name`, never beyond the 32 bytes.
std::string NameFrom(const char (&name)[GUEST_SHM_MAX_NAME]);

class CompatPeer {
 public:
  CompatPeer() = default;
  CompatPeer(const CompatPeer&) = delete;
  CompatPeer& operator=(const CompatPeer&) = delete;
  ~CompatPeer() { Detach(); }

  // Attaches `name` (create or join, or join only) as a compatibility peer.
  // A GSS_* code; on failure nothing stays attached and LastError() says
  // why. REQUIRES: not attached.
  uint32_t Attach(xenshm_client* client, std::string_view name, uint64_t bytes,
                  bool create);
  // Leaves the region; 0 or the C API's status. Nothing when not attached.
  int Detach();

  bool attached() const { return region_ != nullptr; }
  xenshm_region* region() const { return region_; }
  uint32_t index() const;
  // QNX's notify store: bits 0..15, or ~0 for everyone but me.
  int Notify(uint32_t clients);
  // QNX's status load: notified-by bits low, attached bits high (peers a
  // notify from here reaches, and this one); reading clears the notified-by
  // bits. 0 when not attached or on failure.
  uint32_t TakeStatusWord();

 private:
  xenshm_region* region_ = nullptr;
};

}  // namespace xenshm::qnx

#endif  // XENSHM_FRONTEND_QNX_COMPAT_PEER_H_
