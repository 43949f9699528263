#include "backend/core/daemon.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <map>
#include <tuple>
#include <utility>
#include <vector>

#include "platform/xenstore_retry.h"
#include "xenstore-schema/grant_directory.h"
#include "xenstore-schema/limits.h"

namespace xenshm::backend {
namespace {

constexpr std::string_view kDomainsToken = "domains";
constexpr std::string_view kFrontendToken = "frontend";
constexpr std::string_view kPolicyToken = "policy";
// How soon after xenshmd binds a control port the event the bind raises
// arrives (at once; seconds under emulation at worst).
constexpr std::chrono::seconds kSpuriousEventWindow{5};

std::string MillisecondsSince(std::chrono::steady_clock::time_point since) {
  return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                            std::chrono::steady_clock::now() - since)
                            .count());
}

}  // namespace

Daemon::Daemon(Platform& platform, DaemonOptions options)
    : platform_(platform),
      xenstore_(*platform.xenstore),
      granter_(*platform.region_granter),
      options_(std::move(options)),
      policy_(options_.policy != nullptr ? *options_.policy : allow_all_),
      grants_(options_.grant_budget),
      registry_(xenstore_),
      liveness_(options_.orphan_grace, options_.request_timeout),
      rates_(options_.rate_clock) {}

void Daemon::Log(LogPriority priority, const std::string& line) {
  if (options_.log) {
    options_.log(priority, line);
  } else {
    std::cerr << "xenshmd: " << line << std::endl;
  }
}

Status Daemon::Start() {
  for (const std::string& root :
       {schema::BackendRoot(), schema::RegistryRoot(), schema::UsageRoot()}) {
    XENSHM_RETURN_IF_ERROR(xenstore_.Mkdir(kNoTransaction, root));
    XENSHM_RETURN_IF_ERROR(xenstore_.SetPermissions(
        kNoTransaction, root, {{kDom0, XsAccess::kNone}}));
  }
  // Channels first: adoption binds the peers' control channels again.
  auto channels = platform_.open_event_channels();
  if (!channels) return channels.error();
  event_channels_ = std::move(*channels);
  signals_ =
      std::make_unique<SignalBroker>(xenstore_, *event_channels_, attachments_);
  XENSHM_RETURN_IF_ERROR(AdoptOrReset());
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
  FinishAdoption();
  Log(LogPriority::kNotice,
      "started; " + std::to_string(domains_.size()) + " domains");
  return Status();
}

void Daemon::SyncDomains() {
  auto listed = platform_.domain_info->List();
  if (!listed) {
    Log(LogPriority::kError,
        "cannot list domains: " + listed.error().ToString());
    return;
  }
  std::map<DomainId, DomainState> alive;
  for (const DomainState& state : *listed) {
    if (!state.dying) alive.emplace(state.id, state);
  }
  std::vector<DomainId> gone;
  for (const auto& [domain, state] : domains_) {
    // A domid reused between two looks is another domain (its UUID says).
    auto now = alive.find(domain);
    if (now == alive.end() || now->second.uuid != state.uuid) {
      gone.push_back(domain);
    }
  }
  for (DomainId domain : gone) ForgetDomain(domain);
  for (const auto& [domain, state] : alive) {
    // A journaled domain of another UUID is another domain: the journal's
    // went while no xenshmd ran.
    if (auto adopted = adopted_domains_.find(domain);
        adopted != adopted_domains_.end() && adopted->second != state.uuid) {
      adopted_domains_.erase(adopted);
      ForgetDomain(domain);
    }
    if (!domains_.contains(domain)) SetUpDomain(state);
  }
}

