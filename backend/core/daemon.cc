#include "backend/core/daemon.h"

#include <poll.h>

#include <cstring>
#include <iostream>
#include <vector>

#include "backend/core/grant_budget.h"
#include "xenstore-schema/grant_directory.h"
#include "xenstore-schema/limits.h"

namespace xenshm::backend {
namespace {

constexpr std::string_view kDomainsToken = "domains";
constexpr std::string_view kFrontendToken = "frontend";
constexpr std::string_view kPolicyToken = "policy";

// Only dom0 may write; `readers` may read.
std::vector<XsPermission> ReadableBy(const std::set<DomainId>& readers) {
  std::vector<XsPermission> perms = {{kDom0, XsAccess::kNone}};
  for (DomainId reader : readers) {
    if (reader != kDom0) perms.push_back({reader, XsAccess::kRead});
  }
  return perms;
}

}  // namespace

Status Daemon::RetryOnAgain(const std::function<Status(XsTransaction)>& body) {
  constexpr int kAttempts = 16;
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto t = xenstore_.TransactionStart();
    if (!t) return t.error();
    Status done = body(*t);
    if (!done.ok()) {
      (void)xenstore_.TransactionEnd(*t, false);
      return done;
    }
    Status committed = xenstore_.TransactionEnd(*t, true);
    if (committed.code() != Code::kAgain) return committed;
  }
  return Status(Code::kAgain, "xenstore transaction kept conflicting");
}

Daemon::Daemon(Platform& platform, DaemonOptions options)
    : platform_(platform),
      xenstore_(*platform.xenstore),
      granter_(*platform.region_granter),
      options_(std::move(options)),
      policy_(options_.policy != nullptr ? *options_.policy : allow_all_) {}

void Daemon::Log(const std::string& line) {
  if (options_.log) {
    options_.log(line);
  } else {
    std::cerr << "xenshmd: " << line << std::endl;
  }
}

Status Daemon::Start() {
  for (const std::string& root :
       {schema::BackendRoot(), schema::RegistryRoot()}) {
    XENSHM_RETURN_IF_ERROR(xenstore_.Mkdir(kNoTransaction, root));
    XENSHM_RETURN_IF_ERROR(xenstore_.SetPermissions(
        kNoTransaction, root, {{kDom0, XsAccess::kNone}}));
  }
  XENSHM_RETURN_IF_ERROR(HandleLeftovers());
  auto channels = platform_.open_event_channels();
  if (!channels) return channels.error();
  event_channels_ = std::move(*channels);
  if (std::string root = policy_.WatchedRoot(); !root.empty()) {
    if (!xenstore_.Read(kNoTransaction, root)) {
      XENSHM_RETURN_IF_ERROR(xenstore_.Mkdir(kNoTransaction, root));
    }
    XENSHM_RETURN_IF_ERROR(xenstore_.SetPermissions(
        kNoTransaction, root, {{kDom0, XsAccess::kNone}}));
    XENSHM_RETURN_IF_ERROR(xenstore_.Watch(root, std::string(kPolicyToken)));
  }
  XENSHM_RETURN_IF_ERROR(
      xenstore_.Watch("@introduceDomain", std::string(kDomainsToken)));
  XENSHM_RETURN_IF_ERROR(
      xenstore_.Watch("@releaseDomain", std::string(kDomainsToken)));
  SyncDomains();
  Log("started; " + std::to_string(domains_.size()) + " domains");
  return Status();
}

