// Daemon: the core of xenshmd, as a library so tests run it in-process.
//
// It watches every domain's /local/domain/<d>/device/xenshm tree, answers
// attach requests by creating or joining regions, grants region pages to the
// attaching guest through the RegionGranter, and publishes the result under
// /local/domain/0/backend/xenshm/<d>/<handle>. It detaches peers that close,
// vanish or whose domain dies (or, for dom0 programs, whose process exits),
// and destroys a region at its last detach.
//
// The Daemon wires pieces that each own one kind of state
// (docs/architecture.md): RegionTable (regions and their peers),
// AttachmentTable (one record per request handle), GrantLedger (grant
// entries held), QuotaLedger (what each domain makes dom0 hold),
// RegistryPublisher (the registry as last written),
// SignalBroker (members listings and relayed signal channels),
// LivenessWatcher (process exits, orphaned requests) and
// RequestRateLimiter (how often each guest may ask). The Daemon itself
// keeps no per-attachment state; it runs the request state machine.
// Everything read from a guest goes through xenstore-schema's validators.
//
// Threading: one thread drives a Daemon (Run); it is not thread-safe.
#ifndef XENSHM_BACKEND_CORE_DAEMON_H_
#define XENSHM_BACKEND_CORE_DAEMON_H_

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <stop_token>
#include <string>
#include <string_view>

#include "backend/core/access_policy.h"
#include "backend/core/attachment_table.h"
#include "backend/core/grant_ledger.h"
#include "backend/core/journal_store.h"
#include "backend/core/liveness_watcher.h"
#include "backend/core/log_priority.h"
#include "backend/core/quota_ledger.h"
#include "backend/core/region_table.h"
#include "backend/core/registry_publisher.h"
#include "backend/core/request_rate_limiter.h"
#include "backend/core/signal_broker.h"
#include "backend/core/state_journal.h"
#include "base/status.h"
#include "base/undo_log.h"
#include "platform/platform.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {

struct DaemonOptions {
  // Where log lines go, with how much each matters; stderr when empty.
  std::function<void(LogPriority, std::string_view)> log;
  // Who may attach what; allow-all when null. Must outlive the Daemon.
  AccessPolicy* policy = nullptr;
  // The most grant entries xenshmd may hold at once, below what dom0's
  // grant table has free; unlimited when absent.
  std::optional<uint64_t> grant_budget;
  // After a guest's unmap-notify detached it, how long its frontend may
  // stay Connected before xenshmd takes it for a dead process's and
  // withdraws the request (a live library says Closing at once).
  std::chrono::milliseconds orphan_grace{5000};
  // How long a request may take from its first state to joined and
  // Connected before xenshmd reaps it (detaches and withdraws it).
  std::chrono::milliseconds request_timeout{30000};
  // Where xenshmd keeps what a restarted xenshmd adopts (state_journal.h);
  // none: nothing is journaled, and regions an earlier xenshmd left in the
  // module make Start refuse (kBusy). Must outlive the Daemon.
  JournalStore* journal = nullptr;
  // --reset: Start releases whatever an earlier xenshmd left in the kernel
  // module, wipes the journal and tells those peers to attach again,
  // instead of adopting them.
  bool reset_leftovers = false;
  // The clock of the per-domain request rate limit; steady_clock::now when
  // empty (tests set their own, so no test sleeps for a refill).
  RequestRateLimiter::Clock rate_clock;
  // A reload (xenshmd's SIGHUP, Run's `reload_fd`): runs on the daemon's
  // thread, re-reads what the policy is made of (dom0's policy file); then
  // the daemon applies it. Attachments stay: a peer a reload no longer
  // allows keeps its attachment until it detaches, and its next attach is
  // judged by the new rules (docs/policy.md, "Reloading").
  std::function<void()> reload;
};

class Daemon {
 public:
  // REQUIRES: platform.domain_info and platform.region_granter are set (the
  // daemon runs in dom0). `platform` must outlive the Daemon.
  explicit Daemon(Platform& platform, DaemonOptions options = {});