void Daemon::SetUpDomain(const DomainState& state) {
  const DomainId domain = state.id;
  // The guest's device/ directory is read-only to it (libxl makes it so), so
  // the daemon creates the guest's request directory and hands it over.
  // One transaction, so the guest never sees the directory before it may
  // write in it.
  const std::string root = schema::FrontendRoot(domain);
  Status made = RetryOnAgain(xenstore_, [&](XsTransaction t) -> Status {
    XENSHM_RETURN_IF_ERROR(xenstore_.Mkdir(t, root));
    return xenstore_.SetPermissions(t, root, {{domain, XsAccess::kNone}});
  });
  if (!made.ok()) {
    Log(LogPriority::kError,
        "domain " + std::to_string(domain) +
            ": cannot create request directory: " + made.ToString());
    return;
  }
  const std::string backend = schema::BackendDomainPath(domain);
  (void)xenstore_.Mkdir(kNoTransaction, backend);
  (void)xenstore_.SetPermissions(kNoTransaction, backend,
                                 Dom0OwnedReadableBy({domain}));
  if (Status watched = xenstore_.Watch(root, std::string(kFrontendToken));
      !watched.ok()) {
    Log(LogPriority::kError, "domain " + std::to_string(domain) +
                                 ": cannot watch " + root + ": " +
                                 watched.ToString());
    return;
  }
  domains_.emplace(domain, state);
  // The policy first: the domain's requests are answered under it.
  policy_.Refresh(xenstore_, state);
  if (adopted_domains_.contains(domain)) {
    adopted_domains_.erase(domain);
    AdoptAttachmentsOf(domain);
  }
  ReclaimReservedNames();
  PreCreateRegions(domain);
  ScanDomain(domain);
}

void Daemon::ForgetDomain(DomainId domain) {
  for (AttachmentKey key : regions_.AttachmentsOf(domain)) {
    Detach(key, "domain " + std::to_string(domain) + " is gone");
  }
  std::vector<std::string> unpinned;
  for (const auto& [name, region] : regions_.regions()) {
    if (region.pinned_by == domain) unpinned.push_back(name);
  }
  for (const std::string& name : unpinned) {
    regions_.Mutable(name).pinned_by.reset();
    if (regions_.Find(name)->peers.empty()) DestroyRegion(name);
  }
  policy_.Forget(xenstore_, domain);
  (void)xenstore_.Unwatch(schema::FrontendRoot(domain),
                          std::string(kFrontendToken));
  (void)xenstore_.Remove(kNoTransaction, schema::BackendDomainPath(domain));
  for (AttachmentKey key : attachments_.KeysOf(domain)) {
    attachments_.Erase(key);
  }
  PublishUsage(domain);  // what its regions still charge it, if anything
  rates_.Forget(domain);
  domains_.erase(domain);
  awaiting_policy_.erase(domain);
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
  // Handles whose frontend directory vanished first: detach and clean up,
  // so that what they held is free for the requests handled below.
  bool forgotten = false;
  for (AttachmentKey key : attachments_.KeysOf(domain)) {
    if (handles.contains(key.handle)) continue;
    const Attachment& record = *attachments_.Find(key);
    const bool answered = record.answered || record.held;
    if (record.held) Detach(key, "frontend removed");
    if (answered) {
      (void)xenstore_.Remove(kNoTransaction,
                             schema::BackendPath(key.domain, key.handle));
    }
    attachments_.Erase(key);
    forgotten = true;
  }
  if (forgotten) PublishUsage(domain);  // fewer pending requests
  for (uint32_t handle : handles) HandleAttachment({domain, handle});
}