Status Daemon::HandleLeftovers() {
  auto regions = granter_.List();
  if (!regions) return regions.error();
  if (!regions->empty() && !options_.reset_leftovers) {
    return Status(
        Code::kBusy,
        std::to_string(regions->size()) +
            " regions (shared memory and grant directories) of an earlier "
            "xenshmd are still in the kernel module. "
            "This xenshmd cannot adopt them, and answering attaches now would "
            "give new peers other memory than the old peers share. Detach "
            "them (or stop their domains), or start with --reset to release "
            "them and tell their peers to attach again");
  }
  for (const RegionInfo& region : *regions) {
    // Memory a peer still maps is freed when it unmaps (the module defers).
    if (Status released = granter_.Release(region.id); !released.ok()) {
      Log("--reset: cannot release region " + std::to_string(region.id) + ": " +
          released.ToString());
    }
  }
  // The registry describes this daemon's table, empty at start: entries an
  // earlier xenshmd left (crash, module reloaded) would list ghosts.
  if (auto names = xenstore_.List(kNoTransaction, schema::RegistryRoot())) {
    for (const std::string& name : *names) {
      (void)xenstore_.Remove(kNoTransaction, schema::RegistryPath(name));
    }
  }
  if (!regions->empty()) {
    Log("--reset: released " + std::to_string(regions->size()) +
        " regions of an earlier xenshmd; their peers are told to attach "
        "again");
  }
  return Status();
}

void Daemon::SyncDomains() {
  auto listed = platform_.domain_info->List();
  if (!listed) {
    Log("cannot list domains: " + listed.error().ToString());
    return;
  }
  std::set<DomainId> alive;
  for (const DomainState& state : *listed) {
    if (!state.dying) alive.insert(state.id);
  }
  for (DomainId domain : std::set<DomainId>(domains_)) {
    if (!alive.contains(domain)) ForgetDomain(domain);
  }
  for (DomainId domain : alive) {
    if (!domains_.contains(domain)) SetUpDomain(domain);
  }
}

void Daemon::SetUpDomain(DomainId domain) {
  // The guest's device/ directory is read-only to it (libxl makes it so), so
  // the daemon creates the guest's request directory and hands it over.
  // One transaction, so the guest never sees the directory before it may
  // write in it.
  const std::string root = schema::FrontendRoot(domain);
  Status made = RetryOnAgain([&](XsTransaction t) -> Status {
    XENSHM_RETURN_IF_ERROR(xenstore_.Mkdir(t, root));
    return xenstore_.SetPermissions(t, root, {{domain, XsAccess::kNone}});
  });
  if (!made.ok()) {
    Log("domain " + std::to_string(domain) +
        ": cannot create request directory: " + made.ToString());
    return;
  }
  const std::string backend = schema::BackendDomainPath(domain);
  (void)xenstore_.Mkdir(kNoTransaction, backend);
  (void)xenstore_.SetPermissions(kNoTransaction, backend, ReadableBy({domain}));
  if (Status watched = xenstore_.Watch(root, std::string(kFrontendToken));
      !watched.ok()) {
    Log("domain " + std::to_string(domain) + ": cannot watch " + root + ": " +
        watched.ToString());
    return;
  }
  domains_.insert(domain);
  // The policy first: the domain's requests are answered under it.
  policy_.Refresh(xenstore_, domain);
  PreCreateRegions(domain);
  ScanDomain(domain);
}

void Daemon::PreCreateRegions(DomainId domain) {
  for (const PreCreate& region : policy_.RegionsToPreCreate(domain)) {
    if (table_.Find(region.name) != nullptr) continue;
    if (Status made = CreateRegion(region.name, region.size, domain);
        !made.ok()) {
      Log("domain " + std::to_string(domain) + ": cannot pre-create '" +
          region.name + "': " + made.ToString());
      continue;
    }
    table_.Mutable(region.name).pinned_by = domain;
    PublishRegistry(region.name);
    Log("region '" + region.name + "' pre-created for domain " +
        std::to_string(domain));
  }
}

Status Daemon::CreateRegion(const std::string& name, uint64_t size,
                            DomainId creator) {
  auto id = granter_.Allocate(schema::PagesFor(size));
  if (!id) {
    return Status(Code::kNoMemory, "cannot allocate " + std::to_string(size) +
                                       " bytes for '" + name +
                                       "': " + id.error().ToString());
  }
  table_.Create(name, size, *id);
  table_.Mutable(name).attributes = policy_.OnRegionCreated(name, creator);
  table_.Mutable(name).attributes.emplace_back("owner",
                                               std::to_string(creator));
  return Status();
}

