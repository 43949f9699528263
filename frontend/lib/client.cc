#include "xenshm/client.h"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <set>

#include "frontend/lib/peer_channels.h"
#include "frontend/lib/step_trace.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/grant_directory.h"
#include "xenstore-schema/limits.h"

namespace xenshm {
namespace {

using Clock = std::chrono::steady_clock;

// A transaction conflict is retried this many times before giving up.
constexpr int kTransactionAttempts = 8;

constexpr std::chrono::milliseconds kDetachTimeout{2000};

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

}  // namespace

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
                                .mode = options.mode,
                                .access = options.access,
                                .pid = std::nullopt};
  // dom0 programs map through the kernel module, which cannot tell xenshmd
  // that a process died holding a mapping; xenshmd watches the pid instead.
  if (platform_.self == kDom0) request.pid = getpid();
  StepTrace trace("attach '" + *valid_name + "'");
  auto handle = SubmitRequest(request, options);
  if (!handle) return std::unexpected(handle.error());
  trace.Step("request");

  auto state = AwaitBackend(*handle, options.timeout);
  trace.Step("backend");
  if (!state) {
    WithdrawRequest(*handle);
    return std::unexpected(state.error());
  }
  if (*state != schema::XenbusState::kConnected) {
    Status refused =
        ReadStatusNodes(*platform_.xenstore, platform_.self, *handle);
    WithdrawRequest(*handle);
    return Error(refused);
  }
  std::unique_ptr<Region> region(new Region());
  region->client_ = this;
  region->name_ = request.name;
  region->handle_ = *handle;
  region->writable_ = options.access == schema::Access::kReadWrite;
  if (Status read = ReadGeometry(*region, *handle); !read.ok()) {
    (void)region->Detach();
    return Error(read);
  }
  trace.Step("geometry");
  // Channels first: the mapping's unmap-notify signals xenshmd on the
  // control channel if this process dies without detaching.
  auto channels = PeerChannels::Open(platform_, *handle, region->peer_index_);
  if (!channels) {
    (void)region->Detach();
    return std::unexpected(channels.error());
  }
  region->channels_ = std::move(*channels);
  trace.Step("channels");
  if (Status mapped = MapRegion(*region, *handle, trace); !mapped.ok()) {
    (void)region->Detach();
    return Error(mapped);
  }
  // Tell the backend we are connected (Xen PV convention).
  (void)platform_.xenstore->Write(
      kNoTransaction,
      schema::FrontendNode(platform_.self, *handle, schema::kNodeState),
      schema::StateValue(schema::XenbusState::kConnected));
  trace.Step("connected");
  return region;
}

Result<uint32_t> Client::SubmitRequest(const schema::AttachRequest& request,
                                       const AttachOptions& options) {
  XenStore& xenstore = *platform_.xenstore;
  const DomainId self = platform_.self;
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
  for (int attempt = 0; attempt < kTransactionAttempts; ++attempt) {
    auto t = xenstore.TransactionStart();
    if (!t) return std::unexpected(t.error());
    auto abort = [&] { (void)xenstore.TransactionEnd(*t, false); };
    auto children = xenstore.List(*t, schema::FrontendRoot(self));
    if (!children) {
      abort();
      return std::unexpected(children.error());
    }
    std::set<uint32_t> used;
    for (const auto& child : *children) {
      if (auto handle = schema::ParseHandle(child)) used.insert(*handle);
    }
    // A handle whose backend directory xenshmd has not cleaned up yet is
    // still in use: reusing it would look like a backward state move.
    if (auto answers = xenstore.List(*t, schema::BackendDomainPath(self))) {
      for (const auto& child : *answers) {
        if (auto handle = schema::ParseHandle(child)) used.insert(*handle);
      }
    }
    uint32_t handle = 0;
    if (options.handle) {
      handle = *options.handle;
      if (used.contains(handle)) {
        abort();
        return Error(Code::kAlreadyAttached,
                     "handle " + std::to_string(handle) + " is in use");
      }
    } else {
      while (used.contains(handle)) ++handle;
    }
    if (handle > schema::kMaxHandle) {
      abort();
      return Error(Code::kClientMax, "this domain has no free handle");
    }
    Status written =
        schema::WriteAttachRequest(xenstore, *t, self, handle, request);
    if (written.ok()) {
      written = xenstore.Write(
          *t, schema::FrontendNode(self, handle, schema::kNodeState),
          schema::StateValue(schema::XenbusState::kInitialised));
    }
    if (!written.ok()) {
      abort();
      return Error(written);
    }
    Status committed = xenstore.TransactionEnd(*t, true);
    if (committed.ok()) return handle;
    if (committed.code() != Code::kAgain) return Error(committed);
  }
  return Error(Code::kAgain, "xenstore transaction kept conflicting after " +
                                 std::to_string(kTransactionAttempts) +
                                 " attempts");
}