void Daemon::HandleAttachment(AttachmentKey key) {
  auto raw_state = xenstore_.Read(
      kNoTransaction,
      schema::FrontendNode(key.domain, key.handle, schema::kNodeState));
  if (!raw_state) return;  // request not complete yet
  bool created = false;
  Attachment& record = attachments_.Open(key, &created);
  if (created) {
    liveness_.StartRequestClock(record, std::chrono::steady_clock::now());
  }
  auto state = schema::ParseState(*raw_state);
  if (!state) {
    if (!AdmitRequest(record)) return;
    if (!record.answered) {
      PublishFailure(record, state.error());
    } else {
      PublishError(key, state.error());
    }
    return;
  }
  if (created && *state == schema::XenbusState::kConnected) {
    // Connected before we ever answered: an earlier xenshmd's attachment
    // that no journal gave us (--reset, or none). Its library sees Closed
    // when it next looks.
    if (!AdmitRequest(record)) return;
    record.frontend_state = *state;
    PublishFailure(record, Status(Code::kBackendUnavailable,
                                  "xenshmd restarted: this attachment is "
                                  "gone; attach again"));
    return;
  }
  if (*state == record.frontend_state && !created) return;
  if (Status moved =
          schema::CheckFrontendTransition(record.frontend_state, *state);
      !moved.ok()) {
    if (!AdmitRequest(record)) return;
    if (record.answered) {
      PublishError(key, moved);
    } else {
      PublishFailure(record, moved);
    }
    return;
  }
  if (*state == schema::XenbusState::kInitialised && !record.answered &&
      policy_.Awaiting(key.domain)) {
    // Judged when the policy is known (RetryAwaitingPolicies), not by the
    // wrong rules now; the state is not taken yet, so the retry sees news.
    awaiting_policy_.insert(key.domain);
    return;
  }
  // New requests are what a guest can send without end (a request's later
  // moves are few: forward only). Deferred, its state stays unseen.
  if (!record.answered &&
      (created || *state == schema::XenbusState::kInitialised) &&
      !AdmitRequest(record)) {
    return;
  }
  record.frontend_state = *state;

  if (*state == schema::XenbusState::kInitialised && !record.answered) {
    record.answered = true;
    Status result;
    if (key.domain != kDom0) {
      result = CheckQuota(key.domain, CurrentUsage(key.domain, key),
                          {.pending = 1}, policy_.QuotaOf(key.domain));
    }
    auto request = schema::ReadAttachRequest(xenstore_, kNoTransaction,
                                             key.domain, key.handle);
    if (result.ok()) {
      result = request ? Attach(record, *request) : request.error();
    }
    if (!result.ok()) {
      Log(LogPriority::kNotice,
          Describe(key) + ": attach refused: " + result.ToString());
      PublishFailure(record, result);
    }
    return;
  }
  // Only a frontend that stays Connected after its unmap-notify is a dead
  // process's; any other move means a library is at work.
  if (*state != schema::XenbusState::kConnected) record.orphan_deadline.reset();
  const auto joined = regions_.FindAttachment(key);
  if (*state == schema::XenbusState::kConnected && joined) {
    record.request_deadline.reset();  // complete: no longer pending
    LearnPeerPort(record);
    signals_->Relay(*joined->first, *joined->second);
    return;
  }
  if (*state >= schema::XenbusState::kClosing) {
    // Pending again until the frontend withdraws the request: the clock
    // runs again, so a frontend that never does is reaped.
    if (!record.request_deadline) {
      liveness_.StartRequestClock(record, std::chrono::steady_clock::now());
    }
    if (joined) Detach(key, "frontend closed");
    WriteBackend(key, schema::kNodeState,
                 schema::StateValue(schema::XenbusState::kClosed));
  }
}

Status Daemon::Attach(Attachment& record,
                      const schema::AttachRequest& request) {
  // Timed for the log: where an attach's time goes (docs/performance.md).
  const auto started = std::chrono::steady_clock::now();
  const AttachmentKey key = record.key;
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
      Log(LogPriority::kWarning,
          "domain 0 handle " + std::to_string(key.handle) +
              ": its process cannot be watched, so its exit goes unnoticed: " +
              watch.error().ToString());
    }
  }
  // The policy is asked before the region's existence is told, so a domain
  // it refuses by name gets the same answer for a missing region as for a
  // live one. An attach-only request never creates.
  const bool creates = regions_.Find(request.name) == nullptr &&
                       request.mode != schema::AttachMode::kAttachOnly;
  XENSHM_RETURN_IF_ERROR(
      policy_.Check({key.domain, request.name, request.access, creates}));
  const Region* existing = regions_.Find(request.name);
  if (existing == nullptr && request.mode == schema::AttachMode::kAttachOnly) {
    return Status(Code::kDoesNotExist,
                  "region '" + request.name + "' does not exist");
  }
  // What this attach would charge the domain, checked before anything is
  // allocated.
  const uint64_t pages =
      existing ? existing->pages : schema::PagesFor(request.size);
  DomainUsage charge{.attachments = 1};
  if (existing == nullptr) {
    charge.regions = 1;
    charge.region_bytes = pages * kPageSize;
  }
  if (key.domain != kDom0) {
    charge.mapped_bytes = GrantEntriesFor(pages) * kPageSize;
    XENSHM_RETURN_IF_ERROR(CheckQuota(key.domain, CurrentUsage(key.domain, key),
                                      charge, policy_.QuotaOf(key.domain)));
  }
  UndoLog undo;
  bool created = false;
  if (existing == nullptr) {
    XENSHM_RETURN_IF_ERROR(CreateRegion(request.name, request.size, key.domain,
                                        /*charged=*/key.domain != kDom0));
    created = true;
    undo.Add([this, name = request.name] { DestroyRegion(name); });
  }
  const Region& region = *regions_.Find(request.name);
  auto index = regions_.CheckJoin(request.name, key);
  if (!index) return index.error();
  // Journaled before the first grant: a xenshmd that dies granting leaves a
  // record the next one undoes (its request is then handled again).
  granting_.emplace();
  granting_->key = key;
  granting_->region = request.name;
  granting_->index = *index;
  granting_->access = request.access;
  undo.Add([this] {
    granting_.reset();
    (void)SaveJournal();
  });
  XENSHM_RETURN_IF_ERROR(SaveJournal());
  Holdings held;
  auto control_port = event_channels_->AllocateUnbound(key.domain);
  if (!control_port) return control_port.error();
  held.control_port = *control_port;
  undo.Add(
      [this, port = *control_port] { (void)event_channels_->Unbind(port); });
  std::string granted_in = "0";
  if (key.domain != kDom0) {
    const auto granting = std::chrono::steady_clock::now();
    XENSHM_RETURN_IF_ERROR(
        GrantToGuest(region, key, request.access, held, undo));
    granted_in = MillisecondsSince(granting);
  } else {
    // What a dom0 program maps: the region, or its read-only view, which
    // the module maps only read-only (one per region, released with it).
    held.local_id = region.id;
    if (request.access == schema::Access::kReadOnly) {
      auto view = granter_.ReadOnlyView(region.id);
      if (!view) return view.error();
      held.local_id = *view;
    }
  }
  // The commit point: once journaled, a restarted xenshmd adopts the peer
  // (and gives its answer, if this one dies before it does).
  regions_.Join(request.name, Peer{key, *index, request.access});
  record.held = held;
  if (exit_watch) record.exit_watch = std::move(*exit_watch);
  granting_.reset();
  if (Status saved = SaveJournal(); !saved.ok()) {
    record.held.reset();
    record.exit_watch.reset();
    (void)regions_.Leave(key);
    return saved;
  }
  undo.Commit();

  if (key.domain != kDom0) {
    quotas_.Charge(
        key.domain,
        {.attachments = 1, .mapped_bytes = held.grant_entries * kPageSize});
  }
  registry_.Publish(region);
  PublishAnswer(key, region, *index, *record.held);
  PublishUsage(key.domain);
  Log(Describe(key) + (created ? " created '" : " joined '") + request.name +
      "' as peer " + std::to_string(*index) + " (" +
      std::string(schema::AccessName(request.access)) + "); granted in " +
      granted_in + " ms, answered in " + MillisecondsSince(started) + " ms");
  return Status();
}

