// What can be checked without Xen: every opener fails cleanly, with a code
// and a message naming the missing piece, instead of crashing; and the
// backlog RealEventChannels keeps across Unbind, over a pipe standing in for
// /dev/xen/evtchn. Real behaviour is covered by the lab
// (tools/probes/smoke_probe).
#include "platform/real/real_platform.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdint>
#include <string>

#include "gtest/gtest.h"
#include "platform/real/real_domain_info.h"
#include "platform/real/real_event_channels.h"
#include "platform/real/real_grant_mapper.h"
#include "platform/real/real_guest_platform.h"
#include "platform/real/real_page_sharer.h"
#include "platform/real/real_xenstore.h"

namespace xenshm {
namespace {

bool HostHasXen() { return access("/dev/xen", F_OK) == 0; }

class NoXenTest : public testing::Test {
 protected:
  void SetUp() override {
    if (HostHasXen()) GTEST_SKIP() << "this host has /dev/xen";
    // libxenstore tries $XENSTORED_PATH for both its socket and its device;
    // pointing it at nothing makes the failure independent of the host.
    const char* tmp = getenv("TEST_TMPDIR");
    const std::string missing =
        std::string(tmp != nullptr ? tmp : "/tmp") + "/no-xenstored-here";
    setenv("XENSTORED_PATH", missing.c_str(), /*overwrite=*/1);
  }
  void TearDown() override { unsetenv("XENSTORED_PATH"); }
};

bool Contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

TEST_F(NoXenTest, XenStoreOpenFailsWithNotFound) {
  auto store = RealXenStore::Open();
  ASSERT_FALSE(store.has_value());
  EXPECT_EQ(store.error().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(store.error().message(), "xs_open"))
      << store.error().ToString();
  EXPECT_TRUE(Contains(store.error().message(), "xenstored"))
      << store.error().ToString();
}

TEST_F(NoXenTest, GrantMapperOpenNamesGntdev) {
  auto mapper = RealGrantMapper::Open();
  ASSERT_FALSE(mapper.has_value());
  EXPECT_EQ(mapper.error().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(mapper.error().message(), "gntdev"))
      << mapper.error().ToString();
}

TEST_F(NoXenTest, EventChannelsOpenNamesEvtchn) {
  auto channels = RealEventChannels::Open();
  ASSERT_FALSE(channels.has_value());
  EXPECT_EQ(channels.error().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(channels.error().message(), "evtchn"))
      << channels.error().ToString();
}

TEST_F(NoXenTest, PageSharerOpenNamesGntalloc) {
  auto sharer = RealPageSharer::Open();
  ASSERT_FALSE(sharer.has_value());
  EXPECT_EQ(sharer.error().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(sharer.error().message(), "gntalloc"))
      << sharer.error().ToString();
}

TEST_F(NoXenTest, DomainInfoOpenFailsCleanly) {
  // libxenctrl tries /dev/xen/privcmd then /proc/xen/privcmd; the errno of
  // the last attempt varies with the host, so only the shape is checked.
  auto info = RealDomainInfo::Open();
  ASSERT_FALSE(info.has_value());
  EXPECT_NE(info.error().code(), Code::kOk);
  EXPECT_TRUE(Contains(info.error().message(), "xc_interface_open"))
      << info.error().ToString();
}

TEST_F(NoXenTest, OpenRealPlatformReportsTheFirstMissingPiece) {
  for (PlatformRole role : {PlatformRole::kGuest, PlatformRole::kDom0}) {
    auto platform = OpenRealPlatform(role);
    ASSERT_FALSE(platform.has_value());
    EXPECT_EQ(platform.error().code(), Code::kNotFound);
    EXPECT_TRUE(Contains(platform.error().message(), "xs_open"))
        << platform.error().ToString();
  }
}

TEST_F(NoXenTest, OpenRealGuestPlatformReportsTheFirstMissingPiece) {
  auto platform = OpenRealGuestPlatform();
  ASSERT_FALSE(platform.has_value());
  EXPECT_EQ(platform.error().code(), Code::kNotFound);
  EXPECT_TRUE(Contains(platform.error().message(), "xs_open"))
      << platform.error().ToString();
}

// A pipe standing in for /dev/xen/evtchn: the kernel queues 32-bit port
// numbers, libxenevtchn reads one at a time.
class FakeDevice {
 public:
  FakeDevice() {
    if (pipe2(fds_, O_CLOEXEC) != 0) std::abort();
  }
  ~FakeDevice() {
    close(fds_[0]);
    close(fds_[1]);
  }
  int fd() const { return fds_[0]; }
  void Queue(EventPort port) {
    const uint32_t value = port;
    ASSERT_EQ(write(fds_[1], &value, sizeof(value)),
              static_cast<ssize_t>(sizeof(value)));
  }
  Result<EventPort> ReadOne() {
    uint32_t value = 0;
    if (read(fds_[0], &value, sizeof(value)) != sizeof(value)) {
      return Error(Code::kIoError, "short read");
    }
    return static_cast<EventPort>(value);
  }

