#include "tests/fake_hypervisor/fake_xenstore.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <utility>

#include "tests/fake_hypervisor/wake_fd.h"

namespace xenshm::fake {
namespace {

constexpr std::string_view kIntroduceDomain = "@introduceDomain";
constexpr std::string_view kReleaseDomain = "@releaseDomain";

std::string Home(DomainId domain) {
  return "/local/domain/" + std::to_string(domain);
}

std::string Parent(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::string Basename(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

bool AtOrBelow(const std::string& path, const std::string& top) {
  if (top == "/") return true;
  return path.starts_with(top) &&
         (path.size() == top.size() || path[top.size()] == '/');
}

// xenstored's perm_for_conn.
XsAccess AccessFor(DomainId who, const std::vector<XsPermission>& perms) {
  if (who == kDom0 || perms[0].domain == who) return XsAccess::kBoth;
  for (size_t i = 1; i < perms.size(); ++i) {
    if (perms[i].domain == who) return perms[i].access;
  }
  return perms[0].access;
}

bool Allowed(DomainId who, const std::vector<XsPermission>& perms,
             XsAccess need) {
  XsAccess have = AccessFor(who, perms);
  if (have == XsAccess::kBoth) return true;
  return need == have;
}

bool IsOwner(DomainId who, const std::vector<XsPermission>& perms) {
  return who == kDom0 || perms[0].domain == who;
}

Status NoPermission(DomainId who, const std::string& path) {
  return Status(Code::kNoPermission,
                "domain " + std::to_string(who) + " may not access " + path);
}

Status Invalid(const std::string& what) {
  return Status(Code::kInvalidArgument, what);
}

// xenstored's is_valid_nodename after canonicalization. `relative` tells
// whether `path` was relative to the caller's home.
Result<std::string> Canonical(DomainId who, const std::string& path,
                              bool allow_special, bool* relative = nullptr) {
  if (relative) *relative = false;
  if (path.empty()) return std::unexpected(Invalid("empty xenstore path"));
  if (path[0] == '@') {
    if (allow_special && (path == kIntroduceDomain || path == kReleaseDomain)) {
      return path;
    }
    return std::unexpected(Invalid("invalid special path " + path));
  }
  std::string abs = path;
  if (path[0] != '/') {
    if (path.size() > kXsRelPathMax) {
      return std::unexpected(Invalid("relative path too long"));
    }
    abs = Home(who) + "/" + path;
    if (relative) *relative = true;
  }
  if (abs.size() > kXsAbsPathMax) {
    return std::unexpected(Invalid("path too long"));
  }
  for (char ch : abs) {
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '/' || ch == '_' ||
              ch == '@';
    if (!ok) return std::unexpected(Invalid("invalid character in " + path));
  }
  if (abs.find("//") != std::string::npos ||
      (abs.size() > 1 && abs.back() == '/')) {
    return std::unexpected(Invalid("malformed path " + path));
  }
  return abs;
}

}  // namespace

// One fake process's connection to the fake xenstored.
class XenStoreConnection : public XenStore {
 public:
  XenStoreConnection(std::shared_ptr<XenStoreCore> core, uint64_t id,
                     DomainId self, int fd)
      : core_(std::move(core)), id_(id), self_(self), fd_(fd) {}
  ~XenStoreConnection() override { core_->Disconnect(id_); }

  DomainId self() const override { return self_; }
  Result<std::string> Read(XsTransaction t, const std::string& path) override {
    return core_->Read(id_, t, path);
  }
  Status Write(XsTransaction t, const std::string& path,
               const std::string& value) override {
    return core_->Write(id_, t, path, value);
  }
  Status Mkdir(XsTransaction t, const std::string& path) override {
    return core_->Mkdir(id_, t, path);
  }
  Status Remove(XsTransaction t, const std::string& path) override {
    return core_->Remove(id_, t, path);
  }
  Result<std::vector<std::string>> List(XsTransaction t,
                                        const std::string& path) override {
    return core_->List(id_, t, path);
  }
  Result<std::vector<XsPermission>> GetPermissions(
      XsTransaction t, const std::string& path) override {
    return core_->GetPermissions(id_, t, path);
  }
  Status SetPermissions(XsTransaction t, const std::string& path,
                        const std::vector<XsPermission>& perms) override {
    return core_->SetPermissions(id_, t, path, perms);
  }
  Result<XsTransaction> TransactionStart() override {
    return core_->TransactionStart(id_);
  }
  Status TransactionEnd(XsTransaction t, bool commit) override {
    return core_->TransactionEnd(id_, t, commit);
  }
  Status Watch(const std::string& path, const std::string& token) override {
    return core_->AddWatch(id_, path, token);
  }
  Status Unwatch(const std::string& path, const std::string& token) override {
    return core_->RemoveWatch(id_, path, token);
  }
  int watch_fd() const override { return fd_; }
  std::optional<XsWatchEvent> TakeWatchEvent() override {
    return core_->TakeWatchEvent(id_);
  }

 private:
  std::shared_ptr<XenStoreCore> core_;
  uint64_t id_;
  DomainId self_;
  int fd_;
};

XenStoreCore::XenStoreCore(std::shared_ptr<const DomainTable> domains,
                           std::shared_ptr<FaultInjector> faults)
    : domains_(std::move(domains)), faults_(std::move(faults)) {
  const std::vector<XsPermission> private_to_dom0 = {{kDom0, XsAccess::kNone}};
  for (const char* path : {"/", "/local", "/local/domain", "/local/domain/0"}) {
    Node& node = nodes_[path];
    node.perms = private_to_dom0;
    node.generation = ++generation_;
    if (std::string_view(path) != "/") {
      nodes_[Parent(path)].children.insert(Basename(path));
    }
  }
  nodes_["/local/domain/0/domid"] = Node{"0", private_to_dom0, {}, 0};
  nodes_["/local/domain/0"].children.insert("domid");
  special_perms_[std::string(kIntroduceDomain)] = private_to_dom0;
  special_perms_[std::string(kReleaseDomain)] = private_to_dom0;
}

XenStoreCore::~XenStoreCore() {
  for (auto& [id, conn] : connections_) close(conn.event_fd);
}

std::unique_ptr<XenStore> XenStoreCore::Connect(const Caller& caller) {
  int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (fd < 0) {
    std::perror("fake xenstore: eventfd");
    std::abort();
  }
  uint64_t id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    id = next_connection_++;
    Connection& conn = connections_[id];
    conn.caller = caller;
    conn.event_fd = fd;
  }
  return std::make_unique<XenStoreConnection>(shared_from_this(), id,
                                              caller.domain, fd);
}

void XenStoreCore::Disconnect(uint64_t conn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = connections_.find(conn);
  if (it == connections_.end()) return;
  close(it->second.event_fd);
  connections_.erase(it);
}

Result<XenStoreCore::Connection*> XenStoreCore::LiveConnection(
    uint64_t conn, const char* what) {
  Connection& c = connections_.at(conn);
  if (c.dead || !domains_->Alive(c.caller)) {
    return Error(Code::kIoError, std::string(what) + ": domain " +
                                     std::to_string(c.caller.domain) +
                                     " has been destroyed");
  }
  return &c;
}

Result<XenStoreCore::PathRequest> XenStoreCore::BeginPathRequest(
    uint64_t conn, const char* what, std::optional<Op> op,
    const std::string& path, bool special_ok, bool* relative) {
  auto c = LiveConnection(conn, what);
  if (!c) return std::unexpected(c.error());
  const DomainId who = (*c)->caller.domain;
  if (op) {
    if (auto fault = faults_->Check(*op, who)) return std::unexpected(*fault);
  }
  auto abs = Canonical(who, path, special_ok, relative);
  if (!abs) return std::unexpected(abs.error());
  return PathRequest{*c, who, std::move(*abs)};
}

Result<XenStoreCore::NodeRequest> XenStoreCore::BeginNodeRequest(
    uint64_t conn, XsTransaction t, const char* what, std::optional<Op> op,
    const std::string& path) {
  auto begun = BeginPathRequest(conn, what, op, path, false);
  if (!begun) return std::unexpected(begun.error());
  auto v = ViewFor(*begun->connection, t);
  if (!v) return std::unexpected(v.error());
  NodeRequest request;
  static_cast<PathRequest&>(request) = std::move(*begun);
  request.view = *v;
  return request;
}

Result<XenStoreCore::View> XenStoreCore::ViewFor(Connection& c,
                                                 XsTransaction t) {
  if (t == kNoTransaction) return View{&nodes_, nullptr};
  auto it = c.transactions.find(t);
  if (it == c.transactions.end()) {
    return Error(Code::kNotFound,
                 "no transaction " + std::to_string(t) + " on this connection");
  }
  return View{&it->second.nodes, &it->second};
}

XenStoreCore::Node* XenStoreCore::Find(View& v, const std::string& path) {
  auto it = v.nodes->find(path);
  if (v.txn && !v.txn->accessed.contains(path)) {
    v.txn->accessed[path] =
        it == v.nodes->end() ? std::nullopt
                             : std::optional<uint64_t>(it->second.generation);
  }
  return it == v.nodes->end() ? nullptr : &it->second;
}

Result<XenStoreCore::Node*> XenStoreCore::FindReadable(
    View& v, DomainId who, const std::string& path) {
  Node* node = Find(v, path);
  if (node == nullptr) {
    return std::unexpected(Missing(v, who, path, XsAccess::kRead));
  }
  if (!Allowed(who, node->perms, XsAccess::kRead)) {
    return std::unexpected(NoPermission(who, path));
  }
  return node;
}

void XenStoreCore::MarkModified(View& v, const std::string& path) {
  if (v.txn) {
    v.txn->modified.insert(path);
    return;
  }
  auto it = v.nodes->find(path);
  if (it != v.nodes->end()) it->second.generation = ++generation_;
}

Status XenStoreCore::Missing(View& v, DomainId who, const std::string& path,
                             XsAccess need) {
  std::string ancestor = path;
  Node* node = nullptr;
  while (node == nullptr) {
    ancestor = Parent(ancestor);
    node = Find(v, ancestor);
  }
  if (Allowed(who, node->perms, need)) {
    return Status(Code::kNotFound, path + " does not exist");
  }
  return NoPermission(who, path);
}

void XenStoreCore::NoteChange(View& v, Change change) {
  if (v.txn) {
    v.txn->changes.push_back(std::move(change));
  } else {
    Fire(change);
  }
}

size_t XenStoreCore::CountOwned(const NodeMap& nodes, DomainId domain) const {
  return std::count_if(nodes.begin(), nodes.end(), [&](const auto& entry) {
    return entry.second.perms[0].domain == domain;
  });
}

Status XenStoreCore::DoWrite(View& v, DomainId who, const std::string& path,
                             const std::string* value) {
  if (Node* node = Find(v, path)) {
    if (!Allowed(who, node->perms, XsAccess::kWrite)) {
      return NoPermission(who, path);
    }
    if (value == nullptr) return Status::Ok();  // mkdir of an existing node
    node->value = *value;
    MarkModified(v, path);
    NoteChange(v, Change{path, node->perms, {}, false});
    return Status::Ok();
  }
  // Missing: the nearest existing ancestor decides, intermediates are made.
  std::vector<std::string> missing = {path};
  Node* ancestor = nullptr;
  while ((ancestor = Find(v, Parent(missing.back()))) == nullptr) {
    missing.push_back(Parent(missing.back()));
  }
  if (!Allowed(who, ancestor->perms, XsAccess::kWrite)) {
    return NoPermission(who, path);
  }
  if (who != kDom0 &&
      CountOwned(*v.nodes, who) + missing.size() > kXsMaxNodesPerDomain) {
    return Status(Code::kQuotaExceeded,
                  "domain " + std::to_string(who) + " owns too many nodes");
  }
  std::vector<XsPermission> perms = ancestor->perms;
  if (who != kDom0) perms[0].domain = who;
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    std::string parent = Parent(*it);
    (*v.nodes)[parent].children.insert(Basename(*it));
    MarkModified(v, parent);
    Node& created = (*v.nodes)[*it];
    created.perms = perms;
    MarkModified(v, *it);
  }
  Node& node = (*v.nodes)[path];
  if (value != nullptr) node.value = *value;
  NoteChange(v, Change{path, perms, {}, false});
  return Status::Ok();
}

void XenStoreCore::Enqueue(Connection& c, const Watch& w, std::string path) {
  if (w.relative) path = path.substr(Home(c.caller.domain).size() + 1);
  if (c.events.empty()) SignalFd(c.event_fd);
  c.events.push_back(Queued{XsWatchEvent{std::move(path), w.token}, w.path});
}

void XenStoreCore::Fire(const Change& change) {
  for (auto& [id, c] : connections_) {
    if (c.dead) continue;
    DomainId who = c.caller.domain;
    bool may_read = Allowed(who, change.perms, XsAccess::kRead) ||
                    (!change.old_perms.empty() &&
                     Allowed(who, change.old_perms, XsAccess::kRead));
    if (!may_read) continue;
    for (const Watch& w : c.watches) {
      if (w.path[0] == '@') continue;
      bool match =
          change.exact ? w.path == change.path : AtOrBelow(change.path, w.path);
      if (match) Enqueue(c, w, change.path);
    }
  }
}

void XenStoreCore::FireSpecial(const std::string& name) {
  const std::vector<XsPermission>& perms = special_perms_.at(name);
  for (auto& [id, c] : connections_) {
    if (c.dead || !Allowed(c.caller.domain, perms, XsAccess::kRead)) continue;
    for (const Watch& w : c.watches) {
      if (w.path == name) Enqueue(c, w, name);
    }
  }
}

Result<std::string> XenStoreCore::Read(uint64_t conn, XsTransaction t,
                                       const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = BeginNodeRequest(conn, t, "xs read", Op::kXsRead, path);
  if (!r) return std::unexpected(r.error());
  auto found = FindReadable(r->view, r->who, r->path);
  if (!found) return std::unexpected(found.error());
  return (*found)->value;
}

Status XenStoreCore::Write(uint64_t conn, XsTransaction t,
                           const std::string& path, const std::string& value) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = BeginNodeRequest(conn, t, "xs write", Op::kXsWrite, path);
  if (!r) return r.error();
  if (path.size() + 1 + value.size() > kXsPayloadMax) {
    return Invalid("xenstore message too large for " + path);
  }
  if (r->who != kDom0 && value.size() > kXsMaxValueSize) {
    return Status(Code::kQuotaExceeded, "value too large for " + path);
  }
  return DoWrite(r->view, r->who, r->path, &value);
}

