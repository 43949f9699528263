#include "frontend/lib/attachment.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <set>

#include "base/status.h"
#include "base/types.h"
#include "frontend/lib/peer_channels.h"
#include "frontend/lib/step_trace.h"
#include "frontend/lib/waiter_wakeup.h"
#include "platform/platform.h"
#include "platform/xenstore_retry.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/grant_directory.h"
#include "xenstore-schema/limits.h"
#include "xenstore-schema/member_list.h"
#include "xenstore-schema/schema.h"

namespace xenshm {

namespace {

using Clock = std::chrono::steady_clock;

// Long enough for a busy dom0 (the lab under emulation answered in up to
// ~4 s), short enough that a dead xenshmd does not hang the caller long.
constexpr std::chrono::milliseconds kDetachTimeout{5000};

Status ReadStatusNodes(XenStore& xenstore, DomainId domain, uint32_t handle) {
  auto code_name = xenstore.Read(
      kNoTransaction, schema::BackendNode(domain, handle, schema::kNodeStatus));
  auto message =
      xenstore.Read(kNoTransaction,
                    schema::BackendNode(domain, handle, schema::kNodeMessage));
  std::optional<Code> code =
      code_name ? CodeFromName(*code_name) : std::nullopt;
  return Status(code.value_or(Code::kUnknownFailure),
                message ? *message : std::string());
}

// Watches `path` and calls `done` after every change (and at least every
// 100 ms: watch events can coalesce) until it returns true or `timeout`
// passes. Returns whether `done` said true.
bool WatchUntil(XenStore& xenstore, const std::string& path,
                std::chrono::milliseconds timeout,
                const std::function<bool()>& done) {
  if (done()) return true;  // the common case costs no watch round trips
  const auto deadline = Clock::now() + timeout;
  const std::string token = "xenshm-wait:" + path;
  bool watching = xenstore.Watch(path, token).ok();
  bool finished = false;
  while (!(finished = done())) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - Clock::now());
    if (left.count() <= 0) break;
    pollfd fd{xenstore.watch_fd(), POLLIN, 0};
    poll(&fd, 1, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    while (xenstore.TakeWatchEvent()) {
    }
  }
  if (watching) (void)xenstore.Unwatch(path, token);
  return finished;
}

// Writes the request under the lowest free handle (or options.handle) and
// returns that handle.
Result<uint32_t> SubmitRequest(Platform& platform,
                               const schema::AttachRequest& request,
                               const AttachParams& options) {
  XenStore& xenstore = *platform.xenstore;
  const DomainId self = platform.self;
  // A domain that just started may be ahead of xenshmd's set-up.
  const std::string root = schema::FrontendRoot(self);
  if (!WatchUntil(xenstore, root, options.timeout, [&] {
        return xenstore.Read(kNoTransaction, root).has_value();
      })) {
    return Error(Code::kBackendUnavailable,
                 "no " + schema::FrontendRoot(self) + " after " +
                     std::to_string(options.timeout.count()) +
                     " ms: xenshmd has not set up this domain (is it "
                     "running?)");
  }
  uint32_t handle = 0;
  Status submitted = RetryOnAgain(xenstore, [&](XsTransaction t) -> Status {
    auto children = xenstore.List(t, schema::FrontendRoot(self));
    if (!children) return children.error();
    std::set<uint32_t> used;
    for (const auto& child : *children) {
      if (auto used_handle = schema::ParseHandle(child)) {
        used.insert(*used_handle);
      }
    }
    // A handle whose backend directory xenshmd has not cleaned up yet is
    // still in use: reusing it would look like a backward state move.
    if (auto answers = xenstore.List(t, schema::BackendDomainPath(self))) {
      for (const auto& child : *answers) {
        if (auto used_handle = schema::ParseHandle(child)) {
          used.insert(*used_handle);
        }
      }
    }
    handle = 0;
    if (options.handle) {
      handle = *options.handle;
      if (used.contains(handle)) {
        return Status(Code::kAlreadyAttached,
                      "handle " + std::to_string(handle) + " is in use");
      }
    } else {
      while (used.contains(handle)) ++handle;
    }
    if (handle > schema::kMaxHandle) {
      return Status(Code::kClientMax, "this domain has no free handle");
    }
    XENSHM_RETURN_IF_ERROR(
        schema::WriteAttachRequest(xenstore, t, self, handle, request));
    return xenstore.Write(
        t, schema::FrontendNode(self, handle, schema::kNodeState),
        schema::StateValue(schema::XenbusState::kInitialised));
  });
  if (!submitted.ok()) return Error(submitted);
  return handle;
}

// Waits for the backend's state to become Connected or Closed (only Closed
// if `closed_only`).
Result<schema::XenbusState> AwaitBackend(Platform& platform, uint32_t handle,
                                         std::chrono::milliseconds timeout,
                                         bool closed_only = false) {
  XenStore& xenstore = *platform.xenstore;
  const std::string state_path =
      schema::BackendNode(platform.self, handle, schema::kNodeState);
  std::optional<schema::XenbusState> reached;
  WatchUntil(xenstore, state_path, timeout, [&] {
    auto raw = xenstore.Read(kNoTransaction, state_path);
    auto state =
        raw ? schema::ParseState(*raw)
            : Result<schema::XenbusState>(Error(Code::kNotFound, "no state"));
    if (state && ((*state == schema::XenbusState::kConnected && !closed_only) ||
                  *state == schema::XenbusState::kClosed)) {
      reached = *state;
    }
    return reached.has_value();
  });
  if (!reached) {
    return Error(Code::kBackendUnavailable,
                 "xenshmd did not answer within " +
                     std::to_string(timeout.count()) + " ms");
  }
  return *reached;
}

Result<uint64_t> ReadBackendNumber(Platform& platform, uint32_t handle,
                                   std::string_view node, uint64_t max) {
  auto raw = platform.xenstore->Read(
      kNoTransaction, schema::BackendNode(platform.self, handle, node));
  if (!raw) return std::unexpected(raw.error());
  return schema::ParseDecimal(*raw, max, node);
}

// Removes our request directory, which frees the handle. A request that is
// already gone counts as withdrawn.
Status WithdrawRequest(Platform& platform, uint32_t handle) {
  Status removed = platform.xenstore->Remove(
      kNoTransaction, schema::FrontendPath(platform.self, handle));
  if (removed.code() == Code::kNotFound) return Status();
  return removed;
}

}  // namespace

