// libxenshm's C++ API: attach to named shared-memory regions from a Xen
// guest or dom0.
//
// A header-only layer over the C API (xenshm/xenshm.h), whose header essay
// is the reference for concepts, lifetime, partial failures and the thread
// rules: libxenshm.so.1 exports only that C ABI, and everything here is
// inline. Errors are Status values rebuilt from the C call's status and
// this thread's xenshm_last_error(); their codes match xenstore's `status`
// node and the CLI: illegal-name, does-not-exist, client-max, no-memory,
// no-permission, grant-budget, already-attached, backend-unavailable,
// timed-out, ... Nothing is left half-attached on failure.
//
// Threading (xenshm.h, "Threads"): one thread may Wait while others Signal,
// TakeStatus, PeekStatus, Peers or ReachablePeers on the same Region;
// Detach and destruction must not overlap any other call on it.
#ifndef XENSHM_FRONTEND_CLIENT_H_
#define XENSHM_FRONTEND_CLIENT_H_

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "xenshm/signals.h"
#include "xenshm/status.h"
#include "xenshm/types.h"
#include "xenshm/xenshm.h"

namespace xenshm {

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

namespace c_api {

// The Status of a failed C call: its code and this thread's message.
inline Status LastFailure(int status) {
  return Status(static_cast<Code>(status), xenshm_last_error());
}

inline Status StatusOf(int status) {
  return status == XENSHM_OK ? Status() : LastFailure(status);
}

}  // namespace c_api

class Client;

// One attachment. Destroying it detaches (ignoring Detach's Status).
class Region {
 public:
  // Takes ownership of an attached C region.
  explicit Region(xenshm_region* adopted)
      : region_(adopted), name_(xenshm_region_name(adopted)) {}
  ~Region() { xenshm_region_free(region_); }
  Region(const Region&) = delete;
  Region& operator=(const Region&) = delete;

  const std::string& name() const { return name_; }
  // The region's real size in bytes (the creator's), whatever was asked.
  uint64_t size() const { return xenshm_region_size(region_); }
  uint32_t peer_index() const { return xenshm_region_peer_index(region_); }
  uint32_t handle() const { return xenshm_region_handle(region_); }
  bool writable() const { return xenshm_region_writable(region_) != 0; }
  // The mapping: size() bytes, page aligned. Null after Detach.
  void* data() const { return xenshm_region_data(region_); }

  // The peers attached now (this attachment's own members value, which
  // only it can read, so it holds whatever the region is called).
  // If xenshmd has closed this attachment (restarted with --reset), the
  // error is its status: backend-unavailable, "xenshmd restarted: ...".
  Result<std::vector<PeerInfo>> Peers() const {
    xenshm_peer_info raw[XENSHM_MAX_PEERS];
    size_t count = 0;
    int status = xenshm_peers(region_, raw, XENSHM_MAX_PEERS, &count);
    if (status != XENSHM_OK) return Error(c_api::LastFailure(status));
    std::vector<PeerInfo> peers;
    for (size_t i = 0; i < count; ++i) {
      peers.push_back({raw[i].index, raw[i].domain, raw[i].handle});
    }
    return peers;
  }
  // Leaves the region; xenshm_detach says what each failure leaves. Only
  // the first call does anything: a later call returns ok.
  Status Detach() { return c_api::StatusOf(xenshm_detach(region_)); }