void Daemon::DestroyRegion(const std::string& name) {
  const Region* region = table_.Find(name);
  if (region == nullptr) return;
  (void)granter_.Release(region->id);
  (void)xenstore_.Remove(kNoTransaction, schema::RegistryPath(name));
  policy_.OnRegionDestroyed(name);
  table_.Erase(name);
  Log("region '" + name + "' destroyed");
}

void Daemon::ForgetDomain(DomainId domain) {
  for (AttachmentKey key : table_.AttachmentsOf(domain)) {
    Detach(key, "domain " + std::to_string(domain) + " is gone");
  }
  std::vector<std::string> unpinned;
  for (const auto& [name, region] : table_.regions()) {
    if (region.pinned_by == domain) unpinned.push_back(name);
  }
  for (const std::string& name : unpinned) {
    table_.Mutable(name).pinned_by.reset();
    if (table_.Find(name)->peers.empty()) DestroyRegion(name);
  }
  policy_.Forget(xenstore_, domain);
  (void)xenstore_.Unwatch(schema::FrontendRoot(domain),
                          std::string(kFrontendToken));
  (void)xenstore_.Remove(kNoTransaction, schema::BackendDomainPath(domain));
  std::erase_if(answered_,
                [&](const AttachmentKey& key) { return key.domain == domain; });
  std::erase_if(orphans_, [&](const auto& entry) {
    return entry.first.domain == domain;
  });
  std::erase_if(frontend_states_, [&](const auto& entry) {
    return entry.first.domain == domain;
  });
  domains_.erase(domain);
  Log("domain " + std::to_string(domain) + " forgotten");
}

void Daemon::ScanDomain(DomainId domain) {
  auto listed = xenstore_.List(kNoTransaction, schema::FrontendRoot(domain));
  std::set<uint32_t> handles;
  if (listed) {
    for (const std::string& child : *listed) {
      // A child that is not a handle is the guest's own business.
      if (auto handle = schema::ParseHandle(child)) handles.insert(*handle);
    }
  }
  for (uint32_t handle : handles) HandleAttachment({domain, handle});

  // Handles whose frontend directory vanished: detach and clean up.
  std::set<AttachmentKey> known(answered_);
  for (AttachmentKey key : table_.AttachmentsOf(domain)) known.insert(key);
  for (AttachmentKey key : known) {
    if (key.domain != domain || handles.contains(key.handle)) continue;
    if (table_.FindAttachment(key)) Detach(key, "frontend removed");
    (void)xenstore_.Remove(kNoTransaction,
                           schema::BackendPath(key.domain, key.handle));
    answered_.erase(key);
    frontend_states_.erase(key);
    orphans_.erase(key);
  }
}

