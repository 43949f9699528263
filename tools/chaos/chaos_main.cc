// xenshm_chaos: a hostile guest for the lab's chaos scenario
// (tests/lab/scenarios/chaos.lab). For --seconds it writes random request
// trees and raw xenstore garbage as fast as xenstored answers, while honest
// peers share and signal beside it; xenshmd must stay up, answer them and
// hold nothing of this guest's after `xl destroy`.
//
//   xenshm_chaos --seed=N --seconds=S [--threads=N] [--pause-us=N]
//                [--cleanup-every=N]
//
// Every random choice comes from std::mt19937_64 seeded with --seed
// (printed first); thread i, each with its own xenstore connection, draws
// from seed + i (a guest's xenstore round trip is slow under emulation, so
// threads keep several requests in flight). What a thread does also follows
// xenstore's answers (which handles exist, whether a transaction started)
// and the clock, so two runs of one seed are alike, not identical. Per
// operation it picks one of:
//  - request: a random subset of name/size/mode/access/state/pid with
//    valid, boundary and garbage values (empty, 300 bytes, non-UTF-8, an
//    embedded NUL, huge, negative, whitespace, "3\n", ...), under a random
//    handle (valid 0..1023, and "-1", "01", "99999", "abc", very long, ...),
//    sometimes inside a transaction;
//  - state-seq: a well-formed request, then a state sequence (forward,
//    backward, skipping, repeating 3/4/5/6), sometimes after waiting for
//    xenshmd's answer so real attaches and detaches happen;
//  - signal-nodes (offers/<i>, bound/<i>), deep and wide subtrees below a
//    handle, removes of random nodes and whole handles, rapid rewrite loops
//    of one node;
//  - transactions it opens and leaves open (aborted later, or at the end),
//    or commits; floods of transactions, watches and nodes up to xenstored's
//    quotas;
//  - writes to what it may write besides (its own ~/data/chaos), invalid
//    paths, permissions on its own nodes, reads of its own answers;
//  - writes, mkdirs, removes and permission changes of what it must not
//    touch: dom0's backend nodes for it, the region registry, its own
//    policy and usage nodes, other domains' requests, ~/device itself.
//    Any of those that succeeds is a FAIL.
//
// It tolerates every xenstore error (ENOSPC, EACCES, E2BIG, EINVAL, ...
// are expected) and counts them; when libxenstore drops a connection (it
// does after some refusals below xenstore, then answers EBADF) it opens a
// new one and counts that too. Every --cleanup-every operations (and
// after any flood) it removes everything it created, so it never holds its
// xenstore quota for long; at the end it aborts its transactions, drops its
// watches and removes its nodes. Then it prints a summary (operations by
// kind, xenstore calls, errors by errno, xenshmd's answers it saw) and
//   PASS chaos-ran / FAIL chaos-ran            (it ran to the end)
//   PASS chaos-forbidden-refused / FAIL ...    (nothing forbidden succeeded)
// Links only libxenstore (no libxenctrl): it runs in a guest.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern "C" {
#include <xenstore.h>
}

#include "base/numbers.h"

namespace {

using Clock = std::chrono::steady_clock;

enum Kind {
  kRequest,
  kStateSeq,
  kSignalNodes,
  kDeepTree,
  kRemoveNode,
  kRemoveHandle,
  kRewriteLoop,
  kTxnOpen,
  kTxnEnd,
  kTxnFlood,
  kOwnData,
  kForbidden,
  kPermissions,
  kBadPath,
  kReadAnswers,
  kWatch,
  kNodeFlood,
  kCleanup,
  kKinds
};

constexpr const char* kKindNames[kKinds] = {
    "request",     "state-seq",     "signal-nodes", "deep-tree",
    "remove-node", "remove-handle", "rewrite-loop", "txn-open",
    "txn-end",     "txn-flood",     "own-data",     "forbidden",
    "permissions", "bad-path",      "read-answers", "watch",
    "node-flood",  "cleanup"};

// Relative weights of the kinds the main loop picks (cleanup: periodic).
// A node flood writes ~1000 nodes, a rewrite loop up to 200: rarer.
constexpr int kWeights[kKinds] = {120, 70, 40, 25, 40, 25, 20, 15, 15,
                                  3,   20, 30, 15, 20, 20, 10, 2,  0};

std::string ErrnoName(int err) {
  switch (err) {
    case EPERM:
      return "EPERM";
    case ENOENT:
      return "ENOENT";
    case EIO:
      return "EIO";
    case E2BIG:
      return "E2BIG";
    case EBADF:
      return "EBADF";
    case EAGAIN:
      return "EAGAIN";
    case ENOMEM:
      return "ENOMEM";
    case EACCES:
      return "EACCES";
    case EBUSY:
      return "EBUSY";
    case EEXIST:
      return "EEXIST";
    case ENOTDIR:
      return "ENOTDIR";
    case EISDIR:
      return "EISDIR";
    case EINVAL:
      return "EINVAL";
    case ENOSPC:
      return "ENOSPC";
    case EROFS:
      return "EROFS";
    case EPIPE:
      return "EPIPE";
    case ERANGE:
      return "ERANGE";
    case ENAMETOOLONG:
      return "ENAMETOOLONG";
    case ENOSYS:
      return "ENOSYS";
    case ENOTEMPTY:
      return "ENOTEMPTY";
    case ENODATA:
      return "ENODATA";
    case EPROTO:
      return "EPROTO";
    case EBADMSG:
      return "EBADMSG";
    case EOVERFLOW:
      return "EOVERFLOW";
    case EDQUOT:
      return "EQUOTA";
    case ECONNRESET:
      return "ECONNRESET";
    case ENOTCONN:
      return "ENOTCONN";
    case ETIMEDOUT:
      return "ETIMEDOUT";
    default:
      return "E" + std::to_string(err);
  }
}

bool ConnectionLost(int err) {
  return err == EPIPE || err == ECONNRESET || err == ENOTCONN || err == EBADF ||
         err == EIO;
}

struct Options {
  uint64_t seed = 1;
  double seconds = 60;
  uint64_t threads = 1;
  uint64_t pause_us = 0;
  uint64_t cleanup_every = 100;
};

// Totals of all threads, for the progress lines.
std::atomic<uint64_t> g_ops{0}, g_calls{0}, g_failures{0};
// Node floods begun (see Run).
std::atomic<int> g_floods{0};

class Chaos {
 public:
  // Thread `index` draws from mt19937_64(seed + index): thread 0 from the
  // seed itself.
  Chaos(const Options& options, uint64_t index)
      : options_(options), index_(index), rng_(options.seed + index) {}
  ~Chaos() {
    if (xs_ != nullptr) xs_close(xs_);
  }