  // Signals. Only the chosen peers get an interrupt; the report says which
  // were reached. `targets` may be kAllPeers (everyone but me).
  Result<SignalReport> Signal(PeerSet targets) {
    xenshm_signal_report report{};
    int status = xenshm_signal(region_, targets, &report);
    if (status != XENSHM_OK) return Error(c_api::LastFailure(status));
    return SignalReport{report.reached, report.missed};
  }
  // Signals every peer attached from `domain`.
  Result<SignalReport> SignalDomain(DomainId domain) {
    xenshm_signal_report report{};
    int status = xenshm_signal_domain(region_, domain, &report);
    if (status != XENSHM_OK) return Error(c_api::LastFailure(status));
    return SignalReport{report.reached, report.missed};
  }
  // The status now, without blocking; clears signaled_by.
  Result<SignalStatus> TakeStatus() {
    return FromC(xenshm_take_status, region_);
  }
  // The same without clearing anything (for loops that wait for peers and
  // must not swallow a signal meant for later).
  Result<SignalStatus> PeekStatus() {
    return FromC(xenshm_peek_status, region_);
  }
  // Blocks until a peer signals us or the attached set changes; kTimedOut
  // after `timeout` (up to twice that if woken without news meanwhile: the
  // clock is read only then, to keep the signal path lean).
  Result<SignalStatus> Wait(std::chrono::milliseconds timeout) {
    const int ms =
        static_cast<int>(std::clamp<int64_t>(timeout.count(), 0, INT_MAX));
    return FromC(
        [ms](xenshm_region* r, xenshm_signal_status* s) {
          return xenshm_wait(r, ms, s);
        },
        region_);
  }
  // The same with no deadline, for a thread that does nothing else. It
  // returns only with news: a thread that must also stop on request uses
  // Wait(timeout), or polls event_fd() beside its own wake-up fd.
  Result<SignalStatus> Wait() {
    return FromC([](xenshm_region* r,
                    xenshm_signal_status* s) { return xenshm_wait(r, -1, s); },
                 region_);
  }
  // Readable when there may be news (poll/epoll); then call TakeStatus.
  // -1 after Detach.
  int event_fd() const { return xenshm_event_fd(region_); }
  // Peers a signal would reach now. Channels to a new peer are set up while
  // both sides' libraries run (any call here, or TakeStatus after event_fd
  // polls readable), so a peer that never looks is never reachable.
  Result<PeerSet> ReachablePeers() {
    xenshm_peer_set set = 0;
    int status = xenshm_reachable_peers(region_, &set);
    if (status != XENSHM_OK) return Error(c_api::LastFailure(status));
    return set;
  }

  // The C handle, for code that mixes the two APIs; owned by this Region.
  xenshm_region* c_region() const { return region_; }

 private:
  template <typename F>
  static Result<SignalStatus> FromC(F&& call, xenshm_region* region) {
    xenshm_signal_status raw{};
    int status = call(region, &raw);
    if (status != XENSHM_OK) return Error(c_api::LastFailure(status));
    return SignalStatus{raw.signaled_by, raw.attached};
  }

  xenshm_region* region_;
  const std::string name_;
};

class Client {
 public:
  // The real platform of the domain this program runs in (xenshm_open).
  static Result<Client> Open() {
    xenshm_client* client = nullptr;
    int status = xenshm_open(0, &client);
    if (status != XENSHM_OK) return Error(c_api::LastFailure(status));
    return Client(client);
  }
  // Takes ownership of an open C client.
  explicit Client(xenshm_client* adopted) : client_(adopted) {}
  Client(Client&& other) noexcept
      : client_(std::exchange(other.client_, nullptr)) {}
  Client& operator=(Client&& other) noexcept {
    std::swap(client_, other.client_);
    return *this;
  }
  ~Client() { xenshm_close(client_); }

  // Creates or joins region `name`. `size` (bytes) matters only when this
  // attach creates the region; read Region::size() for the real size.
  Result<std::unique_ptr<Region>> Attach(std::string_view name, uint64_t size,
                                         const AttachOptions& options = {}) {
    // The C API reads a NUL-terminated name: one with a NUL inside would
    // be another name.
    if (name.find('\0') != std::string_view::npos) {
      return Error(Code::kIllegalName, "region name contains a NUL byte");
    }
    xenshm_attach_options c_options;
    xenshm_attach_options_init(&c_options);
    c_options.mode = options.mode == AttachMode::kAttachOnly
                         ? XENSHM_ATTACH_ONLY
                         : XENSHM_CREATE_OR_ATTACH;
    c_options.access = options.access == Access::kReadOnly ? XENSHM_READ_ONLY
                                                           : XENSHM_READ_WRITE;
    c_options.use_handle = options.handle.has_value();
    c_options.handle = options.handle.value_or(0);
    c_options.timeout_ms = static_cast<int32_t>(
        std::clamp<int64_t>(options.timeout.count(), 0, INT32_MAX));
    xenshm_region* region = nullptr;
    int status = xenshm_attach(client_, std::string(name).c_str(), size,
                               &c_options, &region);
    if (status != XENSHM_OK) return Error(c_api::LastFailure(status));
    return std::make_unique<Region>(region);
  }

  DomainId domain() const { return xenshm_client_domain(client_); }

  // The C handle, owned by this Client.
  xenshm_client* c_client() const { return client_; }

 private:
  xenshm_client* client_;
};

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_CLIENT_H_