Status XenStoreCore::Mkdir(uint64_t conn, XsTransaction t,
                           const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = BeginNodeRequest(conn, t, "xs mkdir", Op::kXsMkdir, path);
  if (!r) return r.error();
  return DoWrite(r->view, r->who, r->path, nullptr);
}

Status XenStoreCore::Remove(uint64_t conn, XsTransaction t,
                            const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = BeginNodeRequest(conn, t, "xs rm", Op::kXsRemove, path);
  if (!r) return r.error();
  if (r->path == "/") return Invalid("cannot remove /");
  const DomainId who = r->who;
  const std::string& abs = r->path;
  View& v = r->view;
  Node* node = Find(v, abs);
  if (node == nullptr) return Missing(v, who, abs, XsAccess::kWrite);
  if (!Allowed(who, node->perms, XsAccess::kWrite)) {
    return NoPermission(who, abs);
  }
  std::vector<XsPermission> root_perms = node->perms;
  // Every descendant, parents before children.
  std::vector<std::string> doomed = {abs};
  for (size_t i = 0; i < doomed.size(); ++i) {
    Node* n = Find(v, doomed[i]);
    for (const std::string& child : n->children) {
      doomed.push_back(doomed[i] + "/" + child);
    }
  }
  for (size_t i = 1; i < doomed.size(); ++i) {
    NoteChange(v, Change{doomed[i], v.nodes->at(doomed[i]).perms, {}, true});
  }
  for (const std::string& p : doomed) {
    v.nodes->erase(p);
    MarkModified(v, p);
  }
  std::string parent = Parent(abs);
  Find(v, parent)->children.erase(Basename(abs));
  MarkModified(v, parent);
  NoteChange(v, Change{abs, root_perms, {}, false});
  return Status::Ok();
}

