// Event channels between fake domains: binding, delivery, masking, closing.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <thread>

#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "tests/fake_hypervisor/test_util.h"

namespace xenshm::fake {
namespace {

using testing::CodeOf;
using testing::Readable;

std::optional<EventPort> Take(EventChannels& ec) {
  Result<std::optional<EventPort>> port = ec.TakePending();
  EXPECT_TRUE(port.has_value());
  return port.value_or(std::nullopt);
}

class EventChannelsTest : public testing::ThreeDomains {
 protected:
  EventChannelsTest() {
    ec0_ = dom0_.open_event_channels().value();
    ec1_ = dom1_.open_event_channels().value();
    ec2_ = dom2_.open_event_channels().value();
  }

  // dom0 offers a port to dom1, dom1 binds it and eats the spurious event.
  void Connect() {
    port0_ = ec0_->AllocateUnbound(1).value();
    port1_ = ec1_->BindInterdomain(0, port0_).value();
    ASSERT_EQ(Take(*ec1_), port1_);
    ASSERT_TRUE(ec1_->Unmask(port1_).ok());
  }

  std::unique_ptr<EventChannels> ec0_, ec1_, ec2_;
  EventPort port0_ = 0, port1_ = 0;
};

TEST_F(EventChannelsTest, BindingRaisesOneSpuriousEventOnTheNewPort) {
  EventPort offered = ec0_->AllocateUnbound(1).value();
  EXPECT_FALSE(Readable(ec1_->fd()));
  EventPort local = ec1_->BindInterdomain(0, offered).value();
  EXPECT_TRUE(Readable(ec1_->fd()));
  EXPECT_EQ(Take(*ec1_), local);
  EXPECT_EQ(Take(*ec1_), std::nullopt);
  EXPECT_FALSE(Readable(ec1_->fd()));
  EXPECT_FALSE(Readable(ec0_->fd()));
}

TEST_F(EventChannelsTest, NotifyReachesTheRemoteEndBothWays) {
  Connect();
  ASSERT_TRUE(ec1_->Notify(port1_).ok());
  EXPECT_TRUE(Readable(ec0_->fd()));
  EXPECT_EQ(Take(*ec0_), port0_);
  EXPECT_FALSE(Readable(ec1_->fd()));
  ASSERT_TRUE(ec0_->Notify(port0_).ok());
  EXPECT_EQ(Take(*ec1_), port1_);
}

TEST_F(EventChannelsTest, PortsArePerDomainFromOne) {
  EXPECT_EQ(ec0_->AllocateUnbound(1).value(), 1u);
  EXPECT_EQ(ec2_->AllocateUnbound(1).value(), 1u);
  std::unique_ptr<EventChannels> other = dom0_.open_event_channels().value();
  EXPECT_EQ(other->AllocateUnbound(2).value(), 2u);
  // Only the owning handle may use a port.
  EXPECT_EQ(CodeOf(ec0_->Notify(2)), Code::kNotFound);
  EXPECT_EQ(CodeOf(ec0_->Unbind(2)), Code::kNotFound);
  EXPECT_EQ(CodeOf(ec0_->Unmask(2)), Code::kNotFound);
}

TEST_F(EventChannelsTest, TakenPortStaysMaskedUntilUnmask) {
  Connect();
  ASSERT_TRUE(ec1_->Notify(port1_).ok());
  EXPECT_EQ(Take(*ec0_), port0_);
  ASSERT_TRUE(ec1_->Notify(port1_).ok());
  ASSERT_TRUE(ec1_->Notify(port1_).ok());
  EXPECT_FALSE(Readable(ec0_->fd()));
  EXPECT_EQ(Take(*ec0_), std::nullopt);
  // The events raised while masked collapse into one on unmask.
  ASSERT_TRUE(ec0_->Unmask(port0_).ok());
  EXPECT_TRUE(Readable(ec0_->fd()));
  EXPECT_EQ(Take(*ec0_), port0_);
  EXPECT_EQ(Take(*ec0_), std::nullopt);
  ASSERT_TRUE(ec0_->Unmask(port0_).ok());
  EXPECT_FALSE(Readable(ec0_->fd()));
}

TEST_F(EventChannelsTest, BindChecksTheOffer) {
  EventPort for1 = ec0_->AllocateUnbound(1).value();
  EXPECT_EQ(CodeOf(ec2_->BindInterdomain(0, for1)), Code::kInvalidArgument);
  EXPECT_EQ(CodeOf(ec1_->BindInterdomain(0, for1 + 100)),
            Code::kInvalidArgument);
  EXPECT_EQ(CodeOf(ec1_->BindInterdomain(9, for1)), Code::kNotFound);
  ASSERT_TRUE(ec1_->BindInterdomain(0, for1).has_value());
  // Already bound.
  EXPECT_EQ(CodeOf(ec1_->BindInterdomain(0, for1)), Code::kInvalidArgument);
}

TEST_F(EventChannelsTest, UnbindLeavesRemoteEndUnboundAndSilent) {
  Connect();
  ASSERT_TRUE(ec1_->Unbind(port1_).ok());
  EXPECT_TRUE(ec0_->Notify(port0_).ok());  // Xen drops it silently
  EXPECT_FALSE(Readable(ec1_->fd()));
  EXPECT_EQ(CodeOf(ec1_->Notify(port1_)), Code::kNotFound);
  // The orphaned end waits for the same domain to bind again.
  EventPort again = ec1_->BindInterdomain(0, port0_).value();
  EXPECT_EQ(Take(*ec1_), again);
  ASSERT_TRUE(ec0_->Notify(port0_).ok());
  ASSERT_TRUE(ec1_->Unmask(again).ok());
  EXPECT_EQ(Take(*ec1_), again);
}

TEST_F(EventChannelsTest, UnbindDropsQueuedEvents) {
  Connect();
  ASSERT_TRUE(ec1_->Notify(port1_).ok());
  EXPECT_TRUE(Readable(ec0_->fd()));
  ASSERT_TRUE(ec0_->Unbind(port0_).ok());
  EXPECT_FALSE(Readable(ec0_->fd()));
  EXPECT_EQ(Take(*ec0_), std::nullopt);
}

TEST_F(EventChannelsTest, UnbindDiscardsOnlyThatPortsEvents) {
  Connect();
  EventPort offered = ec0_->AllocateUnbound(2).value();
  EventPort port2 = ec2_->BindInterdomain(0, offered).value();
  ASSERT_EQ(Take(*ec2_), port2);
  ASSERT_TRUE(ec2_->Notify(port2).ok());
  ASSERT_TRUE(ec1_->Notify(port1_).ok());
  ASSERT_TRUE(ec0_->Unbind(offered).ok());
  EXPECT_TRUE(Readable(ec0_->fd()));
  EXPECT_EQ(Take(*ec0_), port0_);
  EXPECT_EQ(Take(*ec0_), std::nullopt);
  EXPECT_FALSE(Readable(ec0_->fd()));
}

// The kernel's ring keeps an event queued before IOCTL_EVTCHN_UNBIND; if
// the port number is bound anew, reading it would report the new channel.
// Unbind must have discarded it.
TEST_F(EventChannelsTest, AnEventQueuedBeforeUnbindIsNeverReportedLater) {
  Connect();
  ASSERT_TRUE(ec1_->Notify(port1_).ok());
  ASSERT_TRUE(Readable(ec0_->fd()));
  ASSERT_TRUE(ec0_->Unbind(port0_).ok());  // the event was not taken
  EventPort reused = ec0_->AllocateUnbound(2).value();
  ASSERT_EQ(reused, port0_);  // Xen hands out the lowest free number
  EXPECT_FALSE(Readable(ec0_->fd()));
  EXPECT_EQ(Take(*ec0_), std::nullopt);
  EventPort port2 = ec2_->BindInterdomain(0, reused).value();
  ASSERT_EQ(Take(*ec2_), port2);
  ASSERT_TRUE(ec2_->Unmask(port2).ok());
  EXPECT_EQ(Take(*ec0_), std::nullopt);  // bound, but it has not fired
  EXPECT_FALSE(Readable(ec0_->fd()));
  ASSERT_TRUE(ec2_->Notify(port2).ok());
  EXPECT_EQ(Take(*ec0_), reused);
  EXPECT_EQ(Take(*ec0_), std::nullopt);
}

TEST_F(EventChannelsTest, ClosingAHandleClosesItsPorts) {
  Connect();
  EXPECT_EQ(hv_.OpenEventPorts(1), 1u);
  ec1_.reset();
  EXPECT_EQ(hv_.OpenEventPorts(1), 0u);
  EXPECT_TRUE(ec0_->Notify(port0_).ok());
}

TEST_F(EventChannelsTest, DomainDeathUnbindsRemoteEnds) {
  Connect();
  hv_.DestroyDomain(1);
  EXPECT_EQ(hv_.OpenEventPorts(1), 0u);
  EXPECT_TRUE(ec0_->Notify(port0_).ok());
  EXPECT_EQ(CodeOf(ec1_->Notify(port1_)), Code::kIoError);
  EXPECT_EQ(CodeOf(ec1_->AllocateUnbound(0)), Code::kIoError);
  EXPECT_EQ(CodeOf(dom1_.open_event_channels()), Code::kIoError);
  ec1_.reset();  // still safe to close
}

TEST_F(EventChannelsTest, NotifyWakesAThreadBlockedInPoll) {
  Connect();
  std::atomic<bool> woke{false};
  std::thread waiter([&] { woke = Readable(ec0_->fd(), 5000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(ec1_->Notify(port1_).ok());
  waiter.join();
  EXPECT_TRUE(woke);
  EXPECT_EQ(Take(*ec0_), port0_);
}

TEST_F(EventChannelsTest, NextPendingBlocksUntilAnEventArrives) {
  Connect();
  std::atomic<bool> returned{false};
  std::optional<EventPort> got;
  std::thread waiter([&] {
    auto port = ec0_->NextPending();
    if (port) got = *port;
    returned = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_FALSE(returned);  // nothing pending yet: still blocked
  ASSERT_TRUE(ec1_->Notify(port1_).ok());
  waiter.join();
  EXPECT_EQ(got, port0_);
  EXPECT_EQ(Take(*ec0_), std::nullopt);  // taken once, still masked
}

TEST_F(EventChannelsTest, PingPongAcrossThreads) {
  Connect();
  constexpr int kRounds = 200;
  std::thread peer([&] {
    for (int i = 0; i < kRounds; ++i) {
      ASSERT_TRUE(Readable(ec1_->fd(), 5000));
      ASSERT_EQ(Take(*ec1_), port1_);
      ASSERT_TRUE(ec1_->Unmask(port1_).ok());
      ASSERT_TRUE(ec1_->Notify(port1_).ok());
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    ASSERT_TRUE(ec0_->Notify(port0_).ok());
    ASSERT_TRUE(Readable(ec0_->fd(), 5000));
    ASSERT_EQ(Take(*ec0_), port0_);
    ASSERT_TRUE(ec0_->Unmask(port0_).ok());
  }
  peer.join();
}

TEST_F(EventChannelsTest, GuestPortLimit) {
  for (size_t i = 0; i < kMaxGuestPorts; ++i) {
    ASSERT_TRUE(ec1_->AllocateUnbound(0).has_value()) << i;
  }
  EXPECT_EQ(CodeOf(ec1_->AllocateUnbound(0)), Code::kQuotaExceeded);
}

TEST_F(EventChannelsTest, InjectedFaults) {
  hv_.FailNext(Op::kEvtchnAllocate, Code::kIoError);
  EXPECT_EQ(CodeOf(ec0_->AllocateUnbound(1)), Code::kIoError);
  EventPort offered = ec0_->AllocateUnbound(1).value();
  hv_.FailNext(Op::kEvtchnBind, Code::kNoMemory, DomainId{1});
  EXPECT_EQ(CodeOf(ec1_->BindInterdomain(0, offered)), Code::kNoMemory);
  EventPort bound = ec1_->BindInterdomain(0, offered).value();
  // A failed read takes nothing.
  hv_.FailNext(Op::kEvtchnRead, Code::kIoError, DomainId{1});
  EXPECT_EQ(CodeOf(ec1_->TakePending()), Code::kIoError);
  EXPECT_EQ(Take(*ec1_), bound);
}

}  // namespace
}  // namespace xenshm::fake