  // Creates the backend and registry roots, watches domain arrivals and
  // departures, and sets up every existing domain.
  Status Start();
  // REQUIRES: Start succeeded. Handles events until `stop_fd` (a signalfd,
  // an eventfd, ...) is readable; returns ok then. Between events it sleeps
  // in poll(), woken only by its file descriptors (xenstore watches, the
  // control channels, dom0 programs' pidfds, `stop_fd`) or when an orphan's
  // grace ends. An error is one the loop cannot carry on from (poll failed).
  // `reload_fd` (-1: none), when readable, is drained and a reload done.
  Status Run(int stop_fd, int reload_fd = -1);
  // The same until `stop` is requested (tests run the daemon on a thread).
  Status Run(std::stop_token stop, int reload_fd = -1);
  // Before exiting: destroys the regions nobody is attached to (pre-created
  // ones; a new xenshmd creates them again). Returns how many regions have
  // peers and so stay in the kernel module.
  size_t Shutdown();

  const RegionTable& regions() const { return regions_; }

 private:
  void Log(const std::string& line) { Log(LogPriority::kInfo, line); }
  void Log(LogPriority priority, const std::string& line);
  // Restart and adoption (adoption.cc; docs/architecture.md, "Restart and
  // adoption").
  // Adopts what an earlier xenshmd left (journal, module, xenstore), or
  // with reset_leftovers releases it; refuses (kBusy) leftovers it cannot
  // adopt.
  Status AdoptOrReset();
  // Releases what an earlier xenshmd left in the module and clears the
  // registry and usage lines it wrote.
  void ResetLeftovers(const std::vector<RegionInfo>& listed);
  // Rebuilds regions, peers, holdings and charges from `snapshot`; the
  // module regions it does not name are released.
  void Adopt(const JournalSnapshot& snapshot,
             const std::vector<RegionInfo>& listed);
  // For an adopted domain that is still the same domain: its peers'
  // control channels bound again, its dom0 programs' processes checked,
  // unanswered answers given again. Peers gone meanwhile are detached.
  void AdoptAttachmentsOf(DomainId domain);
  // After every live domain was set up: domains gone meanwhile forgotten,
  // empty regions destroyed, registry, members and signals brought up to
  // date, every adopted peer woken.
  void FinishAdoption();
  // Writes the journal (after every change a restart must know). An error
  // is logged; the attach that needs it fails.
  Status SaveJournal();
  JournalSnapshot Snapshot() const;
  // Binds the peer's end of `record`'s control channel (learned from its
  // control-port) in place of the one offered again after adoption.
  void LearnPeerPort(Attachment& record);

  // Domains.
  void SyncDomains();
  void SetUpDomain(const DomainState& domain);
  void ForgetDomain(DomainId domain);
  // Reads the domain's request handles and moves each one's state machine.
  void ScanDomain(DomainId domain);
  void HandleWatchEvents();

  // The request state machine of one handle.
  void HandleAttachment(AttachmentKey key);
  Status Attach(Attachment& record, const schema::AttachRequest& request);
  // Grants the region and a grant directory to a guest; each step's undo
  // goes to `undo`. Fills `held` (directory, entries, directory_refs).
  Status GrantToGuest(const Region& region, AttachmentKey key,
                      schema::Access access, Holdings& held, UndoLog& undo);
  void Detach(AttachmentKey key, std::string_view why);
  // Detach, then answer Closed: for detaches the frontend did not ask for.
  void DetachAndClose(AttachmentKey key, std::string_view why);
  // Removes a request whose process is gone, so nobody else will.
  void WithdrawRequest(AttachmentKey key);