Result<std::vector<std::string>> XenStoreCore::List(uint64_t conn,
                                                    XsTransaction t,
                                                    const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = BeginNodeRequest(conn, t, "xs directory", Op::kXsList, path);
  if (!r) return std::unexpected(r.error());
  auto found = FindReadable(r->view, r->who, r->path);
  if (!found) return std::unexpected(found.error());
  const Node& node = **found;
  return std::vector<std::string>(node.children.begin(), node.children.end());
}

Result<std::vector<XsPermission>> XenStoreCore::GetPermissions(
    uint64_t conn, XsTransaction t, const std::string& path) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r =
      BeginPathRequest(conn, "xs get_perms", Op::kXsGetPermissions, path, true);
  if (!r) return std::unexpected(r.error());
  if (r->path[0] == '@') {
    const auto& perms = special_perms_.at(r->path);
    if (!Allowed(r->who, perms, XsAccess::kRead)) {
      return std::unexpected(NoPermission(r->who, r->path));
    }
    return perms;
  }
  auto v = ViewFor(*r->connection, t);
  if (!v) return std::unexpected(v.error());
  auto found = FindReadable(*v, r->who, r->path);
  if (!found) return std::unexpected(found.error());
  return (*found)->perms;
}

Status XenStoreCore::SetPermissions(uint64_t conn, XsTransaction t,
                                    const std::string& path,
                                    const std::vector<XsPermission>& perms) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r =
      BeginPathRequest(conn, "xs set_perms", Op::kXsSetPermissions, path, true);
  if (!r) return r.error();
  const DomainId who = r->who;
  const std::string& abs = r->path;
  if (perms.empty()) return Invalid("empty permission list for " + path);
  if (who != kDom0 && perms.size() > kXsMaxPermsPerNode) {
    return Status(Code::kQuotaExceeded, "too many permissions for " + path);
  }
  if (abs[0] == '@') {
    std::vector<XsPermission>& special = special_perms_.at(abs);
    if (!IsOwner(who, special)) return NoPermission(who, abs);
    special = perms;
    return Status::Ok();
  }
  auto v = ViewFor(*r->connection, t);
  if (!v) return v.error();
  Node* node = Find(*v, abs);
  if (node == nullptr) return Missing(*v, who, abs, XsAccess::kWrite);
  if (!IsOwner(who, node->perms)) return NoPermission(who, abs);
  if (who != kDom0 && perms[0].domain != node->perms[0].domain) {
    return Status(Code::kNoPermission, "domain " + std::to_string(who) +
                                           " may not give away ownership of " +
                                           abs);
  }
  std::vector<XsPermission> old = std::move(node->perms);
  node->perms = perms;
  MarkModified(*v, abs);
  NoteChange(*v, Change{abs, perms, std::move(old), false});
  return Status::Ok();
}

