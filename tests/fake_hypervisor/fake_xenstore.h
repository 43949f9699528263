// FakeXenStore: an in-memory xenstored shared by several fake domains.
//
// How this works:
//  1. XenStoreCore is the daemon: one tree of nodes, every connection's
//     watches, queued events and open transactions, behind one mutex.
//  2. Connect() opens a connection (one per fake process); it acts as one
//     domain and dies with that domain.
//  3. Permissions follow xenstored: perms[0] names the owner and the access of
//     every domain not listed later; dom0 and the owner have full access. A
//     missing node answers kNotFound only if the nearest existing ancestor
//     grants the access asked for, kNoPermission otherwise. A created node
//     copies its parent's permissions; a guest (not dom0) becomes its owner.
//  4. Transactions work on a snapshot of the tree and record the generation of
//     every node they read or write (absent counts). Commit fails with kAgain
//     if any of those changed meanwhile; otherwise the nodes the transaction
//     changed are copied back and their watches fire.
//  5. A watch fires for changes at or below its path, once when set, and on
//     "@introduceDomain"/"@releaseDomain". An event reaches a watcher only if
//     it may read the changed node ("@" nodes have permissions too, dom0-only
//     by default), except the first event of a new watch.
//  6. Guests have xenstored's default quotas (see the constants below).
//
// Known differences from xenstored: the value-size quota counts the value
// only (xenstored counts the whole node record); the watch quota returns
// kQuotaExceeded (xenstored: E2BIG); Remove of a missing node fails with
// kNotFound as platform/xenstore.h asks (xenstored succeeds when the parent
// exists); transactions snapshot the whole tree at start.
#ifndef XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_XENSTORE_H_
#define XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_XENSTORE_H_

#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "platform/xenstore.h"
#include "tests/fake_hypervisor/domain_table.h"
#include "tests/fake_hypervisor/fault_injector.h"

namespace xenshm::fake {

// xenstored's default quotas for unprivileged domains.
inline constexpr size_t kXsMaxNodesPerDomain = 1000;
inline constexpr size_t kXsMaxWatchesPerDomain = 128;
inline constexpr size_t kXsMaxTransactionsPerConnection = 10;
inline constexpr size_t kXsMaxPermsPerNode = 5;
inline constexpr size_t kXsMaxValueSize = 2048;
// Protocol limits (xs_wire.h), for everyone.
inline constexpr size_t kXsAbsPathMax = 3072;
inline constexpr size_t kXsRelPathMax = 2048;
inline constexpr size_t kXsPayloadMax = 4096;

class XenStoreConnection;

class XenStoreCore : public std::enable_shared_from_this<XenStoreCore> {
 public:
  // The tree starts as xenstored's does after dom0 booted: "/", "/local",
  // "/local/domain" and dom0's home, all owned by dom0 and private.
  XenStoreCore(std::shared_ptr<const DomainTable> domains,
               std::shared_ptr<FaultInjector> faults);
  XenStoreCore(const XenStoreCore&) = delete;
  XenStoreCore& operator=(const XenStoreCore&) = delete;
  ~XenStoreCore();

  // A new connection acting as `caller` (no watches, no transactions).
  std::unique_ptr<XenStore> Connect(const Caller& caller);

  // What libxl does when it creates domain `id`: /local/domain/<id> (owner
  // dom0, readable by <id>) with "domid" and "name" in it, and "data" owned
  // and writable by <id>; then fires "@introduceDomain".
  // `name` "" is "domain-<id>"; no "name" node unless `write_name`.
  void IntroduceDomain(DomainId id, const std::string& name = "",
                       bool write_name = true);
  // What happens when domain `id` dies: its connections lose their watches
  // and transactions, libxl removes /local/domain/<id> (if `remove_home`),
  // nodes it owned pass to dom0 and permission entries naming it are dropped
  // (so a later domain with the same id inherits nothing), then
  // "@releaseDomain" fires.
  void ReleaseDomain(DomainId id, bool remove_home);
  // libxl's "xs_rm /local/domain/<id>" alone, for a domain released earlier
  // with its home left in place. No-op if there is no such home.
  void RemoveHome(DomainId id);

  // For tests: nodes owned by `domain` (what the node quota counts).
  size_t NodesOwnedBy(DomainId domain) const;
  // For tests: watches set by `domain`'s live connections.
  size_t WatchesOf(DomainId domain) const;
  // For tests: every node as "path = value (perms)", one per line, sorted.
  std::string Dump() const;

 private:
  friend class XenStoreConnection;

  struct Node {
    std::string value;
    std::vector<XsPermission> perms;  // never empty
    std::set<std::string> children;   // names, not paths
    uint64_t generation = 0;          // changes on every write of the node
  };
  using NodeMap = std::map<std::string, Node>;

  // A change that fires watches: at `path`, visible to watchers allowed to
  // read under `perms` or `old_perms`. `exact` events reach only watches on
  // `path` itself (children of a removed node).
  struct Change {
    std::string path;
    std::vector<XsPermission> perms;
    std::vector<XsPermission> old_perms;
    bool exact = false;
  };