Status Attachment::ReadGeometry() {
  auto real_size = ReadBackendNumber(platform_, handle_, schema::kNodeSize,
                                     schema::kMaxRegionBytes);
  auto index = ReadBackendNumber(platform_, handle_, schema::kNodePeerIndex,
                                 schema::kMaxPeers - 1);
  if (!real_size) return real_size.error();
  if (!index) return index.error();
  size_ = *real_size;
  peer_index_ = static_cast<uint32_t>(*index);
  return Status();
}

Status Attachment::Map(StepTrace& trace) {
  XenStore& xenstore = *platform_.xenstore;
  const DomainId self = platform_.self;
  auto read_number = [&](std::string_view node, uint64_t max) {
    return ReadBackendNumber(platform_, handle_, node, max);
  };
  const uint64_t pages = schema::PagesFor(size_);

  if (self == kDom0) {
    if (!platform_.region_granter) {
      return Status(Code::kBackendUnavailable,
                    "dom0 attach needs the xenshm kernel module");
    }
    // A read-only attachment's id is the region's read-only view; mapped
    // read-only, any id maps so that mprotect cannot make it writable.
    auto id = read_number(schema::kNodeRegionId, UINT64_MAX);
    if (!id) return id.error();
    auto mapping =
        platform_.region_granter->MapLocal(*id, /*readonly=*/!writable_);
    if (!mapping) return mapping.error();
    data_ = (*mapping)->data();
    region_mapping_ = std::move(*mapping);
    return Status();
  }

  auto raw_directory = xenstore.Read(
      kNoTransaction,
      schema::BackendNode(self, handle_, schema::kNodeGrantDirectory));
  if (!raw_directory) return raw_directory.error();
  auto directory_refs =
      schema::ParseRefList(*raw_directory, schema::GrantDirectoryPages(pages));
  if (!directory_refs) return directory_refs.error();
  std::vector<GrantRef> refs;
  {
    auto directory = platform_.grant_mapper->Map(kDom0, *directory_refs,
                                                 /*writable=*/false);
    if (!directory) return directory.error();
    auto listed = schema::ReadGrantDirectory(
        std::span(static_cast<const std::byte*>((*directory)->data()),
                  (*directory)->size()),
        pages);
    if (!listed) return listed.error();
    refs = std::move(*listed);
  }
  trace.Step("directory");
  UnmapNotify notify;
  notify.port = channels_->control_port();
  auto mapping = platform_.grant_mapper->Map(kDom0, refs, writable_, notify);
  if (!mapping) return mapping.error();
  data_ = (*mapping)->data();
  grant_mapping_ = std::move(*mapping);
  trace.Step("map");
  return Status();
}