Result<XsTransaction> XenStoreCore::TransactionStart(uint64_t conn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto c = LiveConnection(conn, "xs transaction_start");
  if (!c) return std::unexpected(c.error());
  DomainId who = (*c)->caller.domain;
  if (auto fault = faults_->Check(Op::kXsTransactionStart, who)) {
    return std::unexpected(*fault);
  }
  if (who != kDom0 &&
      (*c)->transactions.size() >= kXsMaxTransactionsPerConnection) {
    return Error(Code::kQuotaExceeded, "too many open transactions");
  }
  XsTransaction id = (*c)->next_transaction++;
  (*c)->transactions[id].nodes = nodes_;
  return id;
}

Status XenStoreCore::TransactionEnd(uint64_t conn, XsTransaction t,
                                    bool commit) {
  std::lock_guard<std::mutex> lock(mu_);
  auto c = LiveConnection(conn, "xs transaction_end");
  if (!c) return c.error();
  auto it = (*c)->transactions.find(t);
  if (it == (*c)->transactions.end()) {
    return Status(Code::kNotFound, "no transaction " + std::to_string(t));
  }
  Transaction txn = std::move(it->second);
  (*c)->transactions.erase(it);
  if (!commit) return Status::Ok();
  if (auto fault = faults_->Check(Op::kXsTransactionEnd, (*c)->caller.domain)) {
    return *fault;
  }
  for (const auto& [path, generation] : txn.accessed) {
    auto live = nodes_.find(path);
    std::optional<uint64_t> now =
        live == nodes_.end() ? std::nullopt
                             : std::optional<uint64_t>(live->second.generation);
    if (now != generation) {
      return Status(Code::kAgain, "transaction conflict at " + path);
    }
  }
  for (const std::string& path : txn.modified) {
    auto node = txn.nodes.find(path);
    if (node == txn.nodes.end()) {
      nodes_.erase(path);
    } else {
      Node& live = nodes_[path] = std::move(node->second);
      live.generation = ++generation_;
    }
  }
  for (const Change& change : txn.changes) Fire(change);
  return Status::Ok();
}