Status Daemon::GrantToGuest(const Region& region, AttachmentKey key,
                            schema::Access access, Holdings& held,
                            UndoLog& undo) {
  const uint64_t entries = GrantEntriesFor(region.pages);
  auto free_entries = granter_.FreeGrantEntries();
  if (!free_entries) return free_entries.error();
  XENSHM_RETURN_IF_ERROR(
      grants_.Check({*free_entries, granter_.GrantEntriesPerFrame()}, entries));

  auto refs = granter_.Grant(region.id, key.domain,
                             access == schema::Access::kReadOnly);
  if (!refs) return refs.error();
  undo.Add([this, id = region.id, domain = key.domain] {
    (void)granter_.Revoke(id, domain);
  });

  auto directory = granter_.Allocate(schema::GrantDirectoryPages(region.pages));
  if (!directory) {
    return Status(Code::kNoMemory,
                  "grant directory: " + directory.error().ToString());
  }
  undo.Add([this, id = *directory] { (void)granter_.Release(id); });
  {
    auto mapping = granter_.MapLocal(*directory);
    if (!mapping) return mapping.error();
    schema::WriteGrantDirectory(
        *refs, std::span(static_cast<std::byte*>((*mapping)->data()),
                         (*mapping)->size()));
  }
  auto directory_grants =
      granter_.Grant(*directory, key.domain, /*readonly=*/true);
  if (!directory_grants) return directory_grants.error();
  undo.Add([this, id = *directory, domain = key.domain] {
    (void)granter_.Revoke(id, domain);
  });
  grants_.Charge(entries);
  undo.Add([this, entries] { grants_.Refund(entries); });
  held.directory = *directory;
  held.grant_entries = entries;
  held.directory_refs = schema::FormatRefList(*directory_grants);
  return Status();
}