  bool Open();
  void Run();
  // After every thread's Run: removes everything left, counts what stays.
  void FinalCleanup() {
    ++ops_[kCleanup];
    ++cleanups_;
    RemoveAll();
    leftover_nodes_ = List(XBT_NULL, base_).size();
  }
  // Prints the summary of all threads and the PASS/FAIL lines; the exit
  // status.
  static int Report(const std::vector<std::unique_ptr<Chaos>>& all,
                    const Options& options);

 private:
  // One xenstore call: counted and timed.
  struct Call {
    explicit Call(Chaos& chaos) : chaos(chaos) {
      ++chaos.calls_;
      g_calls.fetch_add(1, std::memory_order_relaxed);
    }
    ~Call() {
      const double ms =
          std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
      chaos.call_ms_ += ms;
      chaos.max_call_ms_ = std::max(chaos.max_call_ms_, ms);
    }
    Chaos& chaos;
    Clock::time_point t0 = Clock::now();
  };

  // Randomness: everything comes from rng_.
  uint64_t U(uint64_t n) { return n == 0 ? 0 : rng_() % n; }
  bool P(int percent) { return U(100) < static_cast<uint64_t>(percent); }
  template <typename T>
  const T& Pick(const std::vector<T>& v) {
    return v[U(v.size())];
  }
  std::string RandomBytes(size_t n, bool printable);
  std::string ValidName();
  std::string Garbage();
  std::string Handle();
  std::string SmallHandle() { return std::to_string(U(24)); }
  std::string ValueFor(std::string_view node);
  std::string NodeSegment();

  // xenstore calls, counted; false on failure (errno counted).
  void Failed(int err);
  bool Write(xs_transaction_t t, const std::string& path,
             const std::string& value);
  std::optional<std::string> Read(xs_transaction_t t, const std::string& path);
  std::vector<std::string> List(xs_transaction_t t, const std::string& path);
  bool Remove(xs_transaction_t t, const std::string& path);
  bool Mkdir(xs_transaction_t t, const std::string& path);
  bool SetPerms(xs_transaction_t t, const std::string& path,
                std::vector<xs_permissions> perms);
  std::optional<xs_transaction_t> Start();
  bool End(xs_transaction_t t, bool abort);
  void Pause() {
    if (options_.pause_us > 0) {
      std::this_thread::sleep_for(std::chrono::microseconds(options_.pause_us));
    }
  }

  std::string HandleDir(const std::string& handle) {
    return base_ + "/" + handle;
  }
  std::string BackendDir(const std::string& handle) {
    return "/local/domain/0/backend/xenshm/" + std::to_string(domid_) + "/" +
           handle;
  }
  // A transaction to use for the next writes: none, or one left open.
  xs_transaction_t MaybeTxn() {
    if (!open_txns_.empty() && P(10)) return Pick(open_txns_);
    return XBT_NULL;
  }
  void Remember(const std::string& path) {
    if (written_.size() < 256) {
      written_.push_back(path);
    } else {
      written_[U(written_.size())] = path;
    }
  }

  void DoRequest();
  void DoStateSeq();
  void DoSignalNodes();
  void DoDeepTree();
  void DoRemoveNode();
  void DoRemoveHandle();
  void DoRewriteLoop();
  void DoTxnOpen();
  void DoTxnEnd();
  void DoTxnFlood();
  void DoOwnData();
  void DoForbidden();
  void DoPermissions();
  void DoBadPath();
  void DoReadAnswers();
  void DoWatch();
  void DoNodeFlood();
  // Removes every handle and ~/data/chaos.
  void RemoveAll();
  void DoCleanup();
  // At the end: aborts the transactions left open, drops the watches.
  void Finish();
  // Past --seconds: long operations stop early.
  bool Late() const { return Clock::now() >= deadline_; }
  void DrainWatches();
  void NoteAnswer(const std::string& handle);

  // A forbidden call that succeeded: remembered and reported.
  void Violation(const std::string& what) {
    ++violations_;
    if (violation_examples_.size() < 5) violation_examples_.push_back(what);
  }

  Options options_;
  uint64_t index_;
  std::mt19937_64 rng_;
  xs_handle* xs_ = nullptr;
  unsigned domid_ = 0;
  std::string home_;
  std::string base_;  // ~/device/xenshm
  std::vector<std::string> forbidden_domains_;

  std::vector<xs_transaction_t> open_txns_;
  std::vector<std::string> watches_;  // paths; token = path
  std::vector<std::string> written_;  // recently written paths