Status XenStoreCore::AddWatch(uint64_t conn, const std::string& path,
                              const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  bool relative = false;
  auto r =
      BeginPathRequest(conn, "xs watch", Op::kXsWatch, path, true, &relative);
  if (!r) return r.error();
  const DomainId who = r->who;
  const std::string& abs = r->path;
  Connection* c = r->connection;
  for (const Watch& w : c->watches) {
    if (w.path == abs && w.token == token) {
      return Status(Code::kAlreadyAttached,
                    "watch " + path + " " + token + " already set");
    }
  }
  if (who != kDom0 && WatchesOfLocked(who) >= kXsMaxWatchesPerDomain) {
    return Status(Code::kQuotaExceeded, "too many watches");
  }
  c->watches.push_back(Watch{abs, token, relative});
  // xenstored fires once up front, whatever the permissions.
  Enqueue(*c, c->watches.back(), abs);
  return Status::Ok();
}

Status XenStoreCore::RemoveWatch(uint64_t conn, const std::string& path,
                                 const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto r = BeginPathRequest(conn, "xs unwatch", std::nullopt, path, true);
  if (!r) return r.error();
  const std::string& abs = r->path;
  Connection* c = r->connection;
  auto& watches = c->watches;
  auto it = std::find_if(watches.begin(), watches.end(), [&](const Watch& w) {
    return w.path == abs && w.token == token;
  });
  if (it == watches.end()) {
    return Status(Code::kNotFound, "no watch " + path + " " + token);
  }
  watches.erase(it);
  // Like libxenstore, drop events of this watch still queued.
  auto& events = c->events;
  std::erase_if(events, [&](const Queued& q) {
    return q.watch_path == abs && q.event.token == token;
  });
  if (events.empty()) DrainFd(c->event_fd);
  return Status::Ok();
}