void Daemon::Detach(AttachmentKey key, std::string_view why) {
  Attachment* record = attachments_.Find(key);
  std::optional<Holdings> held;
  if (record != nullptr) {
    record->exit_watch.reset();
    held = std::exchange(record->held, std::nullopt);
  }
  auto left = regions_.Leave(key);
  if (!left) return;
  const Region* region = regions_.Find(left->name);
  if (held) {
    if (held->control_port != 0) {
      (void)event_channels_->Unbind(held->control_port);
      spurious_control_events_.erase(held->control_port);
    }
    if (key.domain != kDom0) {
      if (Status revoked = granter_.Revoke(region->id, key.domain);
          !revoked.ok()) {
        Log(LogPriority::kWarning,
            "revoke of '" + left->name + "' from domain " +
                std::to_string(key.domain) + ": " + revoked.ToString());
      }
    }
    if (held->directory) {
      (void)granter_.Revoke(*held->directory, key.domain);
      (void)granter_.Release(*held->directory);
    }
    grants_.Refund(held->grant_entries);
    if (key.domain != kDom0) {
      quotas_.Refund(
          key.domain,
          {.attachments = 1, .mapped_bytes = held->grant_entries * kPageSize});
      PublishUsage(key.domain);
    }
  }
  Log(Describe(key) + " detached from '" + left->name + "' (" +
      std::string(why) + ")");
  (void)SaveJournal();
  if (left->region_empty && !region->pinned_by) {
    signals_->UnpublishMember(*region, left->peer.index, key);
    DestroyRegion(left->name);
  } else {
    registry_.Publish(*region);
    signals_->UnpublishMember(*region, left->peer.index, key);
  }
}

void Daemon::DetachAndClose(AttachmentKey key, std::string_view why) {
  Detach(key, why);
  WriteBackend(key, schema::kNodeState,
               schema::StateValue(schema::XenbusState::kClosed));
}

void Daemon::WithdrawRequest(AttachmentKey key) {
  // Removing it frees the handle; the frontend watch then removes the
  // backend directory and the record.
  (void)xenstore_.Remove(kNoTransaction,
                         schema::FrontendPath(key.domain, key.handle));
}

void Daemon::ReclaimReservedNames() {
  for (const auto& [name, declarer] : policy_.SquattedNames()) {
    const Region* region = regions_.Find(name);
    if (region == nullptr) continue;
    const std::string hidden = "@" + std::to_string(region->id) + "-" + name;
    std::string creator = "an unknown domain";
    for (const auto& [attribute, value] : region->attributes) {
      if (attribute == schema::kRegistryOwner) creator = "domain " + value;
    }
    const size_t peers = region->peers.size();
    registry_.Remove(name);
    regions_.Rename(name, hidden);
    policy_.OnRegionRenamed(name, hidden);
    (void)SaveJournal();
    registry_.Publish(*regions_.Find(hidden));
    Log(LogPriority::kNotice,
        "region '" + name + "' of " + creator + " loses its name: '" + name +
            "' is reserved by domain '" + declarer +
            "' (its policy's create=). Its " + std::to_string(peers) +
            " peers keep its memory as '" + hidden + "'; attaches of '" + name +
            "' get the declared region");
  }
}

void Daemon::PreCreateRegions(DomainId domain) {
  for (const PreCreate& region : policy_.RegionsToPreCreate(domain)) {
    if (regions_.Find(region.name) != nullptr) {
      // The declared region of an earlier run of this domain (others kept
      // it attached): it lives for this run now.
      regions_.Mutable(region.name).pinned_by = domain;
      continue;
    }
    if (Status made =
            CreateRegion(region.name, region.size, domain, /*charged=*/false);
        !made.ok()) {
      Log(LogPriority::kError, "domain " + std::to_string(domain) +
                                   ": cannot pre-create '" + region.name +
                                   "': " + made.ToString());
      continue;
    }
    regions_.Mutable(region.name).pinned_by = domain;
    (void)SaveJournal();
    registry_.Publish(*regions_.Find(region.name));
    Log("region '" + region.name + "' pre-created for domain " +
        std::to_string(domain));
  }
}

Status Daemon::CreateRegion(const std::string& name, uint64_t size,
                            DomainId creator, bool charged) {
  auto id = granter_.Allocate(schema::PagesFor(size));
  if (!id) {
    return Status(Code::kNoMemory, "cannot allocate " + std::to_string(size) +
                                       " bytes for '" + name +
                                       "': " + id.error().ToString());
  }
  regions_.Create(name, size, *id);
  Region& region = regions_.Mutable(name);
  region.attributes = policy_.OnRegionCreated(name, creator);
  region.attributes.emplace_back(schema::kRegistryOwner,
                                 std::to_string(creator));
  if (charged) {
    region.charged_to = creator;
    quotas_.Charge(creator,
                   {.regions = 1, .region_bytes = region.pages * kPageSize});
  }
  return Status();
}