void Daemon::HandleAttachment(AttachmentKey key) {
  auto raw_state = xenstore_.Read(
      kNoTransaction,
      schema::FrontendNode(key.domain, key.handle, schema::kNodeState));
  if (!raw_state) return;  // request not complete yet
  auto state = schema::ParseState(*raw_state);
  if (!state) {
    if (!answered_.contains(key)) {
      PublishFailure(key, state.error());
    } else {
      PublishError(key, state.error());
    }
    return;
  }
  auto [previous, inserted] =
      frontend_states_.try_emplace(key, schema::XenbusState::kInitialising);
  if (inserted && *state == schema::XenbusState::kConnected &&
      !answered_.contains(key)) {
    // Connected before we ever answered: an earlier xenshmd's attachment,
    // which we cannot adopt. Its library sees Closed when it next looks.
    previous->second = *state;
    PublishFailure(key, Status(Code::kBackendUnavailable,
                               "xenshmd restarted: this attachment is gone; "
                               "attach again"));
    return;
  }
  if (*state == previous->second && !inserted) {
    if (table_.FindAttachment(key)) RelaySignals(key);
    return;
  }
  if (Status moved = schema::CheckFrontendTransition(previous->second, *state);
      !moved.ok()) {
    if (answered_.contains(key)) {
      PublishError(key, moved);
    } else {
      PublishFailure(key, moved);
    }
    return;
  }
  previous->second = *state;

  if (*state == schema::XenbusState::kInitialised && !answered_.contains(key)) {
    answered_.insert(key);
    auto request = schema::ReadAttachRequest(xenstore_, kNoTransaction,
                                             key.domain, key.handle);
    Status result = request ? Attach(key, *request) : request.error();
    if (!result.ok()) {
      Log("domain " + std::to_string(key.domain) + " handle " +
          std::to_string(key.handle) +
          ": attach refused: " + result.ToString());
      PublishFailure(key, result);
    }
    return;
  }
  // Only a frontend that stays Connected after its unmap-notify is a dead
  // process's; any other move means a library is at work.
  if (*state != schema::XenbusState::kConnected) orphans_.erase(key);
  if (*state == schema::XenbusState::kConnected && table_.FindAttachment(key)) {
    RelaySignals(key);
    return;
  }
  if (*state >= schema::XenbusState::kClosing) {
    if (table_.FindAttachment(key)) Detach(key, "frontend closed");
    WriteBackend(key, schema::kNodeState,
                 schema::StateValue(schema::XenbusState::kClosed));
  }
}

Status Daemon::Attach(AttachmentKey key, const schema::AttachRequest& request) {
  // Timed for the log: where an attach's time goes (docs/performance.md).
  const auto started = std::chrono::steady_clock::now();
  auto elapsed_ms = [](std::chrono::steady_clock::time_point since) {
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::steady_clock::now() - since)
                              .count());
  };
  std::optional<ProcessExitWatch> exit_watch;
  if (key.domain == kDom0 && request.pid) {
    auto watch = ProcessExitWatch::Open(*request.pid);
    if (!watch && watch.error().code() == Code::kNotFound) {
      WithdrawRequest(key);  // the program died before its answer
      return watch.error();
    }
    if (watch) {
      exit_watch = std::move(*watch);
    } else {
      Log("domain 0 handle " + std::to_string(key.handle) +
          ": its process cannot be watched, so its exit goes unnoticed: " +
          watch.error().ToString());
    }
  }
  XENSHM_RETURN_IF_ERROR(
      policy_.Check({key.domain, request.name, request.access,
                     table_.Find(request.name) == nullptr}));
  bool created = false;
  if (table_.Find(request.name) == nullptr) {
    if (request.mode == schema::AttachMode::kAttachOnly) {
      return Status(Code::kDoesNotExist,
                    "region '" + request.name + "' does not exist");
    }
    XENSHM_RETURN_IF_ERROR(
        CreateRegion(request.name, request.size, key.domain));
    created = true;
  }
  const Region& region = *table_.Find(request.name);
  auto destroy_if_created = [&] {
    if (created) DestroyRegion(request.name);
  };
  auto index = table_.CheckJoin(request.name, key);
  if (!index) {
    destroy_if_created();
    return index.error();
  }
  Peer peer;
  peer.key = key;
  peer.index = *index;
  peer.access = request.access;
  auto control_port = event_channels_->AllocateUnbound(key.domain);
  if (!control_port) {
    destroy_if_created();
    return control_port.error();
  }
  peer.control_port = *control_port;
  std::string directory_refs;
  std::string granted_in = "0";
  if (key.domain != kDom0) {
    const auto granting = std::chrono::steady_clock::now();
    if (Status granted =
            GrantToGuest(region, key, request.access, peer, directory_refs);
        !granted.ok()) {
      (void)event_channels_->Unbind(*control_port);
      destroy_if_created();
      return granted;
    }
    granted_in = elapsed_ms(granting);
  }
  table_.Join(request.name, peer);
  if (exit_watch) exit_watches_.emplace(key, std::move(*exit_watch));
  PublishRegistry(request.name);
  WriteBackend(key, schema::kNodeEventChannel, std::to_string(*control_port));

  WriteBackend(key, schema::kNodeSize, std::to_string(region.size));
  WriteBackend(key, schema::kNodePages, std::to_string(region.pages));
  WriteBackend(key, schema::kNodePeerIndex, std::to_string(peer.index));
  if (key.domain == kDom0) {
    WriteBackend(key, schema::kNodeRegionId, std::to_string(region.id));
  } else {
    WriteBackend(key, schema::kNodeGrantDirectory, directory_refs);
  }
  WriteBackend(key, schema::kNodeStatus, std::string(CodeName(Code::kOk)));
  WriteBackend(key, schema::kNodeState,
               schema::StateValue(schema::XenbusState::kConnected));
  PublishMembers(request.name);
  Log("domain " + std::to_string(key.domain) + " handle " +
      std::to_string(key.handle) + (created ? " created '" : " joined '") +
      request.name + "' as peer " + std::to_string(peer.index) + " (" +
      std::string(schema::AccessName(request.access)) + "); granted in " +
      granted_in + " ms, answered in " + elapsed_ms(started) + " ms");
  return Status();
}