std::optional<XsWatchEvent> XenStoreCore::TakeWatchEvent(uint64_t conn) {
  std::lock_guard<std::mutex> lock(mu_);
  Connection& c = connections_.at(conn);
  if (c.events.empty()) return std::nullopt;
  XsWatchEvent event = std::move(c.events.front().event);
  c.events.pop_front();
  if (c.events.empty()) DrainFd(c.event_fd);
  return event;
}

size_t XenStoreCore::WatchesOfLocked(DomainId domain) const {
  size_t count = 0;
  for (const auto& [id, c] : connections_) {
    if (!c.dead && c.caller.domain == domain) count += c.watches.size();
  }
  return count;
}

void XenStoreCore::IntroduceDomain(DomainId id, const std::string& given,
                                   bool write_name) {
  std::lock_guard<std::mutex> lock(mu_);
  View live{&nodes_, nullptr};
  const std::string home = Home(id);
  const std::string empty;
  const std::string domid = std::to_string(id);
  const std::string name = given.empty() ? "domain-" + domid : given;
  Status status = DoWrite(live, kDom0, home, &empty);
  nodes_.at(home).perms = {{kDom0, XsAccess::kNone}, {id, XsAccess::kRead}};
  if (status.ok()) status = DoWrite(live, kDom0, home + "/domid", &domid);
  if (status.ok() && write_name) {
    status = DoWrite(live, kDom0, home + "/name", &name);
  }
  if (status.ok()) status = DoWrite(live, kDom0, home + "/data", &empty);
  if (!status.ok()) {
    std::fprintf(stderr, "fake xenstore: introducing domain %u: %s\n", id,
                 status.ToString().c_str());
    std::abort();
  }
  nodes_.at(home + "/data").perms = {{id, XsAccess::kNone}};
  FireSpecial(std::string(kIntroduceDomain));
}

