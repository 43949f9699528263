// RealXenStore against a scripted stand-in for xenstored.
//
// libxenstore connects to the Unix socket named by $XENSTORED_PATH, so the
// real library code runs here, speaking the real wire protocol
// (xen/io/xs_wire.h) to a small in-process server. The server answers the
// way xenstored does where it matters to the adapter (XS_RM of a missing
// node is acknowledged; errors are errno names; watches fire once when set).
// It does not model permissions or quotas: those are xenstored's, tested in
// the lab.
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

extern "C" {
#include <xen/io/xs_wire.h>
}

#include "gtest/gtest.h"
#include "platform/real/real_xenstore.h"

namespace xenshm {
namespace {

constexpr DomainId kSelf = 7;
const std::string kHome = "/local/domain/7";

bool ReadExact(int fd, void* buf, size_t len) {
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    const ssize_t n = read(fd, p, len);
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

bool WriteAll(int fd, const void* buf, size_t len) {
  const auto* p = static_cast<const char*>(buf);
  while (len > 0) {
    const ssize_t n = write(fd, p, len);
    if (n <= 0) return false;
    p += n;
    len -= static_cast<size_t>(n);
  }
  return true;
}

std::vector<std::string> SplitNul(const std::string& payload) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start < payload.size()) {
    size_t end = payload.find('\0', start);
    if (end == std::string::npos) end = payload.size();
    out.push_back(payload.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// One connection, served on its own thread until the client hangs up.
class FakeXenstored {
 public:
  FakeXenstored() {
    // A sockaddr_un path must fit in 108 bytes; Bazel's TEST_TMPDIR may not.
    char dir[] = "/tmp/xenshm-xs-XXXXXX";
    if (mkdtemp(dir) == nullptr) {
      ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
    }
    dir_ = dir;
    socket_path_ = dir_ + "/socket";
    unlink(socket_path_.c_str());
    listen_fd_ = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, socket_path_.c_str(),
                 sizeof(addr.sun_path) - 1);
    if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) !=
            0 ||
        listen(listen_fd_, 1) != 0) {
      ADD_FAILURE() << "cannot listen on " << socket_path_ << ": "
                    << std::strerror(errno);
    }
    nodes_["/"] = "";
    nodes_["/local"] = "";
    nodes_["/local/domain"] = "";
    nodes_[kHome] = "";
    nodes_[kHome + "/domid"] = std::to_string(kSelf);
    setenv("XENSTORED_PATH", socket_path_.c_str(), /*overwrite=*/1);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeXenstored() {
    unsetenv("XENSTORED_PATH");
    shutdown(listen_fd_, SHUT_RDWR);
    close(listen_fd_);
    thread_.join();
    unlink(socket_path_.c_str());
    rmdir(dir_.c_str());
  }

  // Set before the client connects; read only by the server thread after.
  std::map<std::string, std::string> nodes_;
  int transaction_conflicts_ = 0;  // next N commits answer EAGAIN
  std::string watch_quota_token_;  // XS_WATCH with this token gets E2BIG

 private:
  void Serve() {
    const int fd = accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) return;
    xsd_sockmsg hdr;
    while (ReadExact(fd, &hdr, sizeof(hdr))) {
      std::string payload(hdr.len, '\0');
      if (hdr.len > 0 && !ReadExact(fd, payload.data(), hdr.len)) break;
      Handle(fd, hdr, payload);
    }
    close(fd);
  }

  static void Send(int fd, uint32_t type, uint32_t req_id, uint32_t tx_id,
                   const std::string& body) {
    xsd_sockmsg hdr{type, req_id, tx_id, static_cast<uint32_t>(body.size())};
    WriteAll(fd, &hdr, sizeof(hdr));
    WriteAll(fd, body.data(), body.size());
  }

  std::string Absolute(const std::string& path) const {
    return path.starts_with("/") ? path : kHome + "/" + path;
  }

  static std::string Parent(const std::string& path) {
    const size_t slash = path.rfind('/');
    return slash == 0 ? "/" : path.substr(0, slash);
  }

  bool IsBelow(const std::string& node, const std::string& path) const {
    return node == path || node.starts_with(path + "/");
  }

  void Create(const std::string& path, const std::string& value) {
    for (std::string p = Parent(path); p != "/"; p = Parent(p)) {
      nodes_.try_emplace(p, "");
    }
    nodes_[path] = value;
  }

  void FireWatches(int fd, const std::string& changed) {
    for (const auto& [path, token] : watches_) {
      if (IsBelow(changed, path)) {
        Send(fd, XS_WATCH_EVENT, 0, 0,
             changed + std::string(1, '\0') + token + std::string(1, '\0'));
      }
    }
  }