Attachment::Attachment(Platform& platform, std::string name, uint32_t handle,
                       bool writable)
    : platform_(platform),
      name_(std::move(name)),
      handle_(handle),
      writable_(writable) {}

Attachment::~Attachment() { (void)Detach(); }

Result<std::unique_ptr<Attachment>> Attachment::Attach(
    Platform& platform, std::string_view name, uint64_t size,
    const AttachParams& options) {
  auto valid_name = schema::ParseRegionName(name);
  if (!valid_name) return std::unexpected(valid_name.error());
  if (size == 0 || size > schema::kMaxRegionBytes) {
    return Error(Code::kInvalidArgument,
                 "size " + std::to_string(size) + " is not in 1.." +
                     std::to_string(schema::kMaxRegionBytes));
  }
  schema::AttachRequest request{
      .name = *valid_name,
      .size = size,
      .mode = options.attach_only ? schema::AttachMode::kAttachOnly
                                  : schema::AttachMode::kCreateOrAttach,
      .access = options.read_only ? schema::Access::kReadOnly
                                  : schema::Access::kReadWrite,
      .pid = std::nullopt};
  // dom0 programs map through the kernel module, which cannot tell xenshmd
  // that a process died holding a mapping; xenshmd watches the pid instead.
  if (platform.self == kDom0) request.pid = getpid();
  StepTrace trace("attach '" + *valid_name + "'");
  auto handle = SubmitRequest(platform, request, options);
  if (!handle) return std::unexpected(handle.error());
  trace.Step("request");

  auto state = AwaitBackend(platform, *handle, options.timeout);
  trace.Step("backend");
  if (!state) {
    (void)WithdrawRequest(platform, *handle);
    return std::unexpected(state.error());
  }
  if (*state != schema::XenbusState::kConnected) {
    Status refused =
        ReadStatusNodes(*platform.xenstore, platform.self, *handle);
    (void)WithdrawRequest(platform, *handle);
    return Error(refused);
  }
  std::unique_ptr<Attachment> region(new Attachment(
      platform, request.name, *handle, /*writable=*/!options.read_only));
  // On a failure below, Detach undoes what was done; its own Status adds
  // nothing to the caller's (the attach failed, whatever it says).
  if (Status read = region->ReadGeometry(); !read.ok()) {
    (void)region->Detach();
    return Error(read);
  }
  trace.Step("geometry");
  // Channels first: the mapping's unmap-notify signals xenshmd on the
  // control channel if this process dies without detaching.
  auto channels =
      PeerChannels::Open(platform, *handle, region->peer_index_,
                         std::chrono::steady_clock::now() + options.timeout);
  if (!channels) {
    (void)region->Detach();
    return std::unexpected(channels.error());
  }
  region->channels_ = std::move(*channels);
  auto wakeup = WaiterWakeup::Create();
  if (!wakeup) {
    (void)region->Detach();
    return std::unexpected(wakeup.error());
  }
  region->wakeup_ = std::move(*wakeup);
  trace.Step("channels");
  if (Status mapped = region->Map(trace); !mapped.ok()) {
    (void)region->Detach();
    return Error(mapped);
  }
  // Our end of the control channel first: a restarted xenshmd binds it
  // again (closing its end left ours unbound, waiting for dom0).
  (void)platform.xenstore->Write(
      kNoTransaction,
      schema::FrontendNode(platform.self, *handle, schema::kNodeControlPort),
      std::to_string(region->channels_->control_port()));
  // Tell the backend we are connected (Xen PV convention).
  (void)platform.xenstore->Write(
      kNoTransaction,
      schema::FrontendNode(platform.self, *handle, schema::kNodeState),
      schema::StateValue(schema::XenbusState::kConnected));
  trace.Step("connected");
  return region;
}