  uint64_t ops_[kKinds] = {};
  uint64_t calls_ = 0;
  double call_ms_ = 0, max_call_ms_ = 0;  // time spent in xenstore calls
  uint64_t failures_ = 0;
  std::map<std::string, uint64_t> errors_;
  std::map<std::string, uint64_t> answers_;  // backend status values seen
  uint64_t forbidden_tried_ = 0;
  uint64_t violations_ = 0;
  std::vector<std::string> violation_examples_;
  uint64_t txns_left_open_ = 0;
  uint64_t watch_events_ = 0;
  uint64_t reconnects_ = 0;
  uint64_t consecutive_lost_ = 0;
  int last_errno_ = 0;
  int current_kind_ = kRequest;
  // Reconnects, by the operation and the error that cost the connection.
  std::map<std::string, uint64_t> lost_;
  uint64_t cleanups_ = 0;
  uint64_t leftover_nodes_ = 0;  // handles still there after the final cleanup
  double ran_seconds_ = 0;
  Clock::time_point deadline_ = Clock::time_point::max();
  bool finished_ = false;
  bool reopen_failed_ = false;
};

bool Chaos::Open() {
  xs_ = xs_open(0);
  if (xs_ == nullptr) {
    std::printf("chaos: xs_open: %s\n", std::strerror(errno));
    return false;
  }
  unsigned len = 0;
  char* domid = static_cast<char*>(xs_read(xs_, XBT_NULL, "domid", &len));
  if (domid == nullptr) {
    std::printf("chaos: reading domid: %s\n", std::strerror(errno));
    return false;
  }
  domid_ = static_cast<unsigned>(std::strtoul(domid, nullptr, 10));
  std::free(domid);
  home_ = "/local/domain/" + std::to_string(domid_);
  base_ = home_ + "/device/xenshm";
  for (unsigned d = 1; d <= 8; ++d) {
    if (d != domid_) forbidden_domains_.push_back(std::to_string(d));
  }
  return true;
}

// --- values -------------------------------------------------------------

std::string Chaos::RandomBytes(size_t n, bool printable) {
  std::string s(n, 'x');
  for (char& c : s) {
    c = printable ? static_cast<char>(' ' + U(95)) : static_cast<char>(U(256));
  }
  return s;
}

std::string Chaos::ValidName() {
  static const std::vector<std::string> kPool = {
      "chaos0", "chaos1", "chaos2", "chaos3", "chaos4", "chaos5", "c.x-y_z"};
  if (P(75)) return Pick(kPool);
  static constexpr std::string_view kChars =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-";
  // Never "honest*": the honest peers' region is not this guest's to join.
  std::string s = "c";
  const size_t n = U(64);
  for (size_t i = 0; i < n; ++i) s += kChars[U(kChars.size())];
  return s;
}

std::string Chaos::Garbage() {
  switch (U(22)) {
    case 0:
      return "";
    case 1:
      return RandomBytes(300, true);
    case 2:
      return RandomBytes(1 + U(300), false);  // non-UTF-8, NULs
    case 3:
      return std::string("3\0", 2);
    case 4:
      return std::string("\0", 1);
    case 5:
      return std::string("chaos0\0evil", 11);
    case 6:
      return "18446744073709551616";
    case 7:
      return "99999999999999999999999999999999";
    case 8:
      return "-1";
    case 9:
      return "-4096";
    case 10:
      return " 3";
    case 11:
      return "3 ";
    case 12:
      return "3\n";
    case 13:
      return "\t\n ";
    case 14:
      return "0x10";
    case 15:
      return "+3";
    case 16:
      return "\xef\xbc\x93";  // fullwidth digit three
    case 17:
      return "\xff\xfe\x80\xc0\xaf";
    case 18:
      return RandomBytes(257, true);  // one over the schema's limit
    case 19:
      return RandomBytes(2100 + U(2100), true);  // over xenstored's limits
    case 20:
      return "1e9";
    default:
      return "3.0";
  }
}

std::string Chaos::Handle() {
  switch (U(20)) {
    case 0:
      return "-1";
    case 1:
      return "01";
    case 2:
      return "99999";
    case 3:
      return "abc";
    case 4:
      return std::string(200 + U(1800), '7');
    case 5:
      return "1024";
    case 6:
      return "4294967297";
    case 7:
      return "00";
    case 8:
      return "1023";
    case 9:
      return "0x1";
    case 10:
      return "_";
    case 11:
      return "@3";
    case 12:
      return std::to_string(U(1024));
    default:
      return SmallHandle();
  }
}

std::string Chaos::ValueFor(std::string_view node) {
  const uint64_t r = U(100);
  if (r >= 80) return Garbage();
  const bool boundary = r >= 55;
  if (node == "name") {
    if (!boundary) return ValidName();
    static const std::vector<std::string> kEdge = {std::string(64, 'n'),
                                                   std::string(65, 'n'),
                                                   ".hidden",
                                                   "-dash",
                                                   "a/b",
                                                   "a b",
                                                   "n",
                                                   "ünï"};
    return Pick(kEdge);
  }
  if (node == "size") {
    static const std::vector<std::string> kValid = {"4096", "1", "65536",
                                                    "1048576", "8192"};
    static const std::vector<std::string> kEdge = {
        "0",          "1073741824",
        "1073741825", "16777216",
        "134217728",  "4194304",
        "4097",       "01",
        "4294967296", "9223372036854775808"};
    return boundary ? Pick(kEdge) : Pick(kValid);
  }
  if (node == "mode") {
    static const std::vector<std::string> kEdge = {
        "CREATE-OR-ATTACH", "create", "attach ", "create-or-attach\n", "ro"};
    if (boundary) return Pick(kEdge);
    return P(70) ? "create-or-attach" : "attach";
  }
  if (node == "access") {
    static const std::vector<std::string> kEdge = {"RW", "wr", "r", "rw\n",
                                                   "rox"};
    if (boundary) return Pick(kEdge);
    return P(80) ? "rw" : "ro";
  }
  if (node == "state") {
    static const std::vector<std::string> kEdge = {
        "0", "1", "2", "7", "8", "03", "4294967299", "-3", "255"};
    if (boundary) return Pick(kEdge);
    return std::to_string(3 + U(4));
  }
  if (node == "pid") {
    static const std::vector<std::string> kEdge = {"0", "-1", "4294967296",
                                                   "99999999"};
    if (boundary) return Pick(kEdge);
    return std::to_string(P(50) ? getpid() : 1 + U(40000));
  }
  if (node == "offer") {
    static const std::vector<std::string> kEdge = {"0", "131071", "131072",
                                                   "65535", "4294967295"};
    if (boundary) return Pick(kEdge);
    return std::to_string(1 + U(200));
  }
  if (node == "bound") {
    static const std::vector<std::string> kEdge = {"0", "2", "11", "1 ",
                                                   "true"};
    return boundary ? Pick(kEdge) : "1";
  }
  return P(50) ? std::to_string(U(100)) : Garbage();
}

std::string Chaos::NodeSegment() {
  static const std::vector<std::string> kNames = {
      "name",  "size",    "mode", "access", "state", "pid", "offers",
      "bound", "0",       "63",   "64",     "x",     "-",   "_",
      "@",     "members", "peer", "event",  "A",     "9999"};
  if (P(80)) return Pick(kNames);
  return std::to_string(U(1000000));
}

// --- counted xenstore calls ------------------------------------------------

void Chaos::Failed(int err) {
  const int previous = last_errno_;
  last_errno_ = err;
  ++failures_;
  g_failures.fetch_add(1, std::memory_order_relaxed);
  ++errors_[ErrnoName(err)];
  if (!ConnectionLost(err)) {
    consecutive_lost_ = 0;
    return;
  }
  // libxenstore closes its connection when a request fails below xenstore
  // (e.g. the kernel's xenbus device refuses a watch: write() fails), and
  // then answers EBADF: open a new one at once. Other connection errors
  // (EIO, EPIPE, ...) only after 50 in a row.
  if (err == EBADF || ++consecutive_lost_ >= 50) {
    ++lost_[std::string(kKindNames[current_kind_]) + "/" +
            ErrnoName(err == EBADF ? previous : err)];
    consecutive_lost_ = 0;
    xs_close(xs_);
    open_txns_.clear();
    watches_.clear();
    xs_ = xs_open(0);
    ++reconnects_;
    if (xs_ == nullptr) {
      std::printf("chaos: xs_open again: %s\n", std::strerror(errno));
      std::fflush(stdout);
      std::this_thread::sleep_for(std::chrono::seconds(1));
      xs_ = xs_open(0);
      if (xs_ == nullptr) reopen_failed_ = true;
    }
  }
}

bool Chaos::Write(xs_transaction_t t, const std::string& path,
                  const std::string& value) {
  Pause();
  Call call(*this);
  if (xs_ == nullptr) return false;
  if (xs_write(xs_, t, path.c_str(), value.data(),
               static_cast<unsigned>(value.size()))) {
    consecutive_lost_ = 0;
    return true;
  }
  Failed(errno);
  return false;
}

std::optional<std::string> Chaos::Read(xs_transaction_t t,
                                       const std::string& path) {
  Pause();
  Call call(*this);
  if (xs_ == nullptr) return std::nullopt;
  unsigned len = 0;
  char* v = static_cast<char*>(xs_read(xs_, t, path.c_str(), &len));
  if (v == nullptr) {
    Failed(errno);
    return std::nullopt;
  }
  std::string value(v, len);
  std::free(v);
  consecutive_lost_ = 0;
  return value;
}

std::vector<std::string> Chaos::List(xs_transaction_t t,
                                     const std::string& path) {
  Pause();
  Call call(*this);
  std::vector<std::string> out;
  if (xs_ == nullptr) return out;
  unsigned n = 0;
  char** v = xs_directory(xs_, t, path.c_str(), &n);
  if (v == nullptr) {
    Failed(errno);
    return out;
  }
  for (unsigned i = 0; i < n; ++i) out.emplace_back(v[i]);
  std::free(v);
  consecutive_lost_ = 0;
  return out;
}

bool Chaos::Remove(xs_transaction_t t, const std::string& path) {
  Pause();
  Call call(*this);
  if (xs_ == nullptr) return false;
  if (xs_rm(xs_, t, path.c_str())) {
    consecutive_lost_ = 0;
    return true;
  }
  Failed(errno);
  return false;
}

bool Chaos::Mkdir(xs_transaction_t t, const std::string& path) {
  Pause();
  Call call(*this);
  if (xs_ == nullptr) return false;
  if (xs_mkdir(xs_, t, path.c_str())) {
    consecutive_lost_ = 0;
    return true;
  }
  Failed(errno);
  return false;
}

bool Chaos::SetPerms(xs_transaction_t t, const std::string& path,
                     std::vector<xs_permissions> perms) {
  Pause();
  Call call(*this);
  if (xs_ == nullptr || perms.empty()) return false;
  if (xs_set_permissions(xs_, t, path.c_str(), perms.data(),
                         static_cast<unsigned>(perms.size()))) {
    consecutive_lost_ = 0;
    return true;
  }
  Failed(errno);
  return false;
}

std::optional<xs_transaction_t> Chaos::Start() {
  Pause();
  Call call(*this);
  if (xs_ == nullptr) return std::nullopt;
  xs_transaction_t t = xs_transaction_start(xs_);
  if (t == XBT_NULL) {
    Failed(errno);
    return std::nullopt;
  }
  consecutive_lost_ = 0;
  return t;
}

bool Chaos::End(xs_transaction_t t, bool abort) {
  Pause();
  Call call(*this);
  if (xs_ == nullptr) return false;
  if (xs_transaction_end(xs_, t, abort)) {
    consecutive_lost_ = 0;
    return true;
  }
  Failed(errno);
  return false;
}

void Chaos::DrainWatches() {
  if (xs_ == nullptr || watches_.empty()) return;
  for (int i = 0; i < 100000; ++i) {
    char** event = xs_check_watch(xs_);
    if (event == nullptr) return;
    ++watch_events_;
    std::free(event);
  }
}

void Chaos::NoteAnswer(const std::string& handle) {
  if (auto status = Read(XBT_NULL, BackendDir(handle) + "/status")) {
    ++answers_[status->size() <= 32 ? *status : "(long)"];
  }
}

// --- operations ---------------------------------------------------------

void Chaos::DoRequest() {
  const std::string dir = HandleDir(Handle());
  static const std::vector<std::string> kNodes = {"name",   "size",  "mode",
                                                  "access", "state", "pid"};
  std::vector<std::string> nodes;
  for (const std::string& n : kNodes) {
    if (P(65)) nodes.push_back(n);
  }
  // Most requests end with their state, as the frontend writes them.
  if (P(60)) {
    std::stable_partition(nodes.begin(), nodes.end(),
                          [](const std::string& n) { return n != "state"; });
  } else {
    std::shuffle(nodes.begin(), nodes.end(), rng_);
  }
  std::optional<xs_transaction_t> t;
  if (P(30)) t = Start();
  for (const std::string& n : nodes) {
    const std::string path = dir + "/" + n;
    if (Write(t.value_or(MaybeTxn()), path, ValueFor(n))) Remember(path);
  }
  if (t) End(*t, P(15));
}

void Chaos::DoStateSeq() {
  const std::string handle = SmallHandle();
  const std::string dir = HandleDir(handle);
  // A well-formed request, in one transaction, as libxenshm writes it.
  if (auto t = Start()) {
    Write(*t, dir + "/name", ValidName());
    Write(*t, dir + "/size",
          P(80) ? std::to_string(4096 * (1 + U(16))) : ValueFor("size"));
    Write(*t, dir + "/mode", P(85) ? "create-or-attach" : "attach");
    Write(*t, dir + "/access", P(80) ? "rw" : "ro");
    Write(*t, dir + "/state", "3");
    End(*t, false);
  }
  Remember(dir);
  // Sometimes wait for xenshmd's answer, so the states after it reach an
  // attachment that exists.
  if (P(40)) {
    const auto deadline = Clock::now() + std::chrono::milliseconds(1500);
    while (Clock::now() < deadline) {
      auto state = Read(XBT_NULL, BackendDir(handle) + "/state");
      if (state && (*state == "4" || *state == "6")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    NoteAnswer(handle);
  }
  std::vector<std::string> seq;
  switch (U(6)) {
    case 0:
      seq = {"4", "5", "6"};  // forward
      break;
    case 1:
      seq = {"4", "3", "2", "1"};  // backward
      break;
    case 2:
      seq = {P(50) ? "5" : "6"};  // skipping
      break;
    case 3: {
      const std::string s = std::to_string(3 + U(4));  // repeating
      seq = {s, s, s};
      break;
    }
    case 4:
      for (int i = 0; i < 6; ++i) seq.push_back(ValueFor("state"));
      break;
    default:
      seq = {"4"};  // claims Connected and keeps it: held until a cleanup
      break;
  }
  for (const std::string& s : seq) {
    Write(MaybeTxn(), dir + "/state", s);
    if (P(30)) std::this_thread::sleep_for(std::chrono::milliseconds(U(30)));
  }
  if (P(30)) Remove(XBT_NULL, dir);
}

void Chaos::DoSignalNodes() {
  const std::string dir = HandleDir(P(80) ? SmallHandle() : Handle());
  const int n = P(10) ? 64 : 1 + static_cast<int>(U(4));
  for (int i = 0; i < n; ++i) {
    std::string index;
    if (n == 64) {
      index = std::to_string(i);
    } else {
      static const std::vector<std::string> kIdx = {"64", "-1", "01", "abc",
                                                    "99999"};
      index = P(80) ? std::to_string(U(64)) : Pick(kIdx);
    }
    const bool offer = P(50);
    const std::string path = dir + (offer ? "/offers/" : "/bound/") + index;
    if (Write(MaybeTxn(), path, ValueFor(offer ? "offer" : "bound"))) {
      Remember(path);
    }
  }
}

void Chaos::DoDeepTree() {
  std::string path = HandleDir(P(70) ? SmallHandle() : Handle());
  const int depth = 2 + static_cast<int>(U(14));
  for (int i = 0; i < depth; ++i) path += "/" + NodeSegment();
  if (Write(MaybeTxn(), path, ValueFor("x"))) Remember(path);
  if (P(30)) {  // wide: siblings
    const int n = 5 + static_cast<int>(U(30));
    for (int i = 0; i < n; ++i) {
      Write(XBT_NULL, path + "/w" + std::to_string(i), ValueFor("x"));
    }
  }
  if (P(20)) Mkdir(XBT_NULL, path + "/empty");
}

void Chaos::DoRemoveNode() {
  std::string path;
  if (!written_.empty() && P(60)) {
    path = Pick(written_);
  } else {
    static const std::vector<std::string> kNodes = {
        "name",   "size",  "mode",     "access",  "state",
        "offers", "bound", "offers/0", "bound/1", "pid"};
    path = HandleDir(SmallHandle()) + "/" + Pick(kNodes);
  }
  Remove(MaybeTxn(), path);
}

void Chaos::DoRemoveHandle() {
  if (P(70)) {
    Remove(MaybeTxn(), HandleDir(P(80) ? SmallHandle() : Handle()));
    return;
  }
  // One that exists.
  std::vector<std::string> handles = List(XBT_NULL, base_);
  if (!handles.empty()) Remove(XBT_NULL, HandleDir(Pick(handles)));
}

void Chaos::DoRewriteLoop() {
  const std::string dir = HandleDir(SmallHandle());
  static const std::vector<std::string> kNodes = {"state", "name", "size",
                                                  "offers/0", "access"};
  const std::string node = Pick(kNodes);
  const std::string path = dir + "/" + node;
  const int n = 20 + static_cast<int>(U(180));
  const std::string a = node == "offers/0" ? ValueFor("offer") : ValueFor(node);
  const std::string b = node == "offers/0" ? ValueFor("offer") : ValueFor(node);
  for (int i = 0; i < n && !Late(); ++i) {
    if (node == "state" && P(50)) {
      Write(XBT_NULL, path, std::to_string(3 + U(4)));
    } else {
      Write(XBT_NULL, path, (i & 1) ? a : b);
    }
  }
  Remember(path);
}

void Chaos::DoTxnOpen() {
  if (open_txns_.size() >= 4) {
    End(open_txns_.front(), true);
    open_txns_.erase(open_txns_.begin());
  }
  auto t = Start();
  if (!t) return;
  const int n = 1 + static_cast<int>(U(5));
  for (int i = 0; i < n; ++i) {
    const std::string h = SmallHandle();
    static const std::vector<std::string> kNodes = {"name", "size", "mode",
                                                    "access", "state"};
    const std::string node = Pick(kNodes);
    Write(*t, HandleDir(h) + "/" + node, ValueFor(node));
  }
  if (P(30)) Read(*t, base_);
  open_txns_.push_back(*t);
  ++txns_left_open_;
}

void Chaos::DoTxnEnd() {
  if (open_txns_.empty()) return;
  const size_t i = U(open_txns_.size());
  End(open_txns_[i], P(70));
  open_txns_.erase(open_txns_.begin() + static_cast<long>(i));
}

void Chaos::DoTxnFlood() {
  std::vector<xs_transaction_t> flood;
  for (int i = 0; i < 14; ++i) {
    auto t = Start();
    if (!t) continue;
    Write(*t, HandleDir(SmallHandle()) + "/state", "3");
    flood.push_back(*t);
  }
  for (xs_transaction_t t : flood) End(t, true);
}

void Chaos::DoOwnData() {
  std::string path = home_ + "/data/chaos";
  const int depth = 1 + static_cast<int>(U(4));
  for (int i = 0; i < depth; ++i) path += "/" + NodeSegment();
  switch (U(4)) {
    case 0:
      Remove(XBT_NULL, home_ + "/data/chaos");
      break;
    case 1:
      Mkdir(XBT_NULL, path);
      break;
    default:
      Write(MaybeTxn(), path, ValueFor("x"));
      break;
  }
}

void Chaos::DoForbidden() {
  const std::string d = std::to_string(domid_);
  const std::string h = SmallHandle();
  const std::string other = Pick(forbidden_domains_);
  static const std::vector<std::string> kBackendNodes = {"state",
                                                         "status",
                                                         "message",
                                                         "size",
                                                         "peer-index",
                                                         "grant-directory",
                                                         "event-channel",
                                                         "members/0/offer",
                                                         "members/1/connected",
                                                         "members/0/domain"};
  std::vector<std::string> targets = {
      BackendDir(h) + "/" + Pick(kBackendNodes),
      BackendDir(h),
      "/local/domain/0/backend/xenshm/" + d,
      "/local/domain/0/backend/xenshm/" + other + "/" + h + "/state",
      "/local/domain/0/xenshm/regions/honest/peers/7",
      "/local/domain/0/xenshm/regions/chaos0/size",
      "/local/domain/0/xenshm/regions/evil",
      "/local/domain/0/xenshm/policy/" + d,
      "/local/domain/0/xenshm/usage/" + d,
      "/local/domain/" + other + "/device/xenshm/" + h + "/state",
      "/local/domain/" + other + "/data/chaos",
      home_ + "/device/chaos",
      home_ + "/domid",
      "/local/domain/0/device/xenshm/" + h + "/state",
  };
  const std::string path = Pick(targets);
  ++forbidden_tried_;
  switch (U(5)) {
    case 0:
      if (Mkdir(XBT_NULL, path)) Violation("mkdir " + path);
      break;
    case 1: {
      // xenstored acknowledges removing a missing node whose parent exists,
      // so only a node that was there and is gone counts.
      const bool existed = Read(XBT_NULL, path).has_value();
      if (Remove(XBT_NULL, path) && existed &&
          !Read(XBT_NULL, path).has_value() && last_errno_ == ENOENT) {
        Violation("rm " + path);
      }
      break;
    }
    case 2: {
      std::vector<xs_permissions> perms = {{domid_, XS_PERM_NONE},
                                           {0, XS_PERM_READ | XS_PERM_WRITE}};
      if (SetPerms(XBT_NULL, path, perms)) Violation("set-perms " + path);
      break;
    }
    default: {
      std::string value = ValueFor("state");
      if (path.find("/policy/") != std::string::npos) {
        value = "xenshm-policy 1\nallow=*\nmax-region-memory=1073741824\n";
      }
      if (Write(MaybeTxn(), path, value)) Violation("write " + path);
      break;
    }
  }
}

void Chaos::DoPermissions() {
  std::string path;
  const bool on_base = P(10);
  if (on_base) {
    path = base_;
  } else if (!written_.empty() && P(70)) {
    path = Pick(written_);
  } else {
    path = HandleDir(SmallHandle());
  }
  std::vector<xs_permissions> perms;
  // Only dom0 may give a node away (xenstored: EPERM); try it anyway,
  // except on the base, which we give back below.
  perms.push_back({on_base || P(85) ? domid_ : static_cast<unsigned>(U(10)),
                   static_cast<unsigned>(U(4))});
  const int extra = static_cast<int>(U(9));  // xenstored allows 5 entries
  for (int i = 0; i < extra; ++i) {
    perms.push_back(
        {static_cast<unsigned>(U(12)), static_cast<unsigned>(1 + U(3))});
  }
  SetPerms(MaybeTxn(), path, perms);
  if (on_base) {
    // Give the base back as xenshmd made it: ours, nothing for others.
    SetPerms(XBT_NULL, base_, {{domid_, XS_PERM_NONE}});
  }
}

void Chaos::DoBadPath() {
  std::vector<std::string> paths = {
      "",
      "/",
      "//",
      base_ + "//3/state",
      base_ + "/3/state/",
      base_ + "/3/st ate",
      base_ + "/3/st.ate",
      base_ + "/\xff\xfe/state",
      base_ + "/../../3/state",
      "device/xenshm/" + SmallHandle() + "/state",  // relative: our home
      "@introduceDomain",
      "@releaseDomain",
      "@chaos",
      base_ + "/" + std::string(3100, 'p'),
      std::string("/local/domain/\0/x", 17),
  };
  const std::string path = Pick(paths);
  switch (U(4)) {
    case 0:
      Read(XBT_NULL, path);
      break;
    case 1:
      List(XBT_NULL, path);
      break;
    case 2:
      Remove(XBT_NULL, path);
      break;
    default:
      Write(XBT_NULL, path, ValueFor("state"));
      break;
  }
}

void Chaos::DoReadAnswers() {
  const std::string h = SmallHandle();
  if (P(50)) NoteAnswer(h);
  if (P(30)) Read(XBT_NULL, BackendDir(h) + "/message");
  if (P(30)) List(XBT_NULL, BackendDir(h) + "/members");
  if (P(20)) List(XBT_NULL, "/local/domain/0/xenshm/regions");
  if (P(20)) Read(XBT_NULL, "/local/domain/0/xenshm/regions/chaos0/size");
  if (P(20)) List(XBT_NULL, base_);
}

void Chaos::DoWatch() {
  if (xs_ == nullptr) return;
  if (P(10)) {
    // Up to xenstored's watch quota and beyond, then all gone again.
    for (int i = 0; i < 140 && !Late(); ++i) {
      const std::string path = base_ + "/w" + std::to_string(i);
      Call call(*this);
      if (xs_watch(xs_, path.c_str(), path.c_str())) {
        watches_.push_back(path);
      } else {
        Failed(errno);
      }
    }
  } else if (watches_.size() < 8 && P(60)) {
    const std::string path =
        P(70) ? HandleDir(SmallHandle()) : home_ + "/data/chaos";
    Call call(*this);
    if (xs_watch(xs_, path.c_str(), path.c_str())) {
      watches_.push_back(path);
    } else {
      Failed(errno);
    }
    return;
  }
  DrainWatches();
  while (watches_.size() > (P(50) ? 0u : 4u)) {
    const std::string path = watches_.back();
    watches_.pop_back();
    Call call(*this);
    if (!xs_unwatch(xs_, path.c_str(), path.c_str())) Failed(errno);
  }
}

void Chaos::DoNodeFlood() {
  // Writes nodes until xenstored says no (its node quota), then cleans up.
  const std::string dir = HandleDir(SmallHandle()) + "/flood";
  int refused = 0;
  for (int i = 0; i < 1200 && refused < 5 && !Late(); ++i) {
    if (!Write(XBT_NULL, dir + "/" + std::to_string(i), "x")) ++refused;
  }
  DoCleanup();
}

void Chaos::RemoveAll() {
  for (const std::string& h : List(XBT_NULL, base_)) {
    Remove(XBT_NULL, HandleDir(h));
  }
  Remove(XBT_NULL, home_ + "/data/chaos");
}

void Chaos::DoCleanup() {
  ++cleanups_;
  DrainWatches();
  RemoveAll();
  written_.clear();
}

void Chaos::Finish() {
  DrainWatches();
  for (xs_transaction_t t : open_txns_) End(t, true);
  open_txns_.clear();
  while (!watches_.empty()) {
    Call call(*this);
    if (xs_ != nullptr &&
        !xs_unwatch(xs_, watches_.back().c_str(), watches_.back().c_str())) {
      Failed(errno);
    }
    watches_.pop_back();
  }
}

void Chaos::Run() {
  if (index_ == 0) {
    std::printf("chaos: domain %u, requests under %s\n", domid_, base_.c_str());
  }
  int total_weight = 0;
  for (int w : kWeights) total_weight += w;
  const auto t0 = Clock::now();
  deadline_ = t0 + std::chrono::duration_cast<Clock::duration>(
                       std::chrono::duration<double>(options_.seconds));
  auto next_progress = t0 + std::chrono::seconds(30);
  uint64_t ops = 0;
  while (!Late()) {
    int r = static_cast<int>(U(static_cast<uint64_t>(total_weight)));
    int kind = 0;
    while (r >= kWeights[kind]) r -= kWeights[kind++];
    // A node flood takes ~1000 round trips (over a minute under
    // emulation): two a run at most.
    if (kind == kNodeFlood && g_floods.fetch_add(1) >= 2) kind = kRequest;
    ++ops_[kind];
    current_kind_ = kind;
    ++ops;
    g_ops.fetch_add(1, std::memory_order_relaxed);
    switch (kind) {
      case kRequest:
        DoRequest();
        break;
      case kStateSeq:
        DoStateSeq();
        break;
      case kSignalNodes:
        DoSignalNodes();
        break;
      case kDeepTree:
        DoDeepTree();
        break;
      case kRemoveNode:
        DoRemoveNode();
        break;
      case kRemoveHandle:
        DoRemoveHandle();
        break;
      case kRewriteLoop:
        DoRewriteLoop();
        break;
      case kTxnOpen:
        DoTxnOpen();
        break;
      case kTxnEnd:
        DoTxnEnd();
        break;
      case kTxnFlood:
        DoTxnFlood();
        break;
      case kOwnData:
        DoOwnData();
        break;
      case kForbidden:
        DoForbidden();
        break;
      case kPermissions:
        DoPermissions();
        break;
      case kBadPath:
        DoBadPath();
        break;
      case kReadAnswers:
        DoReadAnswers();
        break;
      case kWatch:
        DoWatch();
        break;
      case kNodeFlood:
        DoNodeFlood();
        break;
      default:
        break;
    }
    if (ops % 64 == 0) DrainWatches();
    if (ops % options_.cleanup_every == 0) {
      ++ops_[kCleanup];
      DoCleanup();
    }
    if (index_ == 0 && Clock::now() >= next_progress) {
      next_progress += std::chrono::seconds(30);
      std::printf("chaos: %.0f s: %llu ops, %llu xenstore calls, %llu failed\n",
                  std::chrono::duration<double>(Clock::now() - t0).count(),
                  static_cast<unsigned long long>(g_ops.load()),
                  static_cast<unsigned long long>(g_calls.load()),
                  static_cast<unsigned long long>(g_failures.load()));
      std::fflush(stdout);
    }
  }
  Finish();
  ran_seconds_ = std::chrono::duration<double>(Clock::now() - t0).count();
  finished_ = true;
}

int Chaos::Report(const std::vector<std::unique_ptr<Chaos>>& all,
                  const Options& options) {
  uint64_t by_kind[kKinds] = {};
  uint64_t ops = 0, calls = 0, failures = 0, forbidden = 0, violations = 0;
  uint64_t txns_left_open = 0, watch_events = 0, cleanups = 0, reconnects = 0;
  uint64_t leftover = 0;
  double call_ms = 0, max_call_ms = 0, seconds = 0;
  bool finished = true, reopen_failed = false;
  std::map<std::string, uint64_t> errors, answers, lost;
  std::vector<std::string> examples;
  for (const auto& c : all) {
    for (int k = 0; k < kKinds; ++k) {
      by_kind[k] += c->ops_[k];
      ops += c->ops_[k];
    }
    calls += c->calls_;
    failures += c->failures_;
    forbidden += c->forbidden_tried_;
    violations += c->violations_;
    txns_left_open += c->txns_left_open_;
    watch_events += c->watch_events_;
    cleanups += c->cleanups_;
    reconnects += c->reconnects_;
    leftover = std::max(leftover, c->leftover_nodes_);
    call_ms += c->call_ms_;
    max_call_ms = std::max(max_call_ms, c->max_call_ms_);
    seconds = std::max(seconds, c->ran_seconds_);
    finished = finished && c->finished_;
    reopen_failed = reopen_failed || c->reopen_failed_;
    for (const auto& [name, n] : c->errors_) errors[name] += n;
    for (const auto& [name, n] : c->answers_) answers[name] += n;
    for (const auto& [name, n] : c->lost_) lost[name] += n;
    for (const std::string& e : c->violation_examples_) examples.push_back(e);
  }
  const auto u = [](uint64_t n) { return static_cast<unsigned long long>(n); };
  std::string line;
  for (int k = 0; k < kKinds; ++k) {
    line += " " + std::string(kKindNames[k]) + "=" + std::to_string(by_kind[k]);
  }
  std::printf(
      "chaos: seed %llu, %llu threads: %llu ops in %.1f s, %llu xenstore "
      "calls (%.0f/s; mean %.1f ms, max %.0f ms), %llu failed\n",
      u(options.seed), u(options.threads), u(ops), seconds, u(calls),
      seconds > 0 ? static_cast<double>(calls) / seconds : 0,
      calls ? call_ms / static_cast<double>(calls) : 0, max_call_ms,
      u(failures));
  std::printf("chaos: ops by kind:%s\n", line.c_str());
  line.clear();
  for (const auto& [name, n] : errors) {
    line += " " + name + "=" + std::to_string(n);
  }
  std::printf("chaos: errors by errno:%s\n",
              line.empty() ? " none" : line.c_str());
  line.clear();
  for (const auto& [status, n] : answers) {
    line += " " + status + "=" + std::to_string(n);
  }
  std::printf("chaos: xenshmd's answers seen:%s\n",
              line.empty() ? " none" : line.c_str());
  std::printf(
      "chaos: transactions left open %llu, watch events %llu, cleanups "
      "%llu, reconnects %llu, handles left %llu\n",
      u(txns_left_open), u(watch_events), u(cleanups), u(reconnects),
      u(leftover));
  line.clear();
  for (const auto& [what, n] : lost) {
    line += " " + what + "=" + std::to_string(n);
  }
  std::printf("chaos: connections reopened (operation/error):%s\n",
              line.empty() ? " none" : line.c_str());
  std::printf("chaos: forbidden calls %llu, succeeded %llu\n", u(forbidden),
              u(violations));
  int status = 0;
  if (finished && ops > 0 && !reopen_failed) {
    std::printf(
        "PASS chaos-ran: seed %llu, %llu ops, %llu xenstore calls in "
        "%.0f s\n",
        u(options.seed), u(ops), u(calls), seconds);
  } else {
    std::printf("FAIL chaos-ran: seed %llu, %llu ops, %s\n", u(options.seed),
                u(ops),
                reopen_failed ? "could not reopen xenstore" : "cut short");
    status = 1;
  }
  if (violations == 0 && forbidden > 0) {
    std::printf("PASS chaos-forbidden-refused: all %llu refused\n",
                u(forbidden));
  } else {
    std::string list;
    for (size_t i = 0; i < examples.size() && i < 5; ++i) {
      list += " [" + examples[i] + "]";
    }
    std::printf("FAIL chaos-forbidden-refused: %llu of %llu succeeded:%s\n",
                u(violations), u(forbidden), list.c_str());
    status = 1;
  }
  std::fflush(stdout);
  return status;
}

bool ParseNumber(std::string_view text, uint64_t& out) {
  auto parsed = xenshm::ParseDecimal(text, UINT64_MAX, "option");
  if (parsed) out = *parsed;
  return parsed.has_value();
}

int Usage() {
  std::fprintf(stderr,
               "usage: xenshm_chaos --seed=N --seconds=S [--threads=N] "
               "[--pause-us=N] [--cleanup-every=N]\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  bool have_seed = false;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    auto value = [&](std::string_view key, uint64_t& out) {
      return arg.starts_with(key) && ParseNumber(arg.substr(key.size()), out);
    };
    uint64_t n = 0;
    if (value("--seed=", n)) {
      options.seed = n;
      have_seed = true;
    } else if (value("--seconds=", n) && n > 0) {
      options.seconds = static_cast<double>(n);
    } else if (value("--threads=", n) && n > 0 && n <= 16) {
      options.threads = n;
    } else if (value("--pause-us=", n)) {
      options.pause_us = n;
    } else if (value("--cleanup-every=", n) && n > 0) {
      options.cleanup_every = n;
    } else {
      return Usage();
    }
  }
  if (!have_seed) return Usage();
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::printf("chaos: seed %llu, %.0f s, %llu threads\n",
              static_cast<unsigned long long>(options.seed), options.seconds,
              static_cast<unsigned long long>(options.threads));
  std::vector<std::unique_ptr<Chaos>> all;
  for (uint64_t i = 0; i < options.threads; ++i) {
    all.push_back(std::make_unique<Chaos>(options, i));
    if (!all.back()->Open()) {
      std::printf("FAIL chaos-ran: no xenstore\n");
      return 1;
    }
  }
  std::vector<std::thread> threads;
  for (auto& c : all) threads.emplace_back([&c] { c->Run(); });
  for (std::thread& t : threads) t.join();
  all.front()->FinalCleanup();
  return Chaos::Report(all, options);
}