Status Daemon::GrantToGuest(const Region& region, AttachmentKey key,
                            schema::Access access, Peer& peer,
                            std::string& directory_refs) {
  const size_t directory_pages = schema::GrantDirectoryPages(region.pages);
  auto free_entries = granter_.FreeGrantEntries();
  if (!free_entries) return free_entries.error();
  XENSHM_RETURN_IF_ERROR(
      CheckGrantBudget(*free_entries, region.pages + directory_pages,
                       options_.grant_budget, grants_in_use_));

  auto refs = granter_.Grant(region.id, key.domain,
                             access == schema::Access::kReadOnly);
  if (!refs) return refs.error();
  auto revoke_region = [&] { (void)granter_.Revoke(region.id, key.domain); };

  auto directory = granter_.Allocate(directory_pages);
  if (!directory) {
    revoke_region();
    return Status(Code::kNoMemory,
                  "grant directory: " + directory.error().ToString());
  }
  auto drop_directory = [&] {
    (void)granter_.Release(*directory);
    revoke_region();
  };
  {
    auto mapping = granter_.MapLocal(*directory);
    if (!mapping) {
      drop_directory();
      return mapping.error();
    }
    schema::WriteGrantDirectory(
        *refs, std::span(static_cast<std::byte*>((*mapping)->data()),
                         (*mapping)->size()));
  }
  auto directory_grants =
      granter_.Grant(*directory, key.domain, /*readonly=*/true);
  if (!directory_grants) {
    drop_directory();
    return directory_grants.error();
  }
  peer.directory = *directory;
  directory_refs = schema::FormatRefList(*directory_grants);
  grants_in_use_ += region.pages + directory_pages;
  return Status();
}

void Daemon::Detach(AttachmentKey key, std::string_view why) {
  exit_watches_.erase(key);
  auto left = table_.Leave(key);
  if (!left) return;
  const Region* region = table_.Find(left->name);
  if (left->peer.control_port) {
    (void)event_channels_->Unbind(*left->peer.control_port);
  }
  if (key.domain != kDom0) {
    if (Status revoked = granter_.Revoke(region->id, key.domain);
        !revoked.ok()) {
      Log("revoke of '" + left->name + "' from domain " +
          std::to_string(key.domain) + ": " + revoked.ToString());
    }
    if (left->peer.directory) {
      (void)granter_.Revoke(*left->peer.directory, key.domain);
      (void)granter_.Release(*left->peer.directory);
      grants_in_use_ -=
          region->pages + schema::GrantDirectoryPages(region->pages);
    }
  }
  Log("domain " + std::to_string(key.domain) + " handle " +
      std::to_string(key.handle) + " detached from '" + left->name + "' (" +
      std::string(why) + ")");
  if (left->region_empty && !region->pinned_by) {
    DestroyRegion(left->name);
  } else {
    (void)xenstore_.Remove(
        kNoTransaction, schema::RegistryPeerPath(left->name, left->peer.index));
    PublishRegistry(left->name);
    UnpublishMember(left->name, left->peer.index);
  }
}