 private:
  int fds_[2];
};

bool Readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return poll(&p, 1, 0) == 1;
}

class EventBacklogTest : public testing::Test {
 protected:
  void SetUp() override {
    auto opened = EventBacklog::Open(device_.fd());
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    backlog_ = std::move(*opened);
  }
  Status Discard(EventPort unbound) {
    return backlog_->DiscardAfterUnbind(unbound,
                                        [this] { return device_.ReadOne(); });
  }

  FakeDevice device_;
  std::unique_ptr<EventBacklog> backlog_;
};

TEST_F(EventBacklogTest, ItsFdFollowsTheDevice) {
  EXPECT_FALSE(Readable(backlog_->fd()));
  device_.Queue(3);
  EXPECT_TRUE(Readable(backlog_->fd()));
  EXPECT_EQ(backlog_->Take(), std::nullopt);  // the device's, not kept
  ASSERT_EQ(device_.ReadOne().value(), 3u);
  EXPECT_FALSE(Readable(backlog_->fd()));
}

TEST_F(EventBacklogTest, UnbindDropsThatPortAndKeepsTheOthersInOrder) {
  for (EventPort port : {5, 7, 5, 9}) device_.Queue(port);
  ASSERT_TRUE(Discard(5).ok());
  EXPECT_FALSE(Readable(device_.fd()));   // the ring was read out
  EXPECT_TRUE(Readable(backlog_->fd()));  // but 7 and 9 still wait
  EXPECT_EQ(backlog_->Take(), 7u);
  EXPECT_TRUE(Readable(backlog_->fd()));
  EXPECT_EQ(backlog_->Take(), 9u);
  EXPECT_EQ(backlog_->Take(), std::nullopt);
  EXPECT_FALSE(Readable(backlog_->fd()));
}

TEST_F(EventBacklogTest, UnbindAlsoDropsWhatWasKeptForThatPort) {
  device_.Queue(7);
  device_.Queue(9);
  ASSERT_TRUE(Discard(5).ok());  // keeps 7 and 9
  ASSERT_TRUE(Discard(7).ok());
  EXPECT_EQ(backlog_->Take(), 9u);
  EXPECT_EQ(backlog_->Take(), std::nullopt);
  device_.Queue(9);
  ASSERT_TRUE(Discard(9).ok());
  EXPECT_FALSE(Readable(backlog_->fd()));
}

TEST_F(EventBacklogTest, AnEmptyRingCostsOnePoll) {
  bool read = false;
  ASSERT_TRUE(backlog_
                  ->DiscardAfterUnbind(5,
                                       [&]() -> Result<EventPort> {
                                         read = true;
                                         return 0;
                                       })
                  .ok());
  EXPECT_FALSE(read);
  EXPECT_FALSE(Readable(backlog_->fd()));
}

TEST_F(EventBacklogTest, AReadErrorKeepsWhatWasRead) {
  device_.Queue(7);
  device_.Queue(8);
  int reads = 0;
  Status status = backlog_->DiscardAfterUnbind(5, [&]() -> Result<EventPort> {
    if (++reads == 2) return Error(Code::kIoError, "read failed");
    return device_.ReadOne();
  });
  EXPECT_EQ(status.code(), Code::kIoError);
  EXPECT_EQ(backlog_->Take(), 7u);
}

}  // namespace
}  // namespace xenshm