void Daemon::DestroyRegion(const std::string& name) {
  const Region* region = regions_.Find(name);
  if (region == nullptr) return;
  (void)granter_.Release(region->id);
  if (const std::optional<DomainId> payer = region->charged_to) {
    quotas_.Refund(*payer,
                   {.regions = 1, .region_bytes = region->pages * kPageSize});
    PublishUsage(*payer);
  }
  registry_.Remove(name);
  policy_.OnRegionDestroyed(name);
  regions_.Erase(name);
  (void)SaveJournal();
  Log("region '" + name + "' destroyed");
}

void Daemon::PublishAnswer(AttachmentKey key, const Region& region,
                           uint32_t index, const Holdings& held) {
  WriteBackend(key, schema::kNodeEventChannel,
               std::to_string(held.control_port));
  WriteBackend(key, schema::kNodeSize, std::to_string(region.size));
  WriteBackend(key, schema::kNodePeerIndex, std::to_string(index));
  if (key.domain == kDom0) {
    WriteBackend(key, schema::kNodeRegionId, std::to_string(held.local_id));
  } else {
    WriteBackend(key, schema::kNodeGrantDirectory, held.directory_refs);
  }
  // Members before Connected, so Region::Peers is right from the answer on.
  signals_->PublishMembers(region);
  WriteBackend(key, schema::kNodeStatus, std::string(CodeName(Code::kOk)));
  WriteBackend(key, schema::kNodeState,
               schema::StateValue(schema::XenbusState::kConnected));
}

void Daemon::PublishFailure(Attachment& record, const Status& status) {
  record.answered = true;
  WriteBackend(record.key, schema::kNodeStatus,
               std::string(CodeName(status.code())));
  WriteBackend(record.key, schema::kNodeMessage, status.message());
  WriteBackend(record.key, schema::kNodeState,
               schema::StateValue(schema::XenbusState::kClosed));
}

void Daemon::PublishError(AttachmentKey key, const Status& status) {
  Log(LogPriority::kNotice, Describe(key) + ": " + status.ToString());
  WriteBackend(key, schema::kNodeError, status.ToString());
}

void Daemon::WriteBackend(AttachmentKey key, std::string_view node,
                          const std::string& value) {
  const std::string path = schema::BackendNode(key.domain, key.handle, node);
  if (Status written = xenstore_.Write(kNoTransaction, path, value);
      !written.ok()) {
    Log(LogPriority::kError,
        "cannot write " + path + ": " + written.ToString());
  }
}

Status Daemon::Run(int stop_fd, int reload_fd) {
  while (true) {
    std::vector<pollfd> fds = {{stop_fd, POLLIN, 0},
                               {xenstore_.watch_fd(), POLLIN, 0},
                               {event_channels_->fd(), POLLIN, 0},
                               {reload_fd, POLLIN, 0}};  // ignored if -1
    constexpr size_t kReload = 3;
    constexpr size_t kFirstExitWatch = 4;
    const std::vector<AttachmentKey> watched =
        liveness_.AddExitWatches(attachments_, fds);
    int timeout = liveness_.MillisecondsToNextDeadline(
        attachments_, std::chrono::steady_clock::now());
    if (!awaiting_policy_.empty()) {
      const int retry = static_cast<int>(kPolicyRetry.count());
      timeout = timeout < 0 ? retry : std::min(timeout, retry);
    }
    if (const int resume = rates_.MillisecondsToNextResume();
        resume >= 0 && (timeout < 0 || resume < timeout)) {
      timeout = resume;
    }
    const int ready = poll(fds.data(), fds.size(), timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return StatusFromErrno(errno, "xenshmd's poll");
    }
    if (fds[0].revents != 0) return Status();
    if (fds[kReload].revents != 0) {
      // A signalfd's record or an eventfd's count: either fits.
      char drained[sizeof(uint64_t) * 16];
      (void)!read(reload_fd, drained, sizeof(drained));
      if (options_.reload) options_.reload();
      ApplyPolicyChange();
      Log(LogPriority::kNotice, "reloaded; attachments unchanged");
    }
    HandleControlEvents();
    for (size_t i = 0; i < watched.size(); ++i) {
      if (fds[kFirstExitWatch + i].revents != 0) HandleProcessExit(watched[i]);
    }
    WithdrawOrphanedRequests();
    ReapStaleRequests();
    ResumeDeferredDomains();
    HandleWatchEvents();
    RetryAwaitingPolicies();
    // Detaches above unbind ports; an event set aside by an unbind is
    // handled now, not at the next wake-up.
    HandleControlEvents();
  }
}