void Daemon::PublishFailure(AttachmentKey key, const Status& status) {
  answered_.insert(key);
  WriteBackend(key, schema::kNodeStatus, std::string(CodeName(status.code())));
  WriteBackend(key, schema::kNodeMessage, status.message());
  WriteBackend(key, schema::kNodeState,
               schema::StateValue(schema::XenbusState::kClosed));
}

void Daemon::PublishError(AttachmentKey key, const Status& status) {
  Log("domain " + std::to_string(key.domain) + " handle " +
      std::to_string(key.handle) + ": " + status.ToString());
  WriteBackend(key, schema::kNodeError, status.ToString());
}

void Daemon::PublishRegistry(const std::string& name) {
  const Region* region = table_.Find(name);
  if (region == nullptr) return;
  // Only what changed is written: every xenstore request is a round trip
  // through xenstored, and this runs before an attach is answered.
  RegistryView& view = table_.Mutable(name).registry;
  const std::string path = schema::RegistryPath(name);
  std::vector<std::string> nodes = {path, path + "/size"};
  if (!view.written) {
    (void)xenstore_.Write(kNoTransaction, path + "/size",
                          std::to_string(region->size));
  }
  for (const auto& [key, value] : region->attributes) {
    nodes.push_back(path + "/" + key);
    if (!view.written) {
      (void)xenstore_.Write(kNoTransaction, path + "/" + key, value);
    }
  }
  view.written = true;
  nodes.push_back(path + "/" + std::string(schema::kNodePeers));
  std::set<DomainId> members;
  std::map<uint32_t, std::string> peers;
  for (const auto& [index, peer] : region->peers) {
    members.insert(peer.key.domain);
    peers[index] =
        std::to_string(peer.key.domain) + "/" + std::to_string(peer.key.handle);
    nodes.push_back(schema::RegistryPeerPath(name, index));
    auto known = view.peers.find(index);
    if (known == view.peers.end() || known->second != peers[index]) {
      (void)xenstore_.Write(
          kNoTransaction, schema::RegistryPeerPath(name, index), peers[index]);
    }
  }
  view.peers = std::move(peers);
  // A node created above inherited its parent's readers; any change of the
  // member set is applied to every node.
  if (members != view.readers || !view.readers_set) {
    const std::vector<XsPermission> perms = ReadableBy(members);
    for (const std::string& node : nodes) {
      (void)xenstore_.SetPermissions(kNoTransaction, node, perms);
    }
    view.readers = members;
    view.readers_set = true;
  }
}

void Daemon::WriteBackend(AttachmentKey key, std::string_view node,
                          const std::string& value) {
  const std::string path = schema::BackendNode(key.domain, key.handle, node);
  if (Status written = xenstore_.Write(kNoTransaction, path, value);
      !written.ok()) {
    Log("cannot write " + path + ": " + written.ToString());
  }
}

