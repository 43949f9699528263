// Restart and adoption: the part of Daemon that lets a new xenshmd carry on
// where a dead, stopped or upgraded one left off (docs/architecture.md,
// "Restart and adoption").
//
// What outlives xenshmd: the kernel module's regions and grants, xenstore
// (requests, answers, members, registry), the peers' ends of the control
// channels (unbound when our end closed, waiting for dom0 to bind again),
// the peer-to-peer signal channels, and the journal. A new xenshmd rebuilds
// its tables from the journal, checks each piece against the module and
// xenstore, and only then answers anything.
#include <set>

#include "backend/core/daemon.h"
#include "xenstore-schema/grant_directory.h"

namespace xenshm::backend {

JournalSnapshot Daemon::Snapshot() const {
  JournalSnapshot snapshot;
  for (const auto& [domain, state] : domains_) {
    snapshot.domains.emplace(domain, state.uuid);
  }
  // Not set up again yet (adoption runs): still the journal's.
  for (const auto& [domain, uuid] : adopted_domains_) {
    snapshot.domains.emplace(domain, uuid);
  }
  for (const auto& [name, region] : regions_.regions()) {
    snapshot.regions.push_back({.name = name,
                                .size = region.size,
                                .id = region.id,
                                .charged_to = region.charged_to,
                                .attributes = region.attributes,
                                .policy_record = policy_.RegionRecord(name)});
    for (const auto& [index, peer] : region.peers) {
      JournaledPeer journaled;
      journaled.key = peer.key;
      journaled.region = name;
      journaled.index = index;
      journaled.access = peer.access;
      journaled.complete = true;
      if (const Attachment* record = attachments_.Find(peer.key);
          record != nullptr && record->held) {
        const Holdings& held = *record->held;
        journaled.directory = held.directory;
        journaled.grant_entries = held.grant_entries;
        journaled.directory_refs = held.directory_refs;
        journaled.local_id = held.local_id;
        journaled.peer_port = held.peer_port;
        if (record->exit_watch) {
          journaled.pid = record->exit_watch->pid();
          journaled.pid_started = record->exit_watch->started();
        }
      }
      snapshot.peers.push_back(std::move(journaled));
    }
  }
  if (granting_) snapshot.peers.push_back(*granting_);
  return snapshot;
}

Status Daemon::SaveJournal() {
  if (options_.journal == nullptr) return Status();
  Status saved = options_.journal->Save(EncodeJournal(Snapshot()));
  if (!saved.ok()) {
    Log(LogPriority::kError,
        "cannot write the journal " + options_.journal->Where() +
            " (a restarted xenshmd could not adopt this change): " +
            saved.ToString());
  }
  return saved;
}

Status Daemon::AdoptOrReset() {
  auto listed = granter_.List();
  if (!listed) return listed.error();
  std::optional<std::string> text;
  if (options_.journal != nullptr && !options_.reset_leftovers) {
    auto loaded = options_.journal->Load();
    if (!loaded) {
      return Status(loaded.error().code(),
                    "cannot read the journal: " + loaded.error().message() +
                        "; xenshmd cannot adopt what an earlier one left "
                        "(start with --reset to release it)");
    }
    text = std::move(*loaded);
  }
  if (options_.reset_leftovers || !text) {
    if (!listed->empty() && !options_.reset_leftovers) {
      return Status(
          Code::kBusy,
          std::to_string(listed->size()) +
              " regions (shared memory and grant directories) of an earlier "
              "xenshmd are still in the kernel module, and no journal says "
              "what they are" +
              (options_.journal != nullptr
                   ? " (" + options_.journal->Where() + " is missing)"
                   : std::string()) +
              ". Answering attaches now would give new peers other memory "
              "than the old peers share. Detach them (or stop their "
              "domains), or start with --reset to release them and tell "
              "their peers to attach again");
    }
    ResetLeftovers(*listed);
    return SaveJournal();
  }
  auto snapshot = DecodeJournal(*text);
  if (!snapshot) {
    return Status(Code::kInvalidArgument,
                  options_.journal->Where() + ": " +
                      snapshot.error().message() +
                      "; xenshmd will not guess what it meant (start with "
                      "--reset to release what an earlier xenshmd left)");
  }
  Adopt(*snapshot, *listed);
  return SaveJournal();
}

void Daemon::ResetLeftovers(const std::vector<RegionInfo>& listed) {
  for (const RegionInfo& region : listed) {
    // Memory a peer still maps is freed when it unmaps (the module defers).
    if (Status released = granter_.Release(region.id); !released.ok()) {
      Log(LogPriority::kWarning, "--reset: cannot release region " +
                                     std::to_string(region.id) + ": " +
                                     released.ToString());
    }
  }
  // The registry and the usage lines describe this daemon's tables, empty
  // at start.
  registry_.Clear();
  if (auto domains = xenstore_.List(kNoTransaction, schema::UsageRoot())) {
    for (const std::string& domain : *domains) {
      (void)xenstore_.Remove(kNoTransaction,
                             schema::UsageRoot() + "/" + domain);
    }
  }
  if (!listed.empty()) {
    Log(LogPriority::kNotice,
        "--reset: released " + std::to_string(listed.size()) +
            " regions of an earlier xenshmd; their peers are told to attach "
            "again");
  }
}

void Daemon::Adopt(const JournalSnapshot& snapshot,
                   const std::vector<RegionInfo>& listed) {
  std::set<RegionId> live;
  for (const RegionInfo& region : listed) live.insert(region.id);
  std::set<RegionId> named;  // module ids the journal accounts for
  size_t regions = 0;
  size_t peers = 0;
  size_t undone = 0;
  for (const JournaledRegion& journaled : snapshot.regions) {
    if (!live.contains(journaled.id)) {
      // Released, and the journal not written yet: it was being destroyed.
      Log(LogPriority::kNotice, "journal: region '" + journaled.name +
                                    "' is no longer in the kernel module");
      continue;
    }
    regions_.Create(journaled.name, journaled.size, journaled.id);
    Region& region = regions_.Mutable(journaled.name);
    region.attributes = journaled.attributes;
    region.charged_to = journaled.charged_to;
    if (region.charged_to) {
      quotas_.Charge(*region.charged_to,
                     {.regions = 1, .region_bytes = region.pages * kPageSize});
    }
    if (!policy_.AdoptRegion(journaled.name, journaled.policy_record)) {
      Log(LogPriority::kWarning,
          "journal: the policy's record of '" + journaled.name +
              "' is unreadable; it keeps its memory and peers, with the "
              "rules of a region nobody owns");
    }
    named.insert(journaled.id);
    ++regions;
  }
  for (const JournaledPeer& journaled : snapshot.peers) {
    const Region* region = regions_.Find(journaled.region);
    if (region == nullptr) continue;  // its region is gone (above)
    if (!journaled.complete) {
      // The xenshmd before died granting it: undo what it may have done
      // (the directory, never journaled, goes with the unnamed ids below),
      // and the request is handled again, from the start.
      if (journaled.key.domain != kDom0) {
        (void)granter_.Revoke(region->id, journaled.key.domain);
      }
      Log(LogPriority::kNotice,
          Describe(journaled.key) +
              ": undid its attach, which a dying xenshmd left half done; "
              "its request is handled again");
      ++undone;
      continue;
    }
    if (journaled.directory && live.contains(*journaled.directory)) {
      named.insert(*journaled.directory);
    }
    regions_.Join(journaled.region,
                  Peer{journaled.key, journaled.index, journaled.access});
    Attachment& record = attachments_.Open(journaled.key);
    record.answered = true;
    // Connected is when the peer's port is learned; before it, the answer
    // may not have been given, or taken.
    record.frontend_state = journaled.peer_port != 0
                                ? schema::XenbusState::kConnected
                                : schema::XenbusState::kInitialised;
    record.held = Holdings{.control_port = 0,
                           .directory = journaled.directory,
                           .grant_entries = journaled.grant_entries,
                           .peer_port = journaled.peer_port,
                           .directory_refs = journaled.directory_refs,
                           .local_id = journaled.local_id};
    if (journaled.pid != 0) {
      // A process gone (or its pid reused) is found when its domain 0 is
      // set up again: no watch then.
      if (auto watch =
              ProcessExitWatch::Open(journaled.pid, journaled.pid_started)) {
        record.exit_watch = std::move(*watch);
      }
    }
    grants_.Charge(journaled.grant_entries);
    if (journaled.key.domain != kDom0) {
      quotas_.Charge(journaled.key.domain,
                     {.attachments = 1,
                      .mapped_bytes = journaled.grant_entries * kPageSize});
    }
    ++peers;
  }
  for (const RegionInfo& region : listed) {
    if (named.contains(region.id)) continue;
    // Allocated by an attach or a destroy that a dying xenshmd did not
    // finish: nobody was told of it.
    (void)granter_.Release(region.id);
    Log(LogPriority::kNotice, "released module region " +
                                  std::to_string(region.id) +
                                  ", which the journal does not name (an "
                                  "attach or destroy cut short)");
  }
  for (const auto& [domain, uuid] : snapshot.domains) {
    adopted_domains_.emplace(domain, uuid);
  }
  // The broker's memory of what it wrote, before anything detaches (a
  // detach removes what was relayed to the peers that stay).
  for (const auto& [name, region] : regions_.regions()) {
    signals_->PublishMembers(region);
    for (const auto& [index, peer] : region.peers) {
      signals_->Relay(region, peer);
    }
  }
  Log(LogPriority::kNotice,
      "adopting " + std::to_string(regions) + " regions and " +
          std::to_string(peers) + " peers from " + options_.journal->Where() +
          (undone > 0
               ? "; undid " + std::to_string(undone) + " attaches cut short"
               : std::string()));
}

void Daemon::AdoptAttachmentsOf(DomainId domain) {
  for (AttachmentKey key : regions_.AttachmentsOf(domain)) {
    Attachment* record = attachments_.Find(key);
    if (record == nullptr || !record->held) continue;
    Holdings& held = *record->held;
    if (held.control_port != 0) continue;  // adopted already
    const auto joined = regions_.FindAttachment(key);
    if (domain == kDom0 && !record->exit_watch) {
      DetachAndClose(key, "its process exited while no xenshmd ran");
      WithdrawRequest(key);
      continue;
    }
    if (held.peer_port != 0) {
      // Our old end closed with the old xenshmd, which left the peer's end
      // unbound, waiting for dom0: bind it again. If that fails the peer
      // closed it: it detached, or its process died, meanwhile.
      auto bound = event_channels_->BindInterdomain(domain, held.peer_port);
      if (!bound) {
        DetachAndClose(key,
                       "its control channel closed while no xenshmd ran "
                       "(it detached or its process died)");
        if (Attachment* gone = attachments_.Find(key)) {
          liveness_.StartGrace(*gone, std::chrono::steady_clock::now());
        }
        continue;
      }
      held.control_port = *bound;
      spurious_control_events_[*bound] = std::chrono::steady_clock::now();
      continue;
    }
    // Not Connected yet: the answer is given again with a new control
    // channel (the old offer died with the old xenshmd); the peer's end is
    // bound when it says Connected, if it took the old offer.
    auto offered = event_channels_->AllocateUnbound(domain);
    if (!offered) {
      DetachAndClose(key, "cannot offer it a control channel again: " +
                              offered.error().ToString());
      continue;
    }
    held.control_port = *offered;
    record->rebind_on_connect = true;
    liveness_.StartRequestClock(*record, std::chrono::steady_clock::now());
    PublishAnswer(key, *joined->first, joined->second->index, held);
  }
}

void Daemon::LearnPeerPort(Attachment& record) {
  if (!record.held || record.held->peer_port != 0) return;
  const AttachmentKey key = record.key;
  auto raw = xenstore_.Read(
      kNoTransaction,
      schema::FrontendNode(key.domain, key.handle, schema::kNodeControlPort));
  if (!raw) return;  // nothing to bind again after a restart, then
  auto port = schema::ParsePort(*raw);
  if (!port) {
    PublishError(key, port.error());
    return;
  }
  if (std::exchange(record.rebind_on_connect, false)) {
    // Adopted before Connected: the peer took either the old offer (its end
    // is unbound now, and binding it works) or ours (then binding fails).
    if (auto bound = event_channels_->BindInterdomain(key.domain, *port)) {
      (void)event_channels_->Unbind(record.held->control_port);
      record.held->control_port = *bound;
      spurious_control_events_[*bound] = std::chrono::steady_clock::now();
    }
  }
  record.held->peer_port = *port;
  (void)SaveJournal();
}

void Daemon::FinishAdoption() {
  // Journaled domains that are gone (or whose id another domain has now).
  std::vector<DomainId> gone;
  for (const auto& [domain, uuid] : adopted_domains_) gone.push_back(domain);
  adopted_domains_.clear();
  for (DomainId domain : gone) ForgetDomain(domain);
  std::vector<std::string> empty;
  for (const auto& [name, region] : regions_.regions()) {
    if (region.peers.empty() && !region.pinned_by) empty.push_back(name);
  }
  for (const std::string& name : empty) DestroyRegion(name);
  // The registry as this xenshmd's tables say: stale names go.
  if (auto keys = xenstore_.List(kNoTransaction, schema::RegistryRoot())) {
    for (const std::string& key : *keys) {
      const std::string name = schema::RegionNameOfRegistryKey(key);
      if (regions_.Find(name) == nullptr) registry_.Remove(name);
    }
  }
  std::set<DomainId> charged;
  for (const auto& [name, region] : regions_.regions()) {
    registry_.Publish(region);
    if (region.charged_to) charged.insert(*region.charged_to);
    for (const auto& [index, peer] : region.peers) {
      charged.insert(peer.key.domain);
      // What changed while nobody listened is read again.
      signals_->Wake(peer);
    }
  }
  for (DomainId domain : charged) PublishUsage(domain);
  (void)SaveJournal();
}

}  // namespace xenshm::backend