  // Regions.
  // Creates the regions `domain`'s policy declares that do not exist yet,
  // and keeps those that do (from its earlier run) alive for it.
  void PreCreateRegions(DomainId domain);
  // Takes reserved names from the regions that hold them without being the
  // declared region (the policy's SquattedNames): each keeps its memory
  // and peers under a name no request can ask for, "@<id>-<name>".
  void ReclaimReservedNames();
  // Asks the policy again about domains whose requests wait for it, and
  // handles those requests once it has decided.
  void RetryAwaitingPolicies();
  // After the policy changed: reserved names taken back, declared regions
  // made.
  void ApplyPolicyChange();
  // Creates a region in the granter and the table; records it with the
  // policy. REQUIRES: no region named `name`.
  // `charged`: its pages count against the creator's quota.
  Status CreateRegion(const std::string& name, uint64_t size, DomainId creator,
                      bool charged);
  void DestroyRegion(const std::string& name);

  // Answers.
  // The Connected answer of a joined attachment: its control channel,
  // geometry, what to map, members, then status and state.
  void PublishAnswer(AttachmentKey key, const Region& region, uint32_t index,
                     const Holdings& held);
  void PublishFailure(Attachment& record, const Status& status);
  void PublishError(AttachmentKey key, const Status& status);
  void WriteBackend(AttachmentKey key, std::string_view node,
                    const std::string& value);

  // Liveness.
  // Detaches peers whose unmap-notify fired on their control channel.
  void HandleControlEvents();
  // Detaches a dom0 program's attachment when its process has exited, and
  // withdraws its request for it.
  void HandleProcessExit(AttachmentKey key);
  // Withdraws the requests of guests' processes that died attached.
  void WithdrawOrphanedRequests();
  // Reaps requests not joined and Connected in time.
  void ReapStaleRequests();

  // Quotas (guests only: dom0 is trusted, as xenstored trusts it).
  // The requests of `domain` not yet joined and Connected, but `except`.
  uint32_t PendingRequestsOf(DomainId domain,
                             std::optional<AttachmentKey> except) const;
  // What `domain` holds now: the ledger's charges, its pending requests,
  // and the grant entries its mappings keep alive after a detach (deferred
  // by the module until it unmaps), counted as memory granted to it.
  DomainUsage CurrentUsage(DomainId domain,
                           std::optional<AttachmentKey> except_pending);
  // Writes `domain`'s usage line for xenshmctl (schema::UsagePath).
  void PublishUsage(DomainId domain);
  // Charges a request of `record`'s domain to its rate limit. False when
  // refused: then answered rate-limited (the request Closed, or an error
  // node if already answered), or, for a domain deferred, left for the
  // rescan when it resumes.
  bool AdmitRequest(Attachment& record);
  // Rescans the deferred domains whose rate limit has a token again: their
  // events were left to coalesce meanwhile.
  void ResumeDeferredDomains();

  Platform& platform_;
  XenStore& xenstore_;
  RegionGranter& granter_;
  DaemonOptions options_;
  AllowAllPolicy allow_all_;
  AccessPolicy& policy_;
  std::unique_ptr<EventChannels> event_channels_;  // control channels
  std::map<DomainId, DomainState> domains_;
  // From the journal, until each is set up again or forgotten: id -> UUID.
  std::map<DomainId, std::string> adopted_domains_;
  // The attach between its first module call and its join, journaled so a
  // restarted xenshmd undoes it (JournaledPeer::complete false).
  std::optional<JournaledPeer> granting_;
  // Control ports xenshmd bound (adoption), and when: each bind raises one
  // event at once, which is not an unmap-notify. Only an event soon after
  // the bind is taken for it, so a missing one cannot hide a later death.
  std::map<EventPort, std::chrono::steady_clock::time_point>
      spurious_control_events_;
  // Domains with a request waiting for their policy (AccessPolicy::Awaiting).
  std::set<DomainId> awaiting_policy_;
  RegionTable regions_;
  AttachmentTable attachments_;
  GrantLedger grants_;
  QuotaLedger quotas_;
  RegistryPublisher registry_;
  std::unique_ptr<SignalBroker> signals_;  // once event_channels_ is open
  LivenessWatcher liveness_;
  RequestRateLimiter rates_;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_DAEMON_H_