Status Daemon::Run(std::stop_token stop, int reload_fd) {
  const int stop_fd = eventfd(0, EFD_CLOEXEC);
  if (stop_fd < 0) return StatusFromErrno(errno, "eventfd");
  Status ran;
  {
    std::stop_callback wake(stop, [stop_fd] {
      const uint64_t one = 1;
      (void)!write(stop_fd, &one, sizeof(one));
    });
    ran = Run(stop_fd, reload_fd);
  }
  close(stop_fd);
  return ran;
}

void Daemon::HandleWatchEvents() {
  // What changed in each domain's frontend tree, so that one guest write
  // costs work for what it touched, not for the whole tree.
  struct FrontendChanges {
    bool rescan = false;          // a handle directory came or went
    std::set<uint32_t> requests;  // a request node or state changed
    std::set<std::tuple<uint32_t, std::string, uint32_t>> entries;  // signals
  };
  std::map<DomainId, FrontendChanges> changes;
  bool domains_changed = false;
  bool policy_changed = false;
  while (auto event = xenstore_.TakeWatchEvent()) {
    if (event->token == kDomainsToken) {
      domains_changed = true;
    } else if (event->token == kPolicyToken) {
      policy_changed = true;
    } else if (auto location = schema::ParseFrontendPath(event->path)) {
      if (!domains_.contains(location->domain)) continue;
      FrontendChanges& change = changes[location->domain];
      if (!location->handle || location->node.empty()) {
        change.rescan = true;
      } else if (auto entry = schema::ParseSignalEntry(location->node)) {
        change.entries.insert({*location->handle, entry->list, entry->index});
      } else {
        change.requests.insert(*location->handle);
      }
    }
  }
  if (domains_changed) SyncDomains();
  if (policy_changed) {
    for (const auto& [domain, state] : domains_) {
      policy_.Refresh(xenstore_, state);
    }
    ApplyPolicyChange();
  }
  for (const auto& [domain, change] : changes) {
    // A deferred domain's events wait: it is rescanned when it resumes.
    if (!domains_.contains(domain) || rates_.Deferred(domain)) continue;
    if (change.rescan) {
      ScanDomain(domain);
    } else {
      for (uint32_t handle : change.requests) {
        HandleAttachment({domain, handle});
      }
    }
    for (const auto& [handle, list, index] : change.entries) {
      if (const auto joined = regions_.FindAttachment({domain, handle})) {
        signals_->RelayEntry(*joined->first, *joined->second, list, index);
      }
    }
  }
}

void Daemon::ApplyPolicyChange() {
  ReclaimReservedNames();
  for (const auto& [domain, state] : domains_) PreCreateRegions(domain);
}

void Daemon::RetryAwaitingPolicies() {
  for (DomainId domain : std::set<DomainId>(awaiting_policy_)) {
    auto state = domains_.find(domain);
    if (state == domains_.end()) {
      awaiting_policy_.erase(domain);
      continue;
    }
    policy_.Refresh(xenstore_, state->second);
    if (policy_.Awaiting(domain)) continue;
    awaiting_policy_.erase(domain);
    ReclaimReservedNames();
    PreCreateRegions(domain);
    ScanDomain(domain);
  }
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
    if (auto bound = spurious_control_events_.find(port);
        bound != spurious_control_events_.end()) {
      const bool soon = std::chrono::steady_clock::now() - bound->second <
                        kSpuriousEventWindow;
      spurious_control_events_.erase(bound);
      if (soon) continue;
    }
    const Attachment* owner = attachments_.FindByControlPort(port);
    if (owner == nullptr) continue;
    const AttachmentKey key = owner->key;
    DetachAndClose(key, "region unmapped (detach or process exit)");
    if (Attachment* record = attachments_.Find(key)) {
      liveness_.StartGrace(*record, std::chrono::steady_clock::now());
    }
  }
}

void Daemon::HandleProcessExit(AttachmentKey key) {
  const Attachment* record = attachments_.Find(key);
  if (record == nullptr || !record->exit_watch) return;
  const std::string pid = std::to_string(record->exit_watch->pid());
  DetachAndClose(key, "process " + pid + " exited");
  WithdrawRequest(key);
}

