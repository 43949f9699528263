#include "backend/service/notify_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace xenshm::service {
namespace {

// A datagram socket bound where a service manager's would be.
class Listener {
 public:
  // `name` as $NOTIFY_SOCKET spells it: "/path" or "@abstract".
  explicit Listener(const std::string& name) {
    fd_ = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    socklen_t len =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
    if (name[0] == '@') {
      addr.sun_path[0] = '\0';
    } else {
      ++len;
      path_ = name;
    }
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0;
  }
  ~Listener() {
    close(fd_);
    if (!path_.empty()) unlink(path_.c_str());
  }

  bool bound() const { return bound_; }
  // The next datagram, or "<none>" if none is waiting.
  std::string Receive() {
    char buf[512];
    const ssize_t n = recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    return n < 0 ? "<none>" : std::string(buf, static_cast<size_t>(n));
  }

 private:
  int fd_ = -1;
  bool bound_ = false;
  std::string path_;
};

std::string UniqueAbstractName() {
  return "@xenshm-notify-test-" + std::to_string(getpid());
}

TEST(NotifySocketTest, SendsToAPathSocket) {
  char dir[] = "/tmp/xenshm-notify-XXXXXX";  // short: sun_path holds 108
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/notify";
  {
    Listener listener(path);
    ASSERT_TRUE(listener.bound());
    ASSERT_TRUE(NotifyServiceManagerAt(path.c_str(), "READY=1").ok());
    EXPECT_EQ(listener.Receive(), "READY=1");
    EXPECT_EQ(listener.Receive(), "<none>");
  }
  rmdir(dir);
}

TEST(NotifySocketTest, SendsToAnAbstractSocket) {
  const std::string name = UniqueAbstractName();
  Listener listener(name);
  ASSERT_TRUE(listener.bound());
  Status sent = NotifyServiceManagerAt(name.c_str(), "STOPPING=1");
  ASSERT_TRUE(sent.ok()) << sent.ToString();
  EXPECT_EQ(listener.Receive(), "STOPPING=1");
}

TEST(NotifySocketTest, ReadsNotifySocketFromTheEnvironment) {
  const std::string name = UniqueAbstractName() + "-env";
  Listener listener(name);
  ASSERT_TRUE(listener.bound());
  ASSERT_EQ(setenv("NOTIFY_SOCKET", name.c_str(), 1), 0);
  Status sent = NotifyServiceManager(ReloadingState());
  unsetenv("NOTIFY_SOCKET");
  ASSERT_TRUE(sent.ok()) << sent.ToString();
  const std::string got = listener.Receive();
  EXPECT_EQ(got.rfind("RELOADING=1\nMONOTONIC_USEC=", 0), 0u) << got;
  EXPECT_GT(got.size(), std::strlen("RELOADING=1\nMONOTONIC_USEC="));
}

TEST(NotifySocketTest, WithoutNotifySocketNothingHappens) {
  unsetenv("NOTIFY_SOCKET");
  EXPECT_TRUE(NotifyServiceManager("READY=1").ok());
  EXPECT_TRUE(NotifyServiceManagerAt(nullptr, "READY=1").ok());
  EXPECT_TRUE(NotifyServiceManagerAt("", "READY=1").ok());
}

TEST(NotifySocketTest, RefusesAddressesItCannotReach) {
  EXPECT_EQ(NotifyServiceManagerAt("vsock:2:1234", "READY=1").code(),
            Code::kInvalidArgument);
  EXPECT_EQ(NotifyServiceManagerAt("run/notify", "READY=1").code(),
            Code::kInvalidArgument);
  const std::string too_long = "/" + std::string(200, 'x');
  EXPECT_EQ(NotifyServiceManagerAt(too_long.c_str(), "READY=1").code(),
            Code::kInvalidArgument);
  const std::string too_long_abstract = "@" + std::string(200, 'x');
  EXPECT_EQ(NotifyServiceManagerAt(too_long_abstract.c_str(), "READY=1").code(),
            Code::kInvalidArgument);
}

TEST(NotifySocketTest, ANotifySocketNobodyListensOnIsAnError) {
  const std::string name = UniqueAbstractName() + "-nobody";
  EXPECT_FALSE(NotifyServiceManagerAt(name.c_str(), "READY=1").ok());
}

}  // namespace
}  // namespace xenshm::service