void XenStoreCore::RemoveHome(DomainId id) {
  std::lock_guard<std::mutex> lock(mu_);
  RemoveHomeLocked(id);
}

void XenStoreCore::RemoveHomeLocked(DomainId id) {
  const std::string home = Home(id);
  if (!nodes_.contains(home)) return;
  // libxl's "xs_rm /local/domain/<id>", as dom0.
  View live{&nodes_, nullptr};
  std::vector<std::string> doomed = {home};
  for (size_t i = 0; i < doomed.size(); ++i) {
    for (const std::string& child : nodes_.at(doomed[i]).children) {
      doomed.push_back(doomed[i] + "/" + child);
    }
  }
  for (size_t i = 1; i < doomed.size(); ++i) {
    Fire(Change{doomed[i], nodes_.at(doomed[i]).perms, {}, true});
  }
  std::vector<XsPermission> root_perms = nodes_.at(home).perms;
  for (const std::string& p : doomed) nodes_.erase(p);
  nodes_.at(Parent(home)).children.erase(Basename(home));
  MarkModified(live, Parent(home));
  Fire(Change{home, root_perms, {}, false});
}

void XenStoreCore::ReleaseDomain(DomainId id, bool remove_home) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [conn_id, c] : connections_) {
    if (c.caller.domain != id) continue;
    c.dead = true;
    c.watches.clear();
    c.transactions.clear();
  }
  if (remove_home) RemoveHomeLocked(id);
  auto forget = [id](std::vector<XsPermission>& perms) {
    if (perms[0].domain == id) perms[0].domain = kDom0;
    std::erase_if(perms, [id, first = perms[0]](const XsPermission& p) {
      return p.domain == id && p != first;
    });
  };
  for (auto& [path, node] : nodes_) forget(node.perms);
  for (auto& [name, perms] : special_perms_) forget(perms);
  FireSpecial(std::string(kReleaseDomain));
}

size_t XenStoreCore::NodesOwnedBy(DomainId domain) const {
  std::lock_guard<std::mutex> lock(mu_);
  return CountOwned(nodes_, domain);
}

size_t XenStoreCore::WatchesOf(DomainId domain) const {
  std::lock_guard<std::mutex> lock(mu_);
  return WatchesOfLocked(domain);
}

std::string XenStoreCore::Dump() const {
  std::lock_guard<std::mutex> lock(mu_);
  static constexpr const char* kLetters[] = {"n", "r", "w", "b"};
  std::string out;
  for (const auto& [path, node] : nodes_) {
    out += path + " = \"" + node.value + "\" (";
    for (size_t i = 0; i < node.perms.size(); ++i) {
      if (i > 0) out += ",";
      out += kLetters[static_cast<int>(node.perms[i].access)] +
             std::to_string(node.perms[i].domain);
    }
    out += ")\n";
  }
  return out;
}

}  // namespace xenshm::fake