void Daemon::WithdrawOrphanedRequests() {
  for (AttachmentKey key :
       liveness_.TakeExpired(attachments_, std::chrono::steady_clock::now())) {
    auto state = xenstore_.Read(
        kNoTransaction,
        schema::FrontendNode(key.domain, key.handle, schema::kNodeState));
    // A library cleaning up says Closing; a handle attached anew is ours.
    if (!state ||
        *state != schema::StateValue(schema::XenbusState::kConnected) ||
        regions_.FindAttachment(key)) {
      continue;
    }
    Log(LogPriority::kNotice,
        Describe(key) + ": its process died attached; request withdrawn");
    WithdrawRequest(key);
  }
}

void Daemon::ReapStaleRequests() {
  for (AttachmentKey key : liveness_.TakeExpiredRequests(
           attachments_, std::chrono::steady_clock::now())) {
    Log(LogPriority::kNotice,
        Describe(key) + ": request not joined and Connected within " +
            std::to_string(options_.request_timeout.count()) +
            " ms; reaped (detached and withdrawn)");
    if (regions_.FindAttachment(key)) {
      DetachAndClose(key, "request not completed in time");
    }
    WithdrawRequest(key);
  }
}

uint32_t Daemon::PendingRequestsOf(DomainId domain,
                                   std::optional<AttachmentKey> except) const {
  uint32_t pending = 0;
  for (AttachmentKey key : attachments_.KeysOf(domain)) {
    const Attachment& record = *attachments_.Find(key);
    const bool complete =
        record.held && record.frontend_state == schema::XenbusState::kConnected;
    if (key != except && !complete) ++pending;
  }
  return pending;
}

DomainUsage Daemon::CurrentUsage(DomainId domain,
                                 std::optional<AttachmentKey> except_pending) {
  DomainUsage usage = quotas_.UsageOf(domain);
  usage.pending = PendingRequestsOf(domain, except_pending);
  if (auto kept = granter_.UsageOf(domain)) {
    usage.mapped_bytes += kept->deferred * kPageSize;
  } else {
    Log(LogPriority::kWarning,
        "domain " + std::to_string(domain) +
            ": cannot read what its mappings keep alive: " +
            kept.error().ToString());
  }
  return usage;
}

void Daemon::PublishUsage(DomainId domain) {
  if (domain == kDom0) return;
  const DomainUsage usage = CurrentUsage(domain, std::nullopt);
  const std::string path = schema::UsagePath(domain);
  if (usage == DomainUsage{}) {
    (void)xenstore_.Remove(kNoTransaction, path);
    return;
  }
  (void)xenstore_.Write(kNoTransaction, path,
                        FormatUsage(usage, policy_.QuotaOf(domain)));
}

bool Daemon::AdmitRequest(Attachment& record) {
  const DomainId domain = record.key.domain;
  if (domain == kDom0) return true;
  const RequestRate rate = RequestRate::Of(policy_.QuotaOf(domain));
  switch (rates_.Charge(domain, rate)) {
    case Admission::kAdmit:
      return true;
    case Admission::kDefer:
      return false;
    case Admission::kRefuse:
      break;
  }
  const Status refused = rates_.Refusal(domain, rate);
  if (record.answered) {
    PublishError(record.key, refused);
  } else {
    Log(LogPriority::kNotice,
        Describe(record.key) + ": attach refused: " + refused.ToString());
    PublishFailure(record, refused);
  }
  if (rates_.Deferred(domain)) {
    Log(LogPriority::kWarning,
        "domain " + std::to_string(domain) +
            ": far above its max-request-rate; its requests wait until it is "
            "back under it");
  }
  return false;
}

void Daemon::ResumeDeferredDomains() {
  for (DomainId domain : rates_.TakeResumed()) {
    if (!domains_.contains(domain)) continue;
    Log("domain " + std::to_string(domain) +
        ": back under its max-request-rate; rescanned");
    ScanDomain(domain);
    // Signal entries it wrote meanwhile: relay what changed.
    for (AttachmentKey key : regions_.AttachmentsOf(domain)) {
      if (const auto joined = regions_.FindAttachment(key)) {
        signals_->Relay(*joined->first, *joined->second);
      }
    }
  }
}

size_t Daemon::Shutdown() {
  std::vector<std::string> idle;
  for (const auto& [name, region] : regions_.regions()) {
    if (region.peers.empty()) idle.push_back(name);
  }
  for (const std::string& name : idle) DestroyRegion(name);
  return regions_.regions().size();
}

}  // namespace xenshm::backend
