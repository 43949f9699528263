// Daemon: the core of xenshmd, as a library so tests run it in-process.
//
// It watches every domain's /local/domain/<d>/device/xenshm tree, answers
// attach requests by creating or joining regions, grants region pages to the
// attaching guest through the RegionGranter, and publishes the result under
// /local/domain/0/backend/xenshm/<d>/<handle>. It detaches peers that close,
// vanish or whose domain dies (or, for dom0 programs, whose process exits),
// and destroys a region at its last detach.
// Everything read from a guest goes through xenstore-schema's validators.
//
// Threading: one thread drives a Daemon (RunOnce or Run); it is not
// thread-safe.
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
#include "backend/core/process_exit_watch.h"
#include "backend/core/region_table.h"
#include "base/status.h"
#include "platform/platform.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {

struct DaemonOptions {
  // Where log lines go; stderr when empty.
  std::function<void(std::string_view)> log;
  // Who may attach what; allow-all when null. Must outlive the Daemon.
  AccessPolicy* policy = nullptr;
  // The most grant entries xenshmd may hold at once, below what dom0's
  // grant table has free; unlimited when absent.
  std::optional<uint64_t> grant_budget;
  // After a guest's unmap-notify detached it, how long its frontend may
  // stay Connected before xenshmd takes it for a dead process's and
  // withdraws the request (a live library says Closing at once).
  std::chrono::milliseconds orphan_grace{5000};
  // Regions an earlier xenshmd left in the kernel module cannot be adopted
  // yet (docs/real-host.md): Start refuses them (kBusy), or with this set
  // releases them and tells their peers to attach again (--reset).
  bool reset_leftovers = false;
};

class Daemon {
 public:
  // REQUIRES: platform.domain_info and platform.region_granter are set (the
  // daemon runs in dom0). `platform` must outlive the Daemon.
  explicit Daemon(Platform& platform, DaemonOptions options = {});

  // Creates the backend and registry roots, watches domain arrivals and
  // departures, and sets up every existing domain.
  Status Start();
  // Waits up to `timeout` for xenstore events and handles them all.
  Status RunOnce(std::chrono::milliseconds timeout);
  // RunOnce until `stop` is requested.
  void Run(std::stop_token stop);
  // Before exiting: destroys the regions nobody is attached to (pre-created
  // ones; a new xenshmd creates them again). Returns how many regions have
  // peers and so stay in the kernel module.
  size_t Shutdown();

  const RegionTable& regions() const { return table_; }

 private:
  void Log(const std::string& line);
  // Runs `body` in a transaction, retrying while the commit conflicts.
  Status RetryOnAgain(const std::function<Status(XsTransaction)>& body);
  // Refuses or (reset_leftovers) releases the regions an earlier xenshmd
  // left in the module, and clears the registry it left.
  Status HandleLeftovers();
  void SyncDomains();
  void SetUpDomain(DomainId domain);
  void ForgetDomain(DomainId domain);
  void ScanDomain(DomainId domain);
  void HandleAttachment(AttachmentKey key);
  Status Attach(AttachmentKey key, const schema::AttachRequest& request);
  Status GrantToGuest(const Region& region, AttachmentKey key,
                      schema::Access access, Peer& peer,
                      std::string& directory_refs);
  void Detach(AttachmentKey key, std::string_view why);
  // Detach, then answer Closed: for detaches the frontend did not ask for.
  void DetachAndClose(AttachmentKey key, std::string_view why);
  // Removes a request whose process is gone, so nobody else will.
  void WithdrawRequest(AttachmentKey key);
  // Creates the regions `domain`'s policy declares that do not exist yet.
  void PreCreateRegions(DomainId domain);
  // Creates a region in the granter and the table; records it with the
  // policy. REQUIRES: no region named `name`.
  Status CreateRegion(const std::string& name, uint64_t size, DomainId creator);
  void DestroyRegion(const std::string& name);
  void PublishFailure(AttachmentKey key, const Status& status);
  void PublishError(AttachmentKey key, const Status& status);
  void PublishRegistry(const std::string& name);
  void WriteBackend(AttachmentKey key, std::string_view node,
                    const std::string& value);

  // Signals (daemon_signals.cc): the daemon brokers one event channel per
  // pair of peers; the lower index offers a port, the higher binds it.
  // Rewrites every member's members/ listing and wakes them.
  void PublishMembers(const std::string& name);
  // Removes a departed peer from the others' listings and wakes them.
  void UnpublishMember(const std::string& name, uint32_t index);
  // Relays `key`'s offers and bind acknowledgements to their targets.
  void RelaySignals(AttachmentKey key);
  void WakePeer(const Peer& peer);
  // Detaches peers whose unmap-notify fired on their control channel.
  void HandleControlEvents();
  // Detaches a dom0 program's attachment when its process has exited, and
  // withdraws its request for it.
  void HandleProcessExit(AttachmentKey key);
  // Withdraws the requests of guests' processes that died attached (their
  // frontend stayed Connected past the grace), so their handles and
  // xenstore quota come back.
  void WithdrawOrphanedRequests();

  Platform& platform_;
  XenStore& xenstore_;
  RegionGranter& granter_;
  DaemonOptions options_;
  AllowAllPolicy allow_all_;
  AccessPolicy& policy_;
  RegionTable table_;
  std::unique_ptr<EventChannels> event_channels_;  // control channels
  std::set<DomainId> domains_;
  // The last frontend state seen per attachment, for transition checks.
  std::map<AttachmentKey, schema::XenbusState> frontend_states_;
  // Requests answered (success or failure) whose frontend still exists.
  std::set<AttachmentKey> answered_;
  // Guest attachments detached by unmap-notify whose frontend has not yet
  // said Closing, with the time their grace ends.
  std::map<AttachmentKey, std::chrono::steady_clock::time_point> orphans_;
  // dom0 programs' processes, by attachment (schema node `pid`).
  std::map<AttachmentKey, ProcessExitWatch> exit_watches_;
  // Grant entries this daemon holds (region pages and directory pages).
  uint64_t grants_in_use_ = 0;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_DAEMON_H_