  struct Transaction {
    NodeMap nodes;  // the snapshot, with this transaction's changes applied
    // Generation at first access of every node read or written (nullopt:
    // absent then).
    std::map<std::string, std::optional<uint64_t>> accessed;
    std::set<std::string> modified;
    std::vector<Change> changes;
  };

  struct Watch {
    std::string path;  // absolute, or "@..."
    std::string token;
    bool relative = false;  // set with a relative path: events are relative
  };

  struct Queued {
    XsWatchEvent event;
    std::string watch_path;
  };

  struct Connection {
    Caller caller;
    int event_fd = -1;  // readable while `events` is not empty
    bool dead = false;  // its domain was destroyed
    std::vector<Watch> watches;
    std::deque<Queued> events;
    XsTransaction next_transaction = 1;
    std::map<XsTransaction, Transaction> transactions;
  };

  // Where an operation reads and writes: the live tree or a transaction.
  struct View {
    NodeMap* nodes = nullptr;
    Transaction* txn = nullptr;  // null for the live tree
  };

  // Calls from XenStoreConnection.
  void Disconnect(uint64_t conn);
  int EventFd(uint64_t conn) const;
  Result<std::string> Read(uint64_t conn, XsTransaction t,
                           const std::string& path);
  Status Write(uint64_t conn, XsTransaction t, const std::string& path,
               const std::string& value);
  Status Mkdir(uint64_t conn, XsTransaction t, const std::string& path);
  Status Remove(uint64_t conn, XsTransaction t, const std::string& path);
  Result<std::vector<std::string>> List(uint64_t conn, XsTransaction t,
                                        const std::string& path);
  Result<std::vector<XsPermission>> GetPermissions(uint64_t conn,
                                                   XsTransaction t,
                                                   const std::string& path);
  Status SetPermissions(uint64_t conn, XsTransaction t, const std::string& path,
                        const std::vector<XsPermission>& perms);
  Result<XsTransaction> TransactionStart(uint64_t conn);
  Status TransactionEnd(uint64_t conn, XsTransaction t, bool commit);
  Status AddWatch(uint64_t conn, const std::string& path,
                  const std::string& token);
  Status RemoveWatch(uint64_t conn, const std::string& path,
                     const std::string& token);
  std::optional<XsWatchEvent> TakeWatchEvent(uint64_t conn);

  // What every request on a path starts with: a live connection, the fault
  // injected for `op` (none when absent), and the path made absolute
  // (`special_ok`: @introduceDomain and the like are allowed).
  struct PathRequest {
    Connection* connection = nullptr;
    DomainId who = 0;
    std::string path;
  };
  // ... and, for a request on a node, the view of transaction `t`.
  struct NodeRequest : PathRequest {
    View view;
  };

  // Helpers; REQUIRE mu_ held.
  Result<PathRequest> BeginPathRequest(uint64_t conn, const char* what,
                                       std::optional<Op> op,
                                       const std::string& path, bool special_ok,
                                       bool* relative = nullptr);
  Result<NodeRequest> BeginNodeRequest(uint64_t conn, XsTransaction t,
                                       const char* what, std::optional<Op> op,
                                       const std::string& path);
  Result<Connection*> LiveConnection(uint64_t conn, const char* what);
  Result<View> ViewFor(Connection& c, XsTransaction t);
  Node* Find(View& v, const std::string& path);
  // The node at `path` if `who` may read it; kNotFound/kNoPermission as
  // xenstored answers otherwise.
  Result<Node*> FindReadable(View& v, DomainId who, const std::string& path);
  void MarkModified(View& v, const std::string& path);
  Status Missing(View& v, DomainId who, const std::string& path, XsAccess need);
  Status DoWrite(View& v, DomainId who, const std::string& path,
                 const std::string* value);
  void NoteChange(View& v, Change change);
  void Fire(const Change& change);
  void RemoveHomeLocked(DomainId id);
  void FireSpecial(const std::string& name);
  void Enqueue(Connection& c, const Watch& w, std::string path);
  size_t CountOwned(const NodeMap& nodes, DomainId domain) const;
  size_t WatchesOfLocked(DomainId domain) const;

  std::shared_ptr<const DomainTable> domains_;
  std::shared_ptr<FaultInjector> faults_;

  mutable std::mutex mu_;
  NodeMap nodes_;  // GUARDED_BY(mu_)
  std::map<std::string, std::vector<XsPermission>> special_perms_;  // ditto
  uint64_t generation_ = 0;                     // GUARDED_BY(mu_)
  uint64_t next_connection_ = 1;                // GUARDED_BY(mu_)
  std::map<uint64_t, Connection> connections_;  // GUARDED_BY(mu_)
};

}  // namespace xenshm::fake

#endif  // XENSHM_TESTS_FAKE_HYPERVISOR_FAKE_XENSTORE_H_