  void Handle(int fd, const xsd_sockmsg& hdr, const std::string& payload) {
    const std::vector<std::string> args = SplitNul(payload);
    const std::string ok("OK\0", 3);
    auto error = [&](const char* name) {
      Send(fd, XS_ERROR, hdr.req_id, hdr.tx_id, std::string(name) + '\0');
    };
    auto reply = [&](const std::string& body) {
      Send(fd, hdr.type, hdr.req_id, hdr.tx_id, body);
    };
    const std::string path = args.empty() ? "" : Absolute(args[0]);
    switch (hdr.type) {
      case XS_READ: {
        auto it = nodes_.find(path);
        if (it == nodes_.end()) return error("ENOENT");
        return reply(it->second);
      }
      case XS_WRITE: {
        const size_t nul = payload.find('\0');
        Create(path, payload.substr(nul + 1));
        reply(ok);
        return FireWatches(fd, path);
      }
      case XS_MKDIR:
        if (!nodes_.contains(path)) Create(path, "");
        return reply(ok);
      case XS_RM: {
        if (!nodes_.contains(path)) {
          // xenstored acknowledges a missing node whose parent exists.
          if (nodes_.contains(Parent(path))) return reply(ok);
          return error("ENOENT");
        }
        std::erase_if(nodes_, [&](const auto& node) {
          return IsBelow(node.first, path);
        });
        perms_.erase(path);
        reply(ok);
        return FireWatches(fd, path);
      }
      case XS_DIRECTORY: {
        if (!nodes_.contains(path)) return error("ENOENT");
        std::string body;
        for (const auto& [node, value] : nodes_) {
          if (node != path && Parent(node) == path) {
            body += node.substr(node.rfind('/') + 1) + '\0';
          }
        }
        return reply(body);
      }
      case XS_GET_PERMS: {
        if (!nodes_.contains(path)) return error("ENOENT");
        auto it = perms_.find(path);
        if (it == perms_.end()) return reply(std::string("n0\0", 3));
        return reply(it->second);
      }
      case XS_SET_PERMS: {
        if (!nodes_.contains(path)) return error("ENOENT");
        perms_[path] = payload.substr(payload.find('\0') + 1);
        return reply(ok);
      }
      case XS_TRANSACTION_START:
        return reply(std::to_string(++last_transaction_) + '\0');
      case XS_TRANSACTION_END:
        if (args.size() == 1 && args[0] == "T" && transaction_conflicts_ > 0) {
          --transaction_conflicts_;
          return error("EAGAIN");
        }
        return reply(ok);
      case XS_WATCH:
        if (args.size() < 2) return error("EINVAL");
        if (args[1] == watch_quota_token_) return error("E2BIG");
        watches_.emplace_back(path, args[1]);
        reply(ok);
        // Like xenstored: a new watch fires once at once.
        return Send(fd, XS_WATCH_EVENT, 0, 0, args[0] + '\0' + args[1] + '\0');
      case XS_UNWATCH: {
        auto it =
            std::find(watches_.begin(), watches_.end(),
                      std::make_pair(path, args.size() > 1 ? args[1] : ""));
        if (it == watches_.end()) return error("ENOENT");
        watches_.erase(it);
        return reply(ok);
      }
      default:
        return error("ENOSYS");
    }
  }

  std::string dir_;
  std::string socket_path_;
  int listen_fd_ = -1;
  std::thread thread_;
  std::map<std::string, std::string> perms_;  // path -> raw perm strings
  std::vector<std::pair<std::string, std::string>> watches_;
  uint32_t last_transaction_ = 0;
};

std::unique_ptr<RealXenStore> OpenOrDie() {
  auto store = RealXenStore::Open();
  if (!store) {
    ADD_FAILURE() << store.error().ToString();
    return nullptr;
  }
  return std::move(*store);
}

TEST(RealXenStoreTest, OpenLearnsOurDomainId) {
  FakeXenstored xenstored;
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->self(), kSelf);
  EXPECT_GE(store->watch_fd(), 0);
}

