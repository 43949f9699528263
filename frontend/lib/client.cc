#include "xenshm/client.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <set>

#include "base/status.h"
#include "base/types.h"
#include "frontend/lib/peer_channels.h"
#include "frontend/lib/step_trace.h"
#include "platform/platform.h"
#include "platform/xenstore_retry.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/grant_directory.h"
#include "xenstore-schema/limits.h"
#include "xenstore-schema/member_list.h"
#include "xenstore-schema/schema.h"

namespace xenshm {

struct Region::Impl {
  Impl(Platform& platform, std::string name, uint32_t handle, bool writable)
      : platform(platform),
        name(std::move(name)),
        handle(handle),
        writable(writable) {}

  Platform& platform;
  std::string name;
  uint64_t size = 0;
  uint32_t peer_index = 0;
  uint32_t handle = 0;
  bool writable = false;
  void* data = nullptr;
  std::unique_ptr<GrantMapping> grant_mapping;    // guests
  std::unique_ptr<RegionMapping> region_mapping;  // dom0
  std::unique_ptr<PeerChannels> channels;
  bool detached = false;

  // Reads the region's real size and our peer index.
  Status ReadGeometry();
  // REQUIRES: ReadGeometry and the channels are done.
  Status Map(StepTrace& trace);
};

namespace {

using Clock = std::chrono::steady_clock;

// Long enough for a busy dom0 (the lab under emulation answered in up to
// ~4 s), short enough that a dead xenshmd does not hang the caller long.
constexpr std::chrono::milliseconds kDetachTimeout{5000};

schema::AttachMode WireMode(AttachMode mode) {
  switch (mode) {
    case AttachMode::kCreateOrAttach:
      return schema::AttachMode::kCreateOrAttach;
    case AttachMode::kAttachOnly:
      return schema::AttachMode::kAttachOnly;
  }
  return schema::AttachMode::kCreateOrAttach;
}

schema::Access WireAccess(Access access) {
  switch (access) {
    case Access::kReadWrite:
      return schema::Access::kReadWrite;
    case Access::kReadOnly:
      return schema::Access::kReadOnly;
  }
  return schema::Access::kReadWrite;
}

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
                               const AttachOptions& options) {
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

Status Region::Impl::ReadGeometry() {
  auto real_size = ReadBackendNumber(platform, handle, schema::kNodeSize,
                                     schema::kMaxRegionBytes);
  auto index = ReadBackendNumber(platform, handle, schema::kNodePeerIndex,
                                 schema::kMaxPeers - 1);
  if (!real_size) return real_size.error();
  if (!index) return index.error();
  size = *real_size;
  peer_index = static_cast<uint32_t>(*index);
  return Status();
}

Status Region::Impl::Map(StepTrace& trace) {
  XenStore& xenstore = *platform.xenstore;
  const DomainId self = platform.self;
  auto read_number = [&](std::string_view node, uint64_t max) {
    return ReadBackendNumber(platform, handle, node, max);
  };
  const uint64_t pages = schema::PagesFor(size);

  if (self == kDom0) {
    if (!platform.region_granter) {
      return Status(Code::kBackendUnavailable,
                    "dom0 attach needs the xenshm kernel module");
    }
    // A read-only attachment's id is the region's read-only view; mapped
    // read-only, any id maps so that mprotect cannot make it writable.
    auto id = read_number(schema::kNodeRegionId, UINT64_MAX);
    if (!id) return id.error();
    auto mapping =
        platform.region_granter->MapLocal(*id, /*readonly=*/!writable);
    if (!mapping) return mapping.error();
    data = (*mapping)->data();
    region_mapping = std::move(*mapping);
    return Status();
  }

  auto raw_directory = xenstore.Read(
      kNoTransaction,
      schema::BackendNode(self, handle, schema::kNodeGrantDirectory));
  if (!raw_directory) return raw_directory.error();
  auto directory_refs =
      schema::ParseRefList(*raw_directory, schema::GrantDirectoryPages(pages));
  if (!directory_refs) return directory_refs.error();
  std::vector<GrantRef> refs;
  {
    auto directory = platform.grant_mapper->Map(kDom0, *directory_refs,
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
  notify.port = channels->control_port();
  auto mapping = platform.grant_mapper->Map(kDom0, refs, writable, notify);
  if (!mapping) return mapping.error();
  data = (*mapping)->data();
  grant_mapping = std::move(*mapping);
  trace.Step("map");
  return Status();
}

DomainId Client::domain() const { return platform_.self; }

Result<std::unique_ptr<Region>> Client::Attach(std::string_view name,
                                               uint64_t size,
                                               const AttachOptions& options) {
  auto valid_name = schema::ParseRegionName(name);
  if (!valid_name) return std::unexpected(valid_name.error());
  if (size == 0 || size > schema::kMaxRegionBytes) {
    return Error(Code::kInvalidArgument,
                 "size " + std::to_string(size) + " is not in 1.." +
                     std::to_string(schema::kMaxRegionBytes));
  }
  schema::AttachRequest request{.name = *valid_name,
                                .size = size,
                                .mode = WireMode(options.mode),
                                .access = WireAccess(options.access),
                                .pid = std::nullopt};
  // dom0 programs map through the kernel module, which cannot tell xenshmd
  // that a process died holding a mapping; xenshmd watches the pid instead.
  if (platform_.self == kDom0) request.pid = getpid();
  StepTrace trace("attach '" + *valid_name + "'");
  auto handle = SubmitRequest(platform_, request, options);
  if (!handle) return std::unexpected(handle.error());
  trace.Step("request");

  auto state = AwaitBackend(platform_, *handle, options.timeout);
  trace.Step("backend");
  if (!state) {
    (void)WithdrawRequest(platform_, *handle);
    return std::unexpected(state.error());
  }
  if (*state != schema::XenbusState::kConnected) {
    Status refused =
        ReadStatusNodes(*platform_.xenstore, platform_.self, *handle);
    (void)WithdrawRequest(platform_, *handle);
    return Error(refused);
  }
  std::unique_ptr<Region> region(new Region(std::make_unique<Region::Impl>(
      platform_, request.name, *handle,
      /*writable=*/options.access == Access::kReadWrite)));
  Region::Impl& impl = *region->impl_;
  // On a failure below, Detach undoes what was done; its own Status adds
  // nothing to the caller's (the attach failed, whatever it says).
  if (Status read = impl.ReadGeometry(); !read.ok()) {
    (void)region->Detach();
    return Error(read);
  }
  trace.Step("geometry");
  // Channels first: the mapping's unmap-notify signals xenshmd on the
  // control channel if this process dies without detaching.
  auto channels = PeerChannels::Open(platform_, *handle, impl.peer_index);
  if (!channels) {
    (void)region->Detach();
    return std::unexpected(channels.error());
  }
  impl.channels = std::move(*channels);
  trace.Step("channels");
  if (Status mapped = impl.Map(trace); !mapped.ok()) {
    (void)region->Detach();
    return Error(mapped);
  }
  // Our end of the control channel first: a restarted xenshmd binds it
  // again (closing its end left ours unbound, waiting for dom0).
  (void)platform_.xenstore->Write(
      kNoTransaction,
      schema::FrontendNode(platform_.self, *handle, schema::kNodeControlPort),
      std::to_string(impl.channels->control_port()));
  // Tell the backend we are connected (Xen PV convention).
  (void)platform_.xenstore->Write(
      kNoTransaction,
      schema::FrontendNode(platform_.self, *handle, schema::kNodeState),
      schema::StateValue(schema::XenbusState::kConnected));
  trace.Step("connected");
  return region;
}

Region::Region(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Region::~Region() { (void)Detach(); }

const std::string& Region::name() const { return impl_->name; }
uint64_t Region::size() const { return impl_->size; }
uint32_t Region::peer_index() const { return impl_->peer_index; }
uint32_t Region::handle() const { return impl_->handle; }
bool Region::writable() const { return impl_->writable; }
void* Region::data() const { return impl_->data; }

Status Region::Detach() {
  Impl& r = *impl_;
  if (r.detached) return Status();
  r.detached = true;
  // Unmap first, so the backend's revoke finds no mapping and frees at once;
  // the unmap-notify it sends on the control channel starts the detach.
  r.grant_mapping.reset();
  r.region_mapping.reset();
  r.channels.reset();
  r.data = nullptr;
  XenStore& xenstore = *r.platform.xenstore;
  const DomainId self = r.platform.self;
  const std::string what =
      "detach '" + r.name + "' (handle " + std::to_string(r.handle) + ")";
  Status result;
  auto keep_first = [&](Code code, const std::string& why) {
    if (result.ok()) result = Status(code, what + ": " + why);
  };
  Status closing = xenstore.Write(
      kNoTransaction, schema::FrontendNode(self, r.handle, schema::kNodeState),
      schema::StateValue(schema::XenbusState::kClosing));
  if (!closing.ok()) {
    keep_first(closing.code(),
               "cannot tell xenshmd (state Closing): " + closing.message());
  }
  // Wait (bounded) for xenshmd to revoke, so a detach that returned has
  // really left; a dead daemon must not hang the caller.
  if (!AwaitBackend(r.platform, r.handle, kDetachTimeout,
                    /*closed_only=*/true)) {
    keep_first(Code::kBackendUnavailable,
               "unmapped, but xenshmd did not confirm within " +
                   std::to_string(kDetachTimeout.count()) +
                   " ms (is it running?)");
  }
  if (Status withdrawn = WithdrawRequest(r.platform, r.handle);
      !withdrawn.ok()) {
    keep_first(withdrawn.code(),
               "cannot withdraw the request: " + withdrawn.message());
  }
  return result;
}

Result<std::vector<PeerInfo>> Region::Peers() const {
  const Impl& r = *impl_;
  XenStore& xenstore = *r.platform.xenstore;
  const DomainId self = r.platform.self;
  // This attachment's own members value, not the registry: a region's name
  // may change under us, the attachment stays what it is.
  auto raw =
      xenstore.Read(kNoTransaction,
                    schema::BackendNode(self, r.handle, schema::kNodeMembers));
  auto state = xenstore.Read(
      kNoTransaction, schema::BackendNode(self, r.handle, schema::kNodeState));
  // Closed: say why (a restart with --reset, or our process was taken for
  // dead) rather than list peers we no longer share the region with.
  if (state && *state == schema::StateValue(schema::XenbusState::kClosed)) {
    return Error(ReadStatusNodes(xenstore, self, r.handle));
  }
  if (!raw) return std::unexpected(raw.error());
  auto members = schema::ParseMemberList(*raw);
  if (!members) return std::unexpected(members.error());
  std::vector<PeerInfo> peers;
  for (const auto& [index, peer] : *members) {
    peers.push_back({index, peer.domain, peer.handle});
  }
  return peers;
}

Result<SignalReport> Region::Signal(PeerSet targets) {
  if (!impl_->channels) return Error(Code::kInvalidArgument, "detached");
  return impl_->channels->Signal(targets);
}

Result<SignalReport> Region::SignalDomain(DomainId domain) {
  if (!impl_->channels) return Error(Code::kInvalidArgument, "detached");
  XENSHM_RETURN_IF_ERROR(impl_->channels->Process());
  PeerSet targets = impl_->channels->PeersOfDomain(domain);
  if (targets == 0) {
    return Error(Code::kDoesNotExist, "no peer of '" + impl_->name +
                                          "' is attached from domain " +
                                          std::to_string(domain));
  }
  return impl_->channels->Signal(targets);
}

Result<SignalStatus> Region::TakeStatus() {
  if (!impl_->channels) return Error(Code::kInvalidArgument, "detached");
  XENSHM_RETURN_IF_ERROR(impl_->channels->Process());
  return impl_->channels->TakeStatus();
}

Result<SignalStatus> Region::PeekStatus() {
  if (!impl_->channels) return Error(Code::kInvalidArgument, "detached");
  XENSHM_RETURN_IF_ERROR(impl_->channels->Process());
  return impl_->channels->PeekStatus();
}

Result<SignalStatus> Region::Wait(std::chrono::milliseconds timeout) {
  if (!impl_->channels) return Error(Code::kInvalidArgument, "detached");
  // Shaped like a raw event-channel loop (poll, then one read): the clock is
  // read only after a wake-up that brought no news, since in a PV guest
  // clock_gettime may be a real system call.
  std::optional<Clock::time_point> deadline;
  int wait_ms = static_cast<int>(timeout.count());
  bool woke = false;
  while (!impl_->channels->HasNews()) {
    if (woke) {
      // Woken without news (a spurious or control event): count what is left.
      if (!deadline)
        deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
      wait_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(*deadline -
                                                                   Clock::now())
                 .count()));
    }
    pollfd fd{impl_->channels->fd(), POLLIN, 0};
    int ready = poll(&fd, 1, wait_ms);
    woke = true;
    if (ready < 0) {
      if (errno == EINTR) continue;
      return Error(StatusFromErrno(errno, "poll on event channels"));
    }
    if (ready == 0) {
      return Error(
          Code::kTimedOut,
          "no signal within " + std::to_string(timeout.count()) + " ms");
    }
    XENSHM_RETURN_IF_ERROR(
        impl_->channels->ProcessNext());  // readable: no block
  }
  return impl_->channels->TakeStatus();
}

Result<SignalStatus> Region::Wait() {
  if (!impl_->channels) return Error(Code::kInvalidArgument, "detached");
  // No deadline, so no poll: one blocking read per event.
  while (!impl_->channels->HasNews()) {
    XENSHM_RETURN_IF_ERROR(impl_->channels->ProcessNext());
  }
  return impl_->channels->TakeStatus();
}

int Region::event_fd() const {
  return impl_->channels ? impl_->channels->fd() : -1;
}

Result<PeerSet> Region::ReachablePeers() {
  if (!impl_->channels) return Error(Code::kInvalidArgument, "detached");
  XENSHM_RETURN_IF_ERROR(impl_->channels->Process());
  return impl_->channels->Reachable();
}

}  // namespace xenshm
