// libxenshm: attach to named shared-memory regions from a Xen guest or dom0.
//
// Concepts. A region is a named block of memory owned by dom0 (xenshmd and
// the xenshm kernel module). Attach("moo", size) creates the region if no one
// has it (the creator's size wins) or joins it; every attachment is a peer
// with an index; the last detach destroys the region. In a guest the pages
// arrive as grants from dom0 and are mapped with the stock xen-gntdev driver;
// in dom0 they are mapped through the kernel module.
//
// Errors are Status values whose codes match xenstore's `status` node and the
// CLI: illegal-name, does-not-exist, client-max, no-memory, no-permission,
// grant-budget, already-attached, backend-unavailable, timed-out, ...
// Nothing is left half-attached on failure.
//
// Threading: a Client and its Regions are used from one thread at a time.
#ifndef XENSHM_FRONTEND_CLIENT_H_
#define XENSHM_FRONTEND_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "platform/platform.h"
#include "xenshm/signals.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/schema.h"

namespace xenshm {

struct AttachOptions {
  schema::AttachMode mode = schema::AttachMode::kCreateOrAttach;
  schema::Access access = schema::Access::kReadWrite;
  // Use this request handle instead of the lowest free one; attaching a
  // handle that is in use fails with kAlreadyAttached.
  std::optional<uint32_t> handle;
  // How long to wait for xenshmd's answer.
  std::chrono::milliseconds timeout{10000};
};

struct PeerInfo {
  uint32_t index = 0;
  DomainId domain = 0;
  uint32_t handle = 0;
  friend bool operator==(const PeerInfo&, const PeerInfo&) = default;
};

class Client;
class PeerChannels;
class StepTrace;

// One attachment. Destroying it detaches.
class Region {
 public:
  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  const std::string& name() const { return name_; }
  // The region's real size in bytes (the creator's), whatever was asked.
  uint64_t size() const { return size_; }
  uint32_t peer_index() const { return peer_index_; }
  uint32_t handle() const { return handle_; }
  bool writable() const { return writable_; }
  // The mapping: size() bytes, page aligned. Null after Detach.
  void* data() const { return data_; }

  // The peers attached now (from the registry only members can read).
  // If xenshmd has closed this attachment (restarted with --reset), the
  // error is its status: backend-unavailable, "xenshmd restarted: ...".
  Result<std::vector<PeerInfo>> Peers() const;
  // Unmaps and tells xenshmd. Idempotent: a second call returns ok.
  Status Detach();

  // Signals. Only the chosen peers get an interrupt; the report says which
  // were reached. `targets` may be kAllPeers (everyone but me).
  Result<SignalReport> Signal(PeerSet targets);
  // Signals every peer attached from `domain`.
  Result<SignalReport> SignalDomain(DomainId domain);
  // The status now, without blocking; clears signaled_by.
  Result<SignalStatus> TakeStatus();
  // The same without clearing anything (for loops that wait for peers and
  // must not swallow a signal meant for later).
  Result<SignalStatus> PeekStatus();
  // Blocks until a peer signals us or the attached set changes; kTimedOut
  // after `timeout` (up to twice that if woken without news meanwhile: the
  // clock is read only then, to keep the signal path lean).
  Result<SignalStatus> Wait(std::chrono::milliseconds timeout);
  // The same with no deadline: the cheapest wait (one blocking read per
  // event, as a raw libxenevtchn loop), for a thread that does nothing else.
  // It returns only with news: a thread that must also stop on request
  // uses Wait(timeout), or polls event_fd() beside its own wake-up fd.
  Result<SignalStatus> Wait();
  // Readable when there may be news (poll/epoll); then call TakeStatus.
  int event_fd() const;
  // Peers a signal would reach now. Channels to a new peer are set up while
  // both sides' libraries run (any call here, or TakeStatus after event_fd
  // polls readable), so a peer that never looks is never reachable.
  Result<PeerSet> ReachablePeers();

 private:
  friend class Client;
  Region() = default;

  Client* client_ = nullptr;
  std::string name_;
  uint64_t size_ = 0;
  uint32_t peer_index_ = 0;
  uint32_t handle_ = 0;
  bool writable_ = false;
  void* data_ = nullptr;
  std::unique_ptr<GrantMapping> grant_mapping_;    // guests
  std::unique_ptr<RegionMapping> region_mapping_;  // dom0
  std::unique_ptr<PeerChannels> channels_;
  bool detached_ = false;
};

class Client {
 public:
  // `platform` must outlive the Client and every Region it attaches.
  explicit Client(Platform& platform) : platform_(platform) {}

  // Creates or joins region `name`. `size` (bytes) matters only when this
  // attach creates the region; read Region::size() for the real size.
  Result<std::unique_ptr<Region>> Attach(std::string_view name, uint64_t size,
                                         const AttachOptions& options = {});

  DomainId domain() const { return platform_.self; }

 private:
  friend class Region;
  Result<uint32_t> SubmitRequest(const schema::AttachRequest& request,
                                 const AttachOptions& options);
  // Waits for the backend's state to become Connected or Closed (only
  // Closed if `closed_only`).
  Result<schema::XenbusState> AwaitBackend(uint32_t handle,
                                           std::chrono::milliseconds timeout,
                                           bool closed_only = false);
  Result<uint64_t> ReadBackendNumber(uint32_t handle, std::string_view node,
                                     uint64_t max);
  // Reads the region's real size and our peer index.
  Status ReadGeometry(Region& region, uint32_t handle);
  // REQUIRES: ReadGeometry and the channels are done.
  Status MapRegion(Region& region, uint32_t handle, StepTrace& trace);
  void WithdrawRequest(uint32_t handle);

  Platform& platform_;
};

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_CLIENT_H_