Status Attachment::Detach() {
  if (detached_) return Status();
  detached_ = true;
  // Unmap first, so the backend's revoke finds no mapping and frees at once;
  // the unmap-notify it sends on the control channel starts the detach.
  grant_mapping_.reset();
  region_mapping_.reset();
  channels_.reset();
  wakeup_.reset();
  data_ = nullptr;
  XenStore& xenstore = *platform_.xenstore;
  const DomainId self = platform_.self;
  const std::string what =
      "detach '" + name_ + "' (handle " + std::to_string(handle_) + ")";
  Status result;
  auto keep_first = [&](Code code, const std::string& why) {
    if (result.ok()) result = Status(code, what + ": " + why);
  };
  Status closing = xenstore.Write(
      kNoTransaction, schema::FrontendNode(self, handle_, schema::kNodeState),
      schema::StateValue(schema::XenbusState::kClosing));
  if (!closing.ok()) {
    keep_first(closing.code(),
               "cannot tell xenshmd (state Closing): " + closing.message());
  }
  // Wait (bounded) for xenshmd to revoke, so a detach that returned has
  // really left; a dead daemon must not hang the caller.
  if (!AwaitBackend(platform_, handle_, kDetachTimeout,
                    /*closed_only=*/true)) {
    keep_first(Code::kBackendUnavailable,
               "unmapped, but xenshmd did not confirm within " +
                   std::to_string(kDetachTimeout.count()) +
                   " ms (is it running?)");
  }
  if (Status withdrawn = WithdrawRequest(platform_, handle_); !withdrawn.ok()) {
    keep_first(withdrawn.code(),
               "cannot withdraw the request: " + withdrawn.message());
  }
  return result;
}

Status Attachment::DetachedError() const {
  return Status(Code::kInvalidArgument, "region '" + name_ + "' (handle " +
                                            std::to_string(handle_) +
                                            ") is detached");
}

Result<std::vector<Peer>> Attachment::Peers() const {
  if (detached_) return Error(DetachedError());
  XenStore& xenstore = *platform_.xenstore;
  const DomainId self = platform_.self;
  // This attachment's own members value, not the registry: a region's name
  // may change under us, the attachment stays what it is. Only xenstore is
  // read, so no lock.
  auto raw = xenstore.Read(
      kNoTransaction, schema::BackendNode(self, handle_, schema::kNodeMembers));
  auto state = xenstore.Read(
      kNoTransaction, schema::BackendNode(self, handle_, schema::kNodeState));
  // Closed: say why (a restart with --reset, or our process was taken for
  // dead) rather than list peers we no longer share the region with.
  if (state && *state == schema::StateValue(schema::XenbusState::kClosed)) {
    return Error(ReadStatusNodes(xenstore, self, handle_));
  }
  if (!raw) return std::unexpected(raw.error());
  auto members = schema::ParseMemberList(*raw);
  if (!members) return std::unexpected(members.error());
  std::vector<Peer> peers;
  for (const auto& [index, peer] : *members) {
    peers.push_back({index, peer.domain, peer.handle});
  }
  return peers;
}

Result<SignalReport> Attachment::Signal(PeerSet targets) {
  std::lock_guard lock(mu_);
  if (!channels_) return Error(DetachedError());
  return channels_->Signal(targets);
}

