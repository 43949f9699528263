// Attachment: one peer's attachment to a region, over a Platform (Xen's
// libraries, or the fake hypervisor in tests). Internal to libxenshm: the
// C API (xenshm/xenshm.h) wraps it, and the C++ API wraps that.
//
// Threads: every call but Detach may run from several threads at once
// (mu_ guards the channels' bookkeeping). Wait blocks in poll() without
// holding it, on the event channels and on a wake-up fd that another
// thread's call raises when it read an event and left news behind. Detach
// REQUIRES that no other call is in progress.
#ifndef XENSHM_FRONTEND_LIB_ATTACHMENT_H_
#define XENSHM_FRONTEND_LIB_ATTACHMENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "base/types.h"
#include "platform/platform.h"
#include "xenshm/signals.h"

namespace xenshm {

class PeerChannels;
class StepTrace;
class WaiterWakeup;

struct AttachParams {
  bool attach_only = false;  // join an existing region, never create one
  bool read_only = false;
  // Use this request handle instead of the lowest free one.
  std::optional<uint32_t> handle;
  // How long to wait for xenshmd's answer.
  std::chrono::milliseconds timeout{10000};
};

struct Peer {
  uint32_t index = 0;
  DomainId domain = 0;
  uint32_t handle = 0;
};

class Attachment {
 public:
  // Creates or joins region `name`; nothing is left behind on failure.
  static Result<std::unique_ptr<Attachment>> Attach(Platform& platform,
                                                    std::string_view name,
                                                    uint64_t size,
                                                    const AttachParams& params);
  ~Attachment();
  Attachment(const Attachment&) = delete;
  Attachment& operator=(const Attachment&) = delete;

  const std::string& name() const { return name_; }
  uint64_t size() const { return size_; }
  uint32_t peer_index() const { return peer_index_; }
  uint32_t handle() const { return handle_; }
  bool writable() const { return writable_; }
  // Null after Detach.
  void* data() const { return data_; }

  // The semantics are xenshm/xenshm.h's, call by call.
  Status Detach();
  Result<std::vector<Peer>> Peers() const;
  Result<SignalReport> Signal(PeerSet targets);
  Result<SignalReport> SignalDomain(DomainId domain);
  Result<SignalStatus> TakeStatus();
  Result<SignalStatus> PeekStatus();
  // No deadline when `timeout` is nullopt.
  Result<SignalStatus> Wait(std::optional<std::chrono::milliseconds> timeout);
  int event_fd() const;
  Result<PeerSet> ReachablePeers();

 private:
  Attachment(Platform& platform, std::string name, uint32_t handle,
             bool writable);
  // Reads the region's real size and our peer index.
  Status ReadGeometry();
  // REQUIRES: ReadGeometry and the channels are done.
  Status Map(StepTrace& trace);
  // What calls on a detached attachment return.
  Status DetachedError() const;
  // Handles pending events; wakes waiters if news is left for them.
  // REQUIRES: mu_ held, attached.
  Status ProcessAndWake();

  Platform& platform_;
  const std::string name_;
  uint64_t size_ = 0;
  uint32_t peer_index_ = 0;
  const uint32_t handle_;
  const bool writable_;
  void* data_ = nullptr;
  std::unique_ptr<GrantMapping> grant_mapping_;    // guests
  std::unique_ptr<RegionMapping> region_mapping_;  // dom0
  // Guards channels_'s state (not the pointer: only Attach and Detach
  // change that, and they run alone).
  mutable std::mutex mu_;
  std::unique_ptr<PeerChannels> channels_;
  std::unique_ptr<WaiterWakeup> wakeup_;
  int waiters_ = 0;  // threads in Wait, guarded by mu_
  // Counts the times events were read, guarded by mu_: a waiter whose poll
  // saw the fd readable reads one event only if nobody read since (else
  // that read could block with the lock held).
  uint64_t reads_ = 0;
  bool detached_ = false;
};

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_LIB_ATTACHMENT_H_
