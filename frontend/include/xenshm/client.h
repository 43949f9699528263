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

#include "xenshm/signals.h"
#include "xenshm/status.h"
#include "xenshm/types.h"

namespace xenshm {

// What a Client runs over: Xen's libraries in a real program, or the fake
// hypervisor in tests. Opaque to the API; programs in this project open one
// with platform/real (OpenRealGuestPlatform) and pass it by reference.
struct Platform;

enum class AttachMode {
  kCreateOrAttach,  // create the region if no one has it, else join it
  kAttachOnly,      // join an existing region; kDoesNotExist if there is none
};

enum class Access {
  kReadWrite,
  kReadOnly,  // the mapping is read-only (a write faults)
};

struct AttachOptions {
  AttachMode mode = AttachMode::kCreateOrAttach;
  Access access = Access::kReadWrite;
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

// One attachment. Destroying it detaches (ignoring Detach's Status).
class Region {
 public:
  ~Region();
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  const std::string& name() const;
  // The region's real size in bytes (the creator's), whatever was asked.
  uint64_t size() const;
  uint32_t peer_index() const;
  uint32_t handle() const;
  bool writable() const;
  // The mapping: size() bytes, page aligned. Null after Detach.
  void* data() const;

  // The peers attached now (this attachment's own members value, which
  // only it can read, so it holds whatever the region is called).
  // If xenshmd has closed this attachment (restarted with --reset), the
  // error is its status: backend-unavailable, "xenshmd restarted: ...".
  Result<std::vector<PeerInfo>> Peers() const;
  // Leaves the region: unmaps it (data() becomes null, at once and whatever
  // is returned), closes this peer's channels, tells xenshmd (state
  // Closing), waits up to 5 s for xenshmd to confirm (state Closed), then
  // withdraws the request from xenstore (which frees the handle).
  //
  // ok: xenshmd confirmed and the request is withdrawn; this peer has left.
  // On failure every step was still tried, and the first failure is
  // returned, its message naming the region and handle:
  //   - telling xenshmd failed: the xenstore write's code;
  //   - xenshmd did not confirm within 5 s: kBackendUnavailable (is it
  //     running?); the region is unmapped and the request withdrawn all the
  //     same;
  //   - withdrawing the request failed: the xenstore remove's code (a
  //     request already gone counts as withdrawn).
  // Only the first call does anything: a later call returns ok.
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
  struct Impl;  // the mapping, channels and xenstore bookkeeping
  explicit Region(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

class Client {
 public:
  // `platform` must outlive the Client and every Region it attaches.
  explicit Client(Platform& platform) : platform_(platform) {}

  // Creates or joins region `name`. `size` (bytes) matters only when this
  // attach creates the region; read Region::size() for the real size.
  Result<std::unique_ptr<Region>> Attach(std::string_view name, uint64_t size,
                                         const AttachOptions& options = {});

  DomainId domain() const;

 private:
  Platform& platform_;
};

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_CLIENT_H_