TEST(RealXenStoreTest, OpenRejectsAMalformedDomid) {
  FakeXenstored xenstored;
  xenstored.nodes_[kHome + "/domid"] = "seven";
  auto store = RealXenStore::Open();
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Code::kInvalidArgument);
  EXPECT_NE(store.error().message().find("seven"), std::string::npos);
  // Strict decimal below DOMID_FIRST_RESERVED, nothing else.
  for (const char* bad : {"", "07", "7 ", "+7", "-1", "32752", "0x7"}) {
    FakeXenstored other;  // serves one connection
    other.nodes_[kHome + "/domid"] = bad;
    auto refused = RealXenStore::Open();
    ASSERT_FALSE(refused.has_value()) << "'" << bad << "'";
    EXPECT_EQ(refused.error().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(RealXenStoreTest, OpenWithoutDomidNodeFailsWithNotFound) {
  FakeXenstored xenstored;
  xenstored.nodes_.erase(kHome + "/domid");
  auto store = RealXenStore::Open();
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Code::kNotFound);
  EXPECT_NE(store.error().message().find("domain id"), std::string::npos);
}

TEST(RealXenStoreTest, WriteReadListRemove) {
  FakeXenstored xenstored;
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const std::string dir = kHome + "/data/t";
  ASSERT_TRUE(store->Write(kNoTransaction, dir + "/a", "1").ok());
  // Values are bytes, not C strings.
  ASSERT_TRUE(
      store->Write(kNoTransaction, dir + "/b", std::string("x\0y", 3)).ok());
  ASSERT_TRUE(store->Mkdir(kNoTransaction, dir + "/c").ok());

  auto a = store->Read(kNoTransaction, dir + "/a");
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  EXPECT_EQ(*a, "1");
  auto b = store->Read(kNoTransaction, "data/t/b");  // relative to home
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_EQ(*b, std::string("x\0y", 3));

  auto names = store->List(kNoTransaction, dir);
  ASSERT_TRUE(names.has_value()) << names.error().ToString();
  std::sort(names->begin(), names->end());
  EXPECT_EQ(*names, (std::vector<std::string>{"a", "b", "c"}));

  ASSERT_TRUE(store->Remove(kNoTransaction, dir).ok());
  auto gone = store->Read(kNoTransaction, dir + "/a");
  ASSERT_FALSE(gone.has_value());
  EXPECT_EQ(gone.error().code(), Code::kNotFound);
  EXPECT_NE(gone.error().message().find(dir + "/a"), std::string::npos);
}

TEST(RealXenStoreTest, RemovingAMissingNodeIsNotFound) {
  FakeXenstored xenstored;
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  // The parent exists, so xenstored itself would say OK.
  const Status status = store->Remove(kNoTransaction, kHome + "/nothing");
  EXPECT_EQ(status.code(), Code::kNotFound);
  EXPECT_NE(status.message().find("/nothing"), std::string::npos);
}

TEST(RealXenStoreTest, PermissionsRoundTrip) {
  FakeXenstored xenstored;
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const std::string node = kHome + "/data/p";
  ASSERT_TRUE(store->Write(kNoTransaction, node, "").ok());
  const std::vector<XsPermission> perms = {{kSelf, XsAccess::kNone},
                                           {3, XsAccess::kRead},
                                           {4, XsAccess::kWrite},
                                           {5, XsAccess::kBoth}};
  ASSERT_TRUE(store->SetPermissions(kNoTransaction, node, perms).ok());
  auto read = store->GetPermissions(kNoTransaction, node);
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  EXPECT_EQ(*read, perms);
}

TEST(RealXenStoreTest, EmptyPermissionListIsRejected) {
  FakeXenstored xenstored;
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->SetPermissions(kNoTransaction, kHome, {}).code(),
            Code::kInvalidArgument);
}

TEST(RealXenStoreTest, ConflictingCommitIsAgain) {
  FakeXenstored xenstored;
  xenstored.transaction_conflicts_ = 1;
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto t = store->TransactionStart();
  ASSERT_TRUE(t.has_value()) << t.error().ToString();
  EXPECT_NE(*t, kNoTransaction);
  EXPECT_EQ(store->TransactionEnd(*t, /*commit=*/true).code(), Code::kAgain);
  auto retry = store->TransactionStart();
  ASSERT_TRUE(retry.has_value());
  EXPECT_TRUE(store->TransactionEnd(*retry, /*commit=*/true).ok());
  auto aborted = store->TransactionStart();
  ASSERT_TRUE(aborted.has_value());
  EXPECT_TRUE(store->TransactionEnd(*aborted, /*commit=*/false).ok());
}

// Polls watch_fd and drains events until `want` arrives or 5 s pass.
bool AwaitWatch(RealXenStore& store, const std::string& path,
                const std::string& token) {
  for (int i = 0; i < 500; ++i) {
    while (auto event = store.TakeWatchEvent()) {
      if (event->path == path && event->token == token) return true;
    }
    pollfd pfd{store.watch_fd(), POLLIN, 0};
    poll(&pfd, 1, 10);
  }
  return false;
}

TEST(RealXenStoreTest, WatchFiresOnSetAndOnChange) {
  FakeXenstored xenstored;
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const std::string node = kHome + "/data/w";
  EXPECT_FALSE(store->TakeWatchEvent().has_value());
  ASSERT_TRUE(store->Watch(node, "tok").ok());
  EXPECT_TRUE(AwaitWatch(*store, node, "tok"));
  ASSERT_TRUE(store->Write(kNoTransaction, node + "/child", "v").ok());
  EXPECT_TRUE(AwaitWatch(*store, node + "/child", "tok"));
  // Drained: the fd no longer polls readable and nothing is queued.
  EXPECT_FALSE(store->TakeWatchEvent().has_value());
  pollfd pfd{store->watch_fd(), POLLIN, 0};
  EXPECT_EQ(poll(&pfd, 1, 0), 0);
  EXPECT_TRUE(store->Unwatch(node, "tok").ok());
  EXPECT_EQ(store->Unwatch(node, "tok").code(), Code::kNotFound);
}

TEST(RealXenStoreTest, WatchOverQuotaIsQuotaExceeded) {
  FakeXenstored xenstored;
  xenstored.watch_quota_token_ = "one-too-many";
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  const Status status = store->Watch(kHome, "one-too-many");
  EXPECT_EQ(status.code(), Code::kQuotaExceeded);
  EXPECT_NE(status.message().find("xs_watch"), std::string::npos);
}

}  // namespace
}  // namespace xenshm