Status Daemon::RunOnce(std::chrono::milliseconds timeout) {
  std::vector<pollfd> fds = {{xenstore_.watch_fd(), POLLIN, 0},
                             {event_channels_->fd(), POLLIN, 0}};
  std::vector<AttachmentKey> watched;
  for (const auto& [key, watch] : exit_watches_) {
    fds.push_back({watch.fd(), POLLIN, 0});
    watched.push_back(key);
  }
  int ready = poll(fds.data(), fds.size(), static_cast<int>(timeout.count()));
  if (ready < 0 && errno != EINTR) return StatusFromErrno(errno, "poll");
  HandleControlEvents();
  for (size_t i = 0; ready > 0 && i < watched.size(); ++i) {
    if (fds[i + 2].revents != 0) HandleProcessExit(watched[i]);
  }
  WithdrawOrphanedRequests();
  std::set<DomainId> to_scan;
  bool domains_changed = false;
  bool policy_changed = false;
  while (auto event = xenstore_.TakeWatchEvent()) {
    if (event->token == kDomainsToken) {
      domains_changed = true;
    } else if (event->token == kPolicyToken) {
      policy_changed = true;
    } else if (auto location = schema::ParseFrontendPath(event->path)) {
      if (domains_.contains(location->domain)) {
        to_scan.insert(location->domain);
      }
    }
  }
  if (domains_changed) SyncDomains();
  if (policy_changed) {
    for (DomainId domain : domains_) {
      policy_.Refresh(xenstore_, domain);
      PreCreateRegions(domain);
    }
  }
  for (DomainId domain : to_scan) {
    if (domains_.contains(domain)) ScanDomain(domain);
  }
  return Status();
}

void Daemon::HandleControlEvents() {
  while (true) {
    auto pending = event_channels_->TakePending();
    if (!pending || !*pending) return;
    const EventPort port = **pending;
    (void)event_channels_->Unmask(port);
    // A frontend never notifies its control channel itself: an event there
    // is gntdev's unmap-notify, sent when the peer unmapped the region (on
    // detach, or because its process died).
    std::optional<AttachmentKey> owner;
    for (const auto& [name, region] : table_.regions()) {
      for (const auto& [index, peer] : region.peers) {
        if (peer.control_port == port) owner = peer.key;
      }
    }
    if (!owner) continue;
    DetachAndClose(*owner, "region unmapped (detach or process exit)");
    orphans_[*owner] = std::chrono::steady_clock::now() + options_.orphan_grace;
  }
}

void Daemon::HandleProcessExit(AttachmentKey key) {
  auto watch = exit_watches_.find(key);
  if (watch == exit_watches_.end()) return;
  const std::string pid = std::to_string(watch->second.pid());
  DetachAndClose(key, "process " + pid + " exited");
  WithdrawRequest(key);
}

void Daemon::DetachAndClose(AttachmentKey key, std::string_view why) {
  Detach(key, why);
  WriteBackend(key, schema::kNodeState,
               schema::StateValue(schema::XenbusState::kClosed));
}

void Daemon::WithdrawRequest(AttachmentKey key) {
  // Removing it frees the handle; the frontend watch then removes the
  // backend directory.
  (void)xenstore_.Remove(kNoTransaction,
                         schema::FrontendPath(key.domain, key.handle));
}

void Daemon::WithdrawOrphanedRequests() {
  const auto now = std::chrono::steady_clock::now();
  for (auto it = orphans_.begin(); it != orphans_.end();) {
    const auto [key, grace_ends] = *it;
    if (now < grace_ends) {
      ++it;
      continue;
    }
    it = orphans_.erase(it);
    auto state = xenstore_.Read(
        kNoTransaction,
        schema::FrontendNode(key.domain, key.handle, schema::kNodeState));
    // A library cleaning up says Closing; a handle attached anew is ours.
    if (!state ||
        *state != schema::StateValue(schema::XenbusState::kConnected) ||
        table_.FindAttachment(key)) {
      continue;
    }
    Log("domain " + std::to_string(key.domain) + " handle " +
        std::to_string(key.handle) +
        ": its process died attached; request withdrawn");
    WithdrawRequest(key);
  }
}

size_t Daemon::Shutdown() {
  std::vector<std::string> idle;
  for (const auto& [name, region] : table_.regions()) {
    if (region.peers.empty()) idle.push_back(name);
  }
  for (const std::string& name : idle) DestroyRegion(name);
  return table_.regions().size();
}

void Daemon::Run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    if (Status ran = RunOnce(std::chrono::milliseconds(100)); !ran.ok()) {
      Log("event loop: " + ran.ToString());
    }
  }
}

}  // namespace xenshm::backend