Result<SignalReport> Attachment::SignalDomain(DomainId domain) {
  std::lock_guard lock(mu_);
  if (!channels_) return Error(DetachedError());
  XENSHM_RETURN_IF_ERROR(ProcessAndWake());
  PeerSet targets = channels_->PeersOfDomain(domain);
  if (targets == 0) {
    return Error(Code::kDoesNotExist, "no peer of '" + name_ +
                                          "' is attached from domain " +
                                          std::to_string(domain));
  }
  return channels_->Signal(targets);
}

Result<SignalStatus> Attachment::TakeStatus() {
  std::lock_guard lock(mu_);
  if (!channels_) return Error(DetachedError());
  XENSHM_RETURN_IF_ERROR(ProcessAndWake());
  return channels_->TakeStatus();
}

Result<SignalStatus> Attachment::PeekStatus() {
  std::lock_guard lock(mu_);
  if (!channels_) return Error(DetachedError());
  XENSHM_RETURN_IF_ERROR(ProcessAndWake());
  return channels_->PeekStatus();
}

Status Attachment::ProcessAndWake() {
  ++reads_;
  XENSHM_RETURN_IF_ERROR(channels_->Process());
  // The events read here may be what a waiter polls for.
  if (waiters_ > 0 && channels_->HasNews()) wakeup_->Wake();
  return Status();
}

Result<SignalStatus> Attachment::Wait(
    std::optional<std::chrono::milliseconds> timeout) {
  if (!channels_) return Error(DetachedError());
  // poll() without the lock, so other threads may signal or take the status
  // meanwhile; events are read only with the lock held (Process), so a
  // binding's spurious event is never taken for a signal by a waiter that
  // read it while another thread was absorbing it. The clock is read only
  // after a wake-up that brought no news, since in a PV guest clock_gettime
  // may be a real system call.
  std::unique_lock lock(mu_);
  ++waiters_;
  struct Leave {
    int& waiters;
    ~Leave() { --waiters; }  // runs with the lock held (declared after it)
  } leave{waiters_};
  std::optional<Clock::time_point> deadline;
  int wait_ms =
      timeout ? static_cast<int>(std::min<int64_t>(timeout->count(), INT32_MAX))
              : -1;
  bool woke = false;
  bool event_ready = false;
  uint64_t reads_before_poll = 0;
  while (true) {
    if (event_ready && reads_ == reads_before_poll) {
      // Readable and nobody read since: one read does (the signal path's
      // system calls are poll, read, unmask, as a raw loop with a deadline).
      XENSHM_RETURN_IF_ERROR(channels_->ProcessNext());
    } else if (woke) {
      // Another thread may have read the event: never block with the lock.
      XENSHM_RETURN_IF_ERROR(channels_->Process());
    }
    if (woke) ++reads_;
    if (channels_->HasNews()) return channels_->TakeStatus();
    if (woke && timeout) {
      // Woken without news (a spurious or control event, or another thread
      // took it): count what is left.
      if (!deadline) {
        deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
      }
      wait_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(*deadline -
                                                                   Clock::now())
                 .count()));
    }
    pollfd fds[2] = {{channels_->fd(), POLLIN, 0}, {wakeup_->fd(), POLLIN, 0}};
    reads_before_poll = reads_;
    lock.unlock();
    int ready = poll(fds, 2, wait_ms);
    const int poll_errno = errno;
    lock.lock();
    woke = true;
    event_ready = ready > 0 && (fds[0].revents & POLLIN) != 0;
    if (ready < 0) {
      if (poll_errno == EINTR) continue;
      return Error(StatusFromErrno(poll_errno, "poll on event channels"));
    }
    if (ready == 0) {
      return Error(Code::kTimedOut, "no signal on '" + name_ + "' within " +
                                        std::to_string(timeout->count()) +
                                        " ms");
    }
    if (fds[1].revents != 0) wakeup_->Drain();
  }
}

int Attachment::event_fd() const { return channels_ ? channels_->fd() : -1; }

Result<PeerSet> Attachment::ReachablePeers() {
  std::lock_guard lock(mu_);
  if (!channels_) return Error(DetachedError());
  XENSHM_RETURN_IF_ERROR(ProcessAndWake());
  return channels_->Reachable();
}

}  // namespace xenshm