Result<schema::XenbusState> Client::AwaitBackend(
    uint32_t handle, std::chrono::milliseconds timeout, bool closed_only) {
  XenStore& xenstore = *platform_.xenstore;
  const std::string state_path =
      schema::BackendNode(platform_.self, handle, schema::kNodeState);
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

Result<uint64_t> Client::ReadBackendNumber(uint32_t handle,
                                           std::string_view node,
                                           uint64_t max) {
  auto raw = platform_.xenstore->Read(
      kNoTransaction, schema::BackendNode(platform_.self, handle, node));
  if (!raw) return std::unexpected(raw.error());
  return schema::ParseDecimal(*raw, max, node);
}

Status Client::ReadGeometry(Region& region, uint32_t handle) {
  auto size =
      ReadBackendNumber(handle, schema::kNodeSize, schema::kMaxRegionBytes);
  auto index =
      ReadBackendNumber(handle, schema::kNodePeerIndex, schema::kMaxPeers - 1);
  if (!size) return size.error();
  if (!index) return index.error();
  region.size_ = *size;
  region.peer_index_ = static_cast<uint32_t>(*index);
  return Status();
}

Status Client::MapRegion(Region& region, uint32_t handle, StepTrace& trace) {
  XenStore& xenstore = *platform_.xenstore;
  const DomainId self = platform_.self;
  auto read_number = [&](std::string_view node, uint64_t max) {
    return ReadBackendNumber(handle, node, max);
  };
  const uint64_t pages = schema::PagesFor(region.size_);

  if (self == kDom0) {
    if (!platform_.region_granter) {
      return Status(Code::kBackendUnavailable,
                    "dom0 attach needs the xenshm kernel module");
    }
    auto id = read_number(schema::kNodeRegionId, UINT64_MAX);
    if (!id) return id.error();
    auto mapping = platform_.region_granter->MapLocal(*id);
    if (!mapping) return mapping.error();
    region.data_ = (*mapping)->data();
    region.region_mapping_ = std::move(*mapping);
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
  notify.port = region.channels_->control_port();
  auto mapping =
      platform_.grant_mapper->Map(kDom0, refs, region.writable_, notify);
  if (!mapping) return mapping.error();
  region.data_ = (*mapping)->data();
  region.grant_mapping_ = std::move(*mapping);
  trace.Step("map");
  return Status();
}

void Client::WithdrawRequest(uint32_t handle) {
  (void)platform_.xenstore->Remove(
      kNoTransaction, schema::FrontendPath(platform_.self, handle));
}

Region::~Region() { (void)Detach(); }

Status Region::Detach() {
  if (detached_) return Status();
  detached_ = true;
  // Unmap first, so the backend's revoke finds no mapping and frees at once;
  // the unmap-notify it sends on the control channel starts the detach.
  grant_mapping_.reset();
  region_mapping_.reset();
  channels_.reset();
  data_ = nullptr;
  XenStore& xenstore = *client_->platform_.xenstore;
  const DomainId self = client_->platform_.self;
  (void)xenstore.Write(kNoTransaction,
                       schema::FrontendNode(self, handle_, schema::kNodeState),
                       schema::StateValue(schema::XenbusState::kClosing));
  // Wait (bounded) for xenshmd to revoke, so a detach that returned has
  // really left; a dead daemon must not hang the caller.
  (void)client_->AwaitBackend(handle_, kDetachTimeout, /*closed_only=*/true);
  client_->WithdrawRequest(handle_);
  return Status();
}

Result<std::vector<PeerInfo>> Region::Peers() const {
  XenStore& xenstore = *client_->platform_.xenstore;
  const std::string peers_path =
      schema::RegistryPath(name_) + "/" + std::string(schema::kNodePeers);
  auto children = xenstore.List(kNoTransaction, peers_path);
  if (!children) {
    // No registry for us: say why if xenshmd closed this attachment (a
    // restart with --reset, or our process was taken for dead).
    const DomainId self = client_->platform_.self;
    auto state = xenstore.Read(
        kNoTransaction, schema::BackendNode(self, handle_, schema::kNodeState));
    if (state && *state == schema::StateValue(schema::XenbusState::kClosed)) {
      return Error(ReadStatusNodes(xenstore, self, handle_));
    }
    return std::unexpected(children.error());
  }
  std::vector<PeerInfo> peers;
  for (const auto& child : *children) {
    auto index = schema::ParseDecimal(child, schema::kMaxPeers - 1, "peer");
    auto value = xenstore.Read(kNoTransaction, peers_path + "/" + child);
    if (!index || !value) continue;  // changed under us
    size_t slash = value->find('/');
    if (slash == std::string::npos) continue;
    auto domain = schema::ParseDomainId(value->substr(0, slash));
    auto handle = schema::ParseHandle(value->substr(slash + 1));
    if (!domain || !handle) continue;
    peers.push_back({static_cast<uint32_t>(*index), *domain, *handle});
  }
  std::sort(
      peers.begin(), peers.end(),
      [](const PeerInfo& a, const PeerInfo& b) { return a.index < b.index; });
  return peers;
}

}  // namespace xenshm

namespace xenshm {

Result<SignalReport> Region::Signal(PeerSet targets) {
  if (!channels_) return Error(Code::kInvalidArgument, "detached");
  return channels_->Signal(targets);
}

Result<SignalReport> Region::SignalDomain(DomainId domain) {
  if (!channels_) return Error(Code::kInvalidArgument, "detached");
  XENSHM_RETURN_IF_ERROR(channels_->Process());
  PeerSet targets = channels_->PeersOfDomain(domain);
  if (targets == 0) {
    return Error(Code::kDoesNotExist, "no peer of '" + name_ +
                                          "' is attached from domain " +
                                          std::to_string(domain));
  }
  return channels_->Signal(targets);
}

Result<SignalStatus> Region::TakeStatus() {
  if (!channels_) return Error(Code::kInvalidArgument, "detached");
  XENSHM_RETURN_IF_ERROR(channels_->Process());
  return channels_->TakeStatus();
}

Result<SignalStatus> Region::PeekStatus() {
  if (!channels_) return Error(Code::kInvalidArgument, "detached");
  XENSHM_RETURN_IF_ERROR(channels_->Process());
  return channels_->PeekStatus();
}

Result<SignalStatus> Region::Wait(std::chrono::milliseconds timeout) {
  if (!channels_) return Error(Code::kInvalidArgument, "detached");
  // Shaped like a raw event-channel loop (poll, then one read): the clock is
  // read only after a wake-up that brought no news, since in a PV guest
  // clock_gettime may be a real system call.
  std::optional<Clock::time_point> deadline;
  int wait_ms = static_cast<int>(timeout.count());
  bool woke = false;
  while (!channels_->HasNews()) {
    if (woke) {
      // Woken without news (a spurious or control event): count what is left.
      if (!deadline)
        deadline = Clock::now() + std::chrono::milliseconds(wait_ms);
      wait_ms = static_cast<int>(std::max<int64_t>(
          0, std::chrono::duration_cast<std::chrono::milliseconds>(*deadline -
                                                                   Clock::now())
                 .count()));
    }
    pollfd fd{channels_->fd(), POLLIN, 0};
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
    XENSHM_RETURN_IF_ERROR(channels_->ProcessNext());  // readable: no block
  }
  return channels_->TakeStatus();
}

Result<SignalStatus> Region::Wait() {
  if (!channels_) return Error(Code::kInvalidArgument, "detached");
  // No deadline, so no poll: one blocking read per event.
  while (!channels_->HasNews()) {
    XENSHM_RETURN_IF_ERROR(channels_->ProcessNext());
  }
  return channels_->TakeStatus();
}

int Region::event_fd() const { return channels_ ? channels_->fd() : -1; }

Result<PeerSet> Region::ReachablePeers() {
  if (!channels_) return Error(Code::kInvalidArgument, "detached");
  XENSHM_RETURN_IF_ERROR(channels_->Process());
  return channels_->Reachable();
}

}  // namespace xenshm
