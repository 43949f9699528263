// Selective signals with signal knowledge, end to end over the fake
// hypervisor: three guests and a dom0 program on one region.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

using std::chrono::milliseconds;

constexpr DomainId kA = 1, kB = 2, kC = 3, kOutsider = 4;

// Lets every peer's library run until each can reach all the others, then
// clears their statuses.
void Settle(const std::vector<Region*>& regions) {
  ASSERT_TRUE(Eventually([&] {
    bool all = true;
    for (Region* region : regions) {
      PeerSet others = 0;
      for (Region* other : regions) {
        if (other != region) others |= PeerBit(other->peer_index());
      }
      auto reachable = region->ReachablePeers();
      all = all && reachable && (*reachable & others) == others;
    }
    return all;
  }));
  for (Region* region : regions) ASSERT_TRUE(region->TakeStatus());
}

class Signals : public ::testing::Test {
 protected:
  void SetUp() override {
    for (DomainId d : {kA, kB, kC, kDom0}) {
      auto region = system_.NewClient(d).Attach("moo", kPageSize);
      ASSERT_TRUE(region) << region.error().ToString();
      peers_.push_back(std::move(*region));
    }
    a_ = peers_[0].get();
    b_ = peers_[1].get();
    c_ = peers_[2].get();
    dom0_ = peers_[3].get();
    Settle({a_, b_, c_, dom0_});
  }

  FakeXenSystem system_;
  std::vector<std::unique_ptr<Region>> peers_;
  Region *a_, *b_, *c_, *dom0_;
};

TEST_F(Signals, OnlyTheChosenPeerWakesAndLearnsWhoSignaled) {
  auto report = a_->Signal(PeerBit(b_->peer_index()));
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(report->reached, PeerBit(b_->peer_index()));
  EXPECT_EQ(report->missed, 0u);

  auto woke = b_->Wait(milliseconds(2000));
  ASSERT_TRUE(woke) << woke.error().ToString();
  EXPECT_EQ(woke->signaled_by, PeerBit(a_->peer_index()));

  auto quiet = c_->Wait(milliseconds(500));
  ASSERT_FALSE(quiet);
  EXPECT_EQ(quiet.error().code(), Code::kTimedOut);
  auto dom0_status = dom0_->TakeStatus();
  ASSERT_TRUE(dom0_status);
  EXPECT_EQ(dom0_status->signaled_by, 0u);
}

TEST_F(Signals, AllButMeReachesEveryoneElse) {
  auto report = b_->Signal(kAllPeers);
  ASSERT_TRUE(report);
  const PeerSet others = PeerBit(a_->peer_index()) | PeerBit(c_->peer_index()) |
                         PeerBit(dom0_->peer_index());
  EXPECT_EQ(report->reached, others);
  EXPECT_EQ(report->missed, 0u);
  for (Region* receiver : {a_, c_, dom0_}) {
    auto woke = receiver->Wait(milliseconds(2000));
    ASSERT_TRUE(woke) << woke.error().ToString();
    EXPECT_EQ(woke->signaled_by, PeerBit(b_->peer_index()));
  }
  auto self = b_->Wait(milliseconds(200));
  EXPECT_FALSE(self) << "the sender must not signal itself";
}

TEST_F(Signals, DetachWakesTheOthersAndShrinksTheirAttachedSet) {
  const uint32_t c_index = c_->peer_index();
  ASSERT_TRUE(c_->Detach().ok());
  for (Region* peer : {a_, b_}) {
    SignalStatus status;
    ASSERT_TRUE(Eventually([&] {
      auto woke = peer->Wait(milliseconds(100));
      if (woke) status = *woke;
      return woke && (status.attached & PeerBit(c_index)) == 0;
    }));
    EXPECT_EQ(status.attached, PeerBit(a_->peer_index()) |
                                   PeerBit(b_->peer_index()) |
                                   PeerBit(dom0_->peer_index()));
  }
}

TEST_F(Signals, AttachWakesTheOthers) {
  auto late = system_.NewClient(kOutsider).Attach("moo", kPageSize);
  ASSERT_TRUE(late);
  auto woke = a_->Wait(milliseconds(2000));
  ASSERT_TRUE(woke);
  EXPECT_NE(woke->attached & PeerBit((*late)->peer_index()), 0u);
}

TEST_F(Signals, AnAbsentTargetIsReportedMissed) {
  const PeerSet absent = PeerBit(40);
  auto report = a_->Signal(absent | PeerBit(b_->peer_index()));
  ASSERT_TRUE(report);
  EXPECT_EQ(report->missed, absent);
  EXPECT_EQ(report->reached, PeerBit(b_->peer_index()));
  auto self = a_->Signal(PeerBit(a_->peer_index()));
  ASSERT_TRUE(self);
  EXPECT_EQ(self->missed, PeerBit(a_->peer_index()));
}

TEST_F(Signals, SignalByDomain) {
  auto report = c_->SignalDomain(kA);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->reached, PeerBit(a_->peer_index()));
  auto woke = a_->Wait(milliseconds(2000));
  ASSERT_TRUE(woke);
  EXPECT_EQ(woke->signaled_by, PeerBit(c_->peer_index()));
  auto nobody = c_->SignalDomain(77);
  ASSERT_FALSE(nobody);
  EXPECT_EQ(nobody.error().code(), Code::kDoesNotExist);
}

TEST_F(Signals, AnOutsiderCannotReachMembers) {
  // The outsider shares another region with nobody and tries its best.
  auto other = system_.NewClient(kOutsider).Attach("elsewhere", kPageSize);
  ASSERT_TRUE(other);
  auto report = (*other)->Signal(kAllPeers);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->reached, 0u);
  auto targeted = (*other)->Signal(PeerBit(0) | PeerBit(1) | PeerBit(2));
  ASSERT_TRUE(targeted);
  EXPECT_EQ(targeted->reached, 0u);
  // Raw event channels: a port offered to A's domain that A never binds.
  Platform& raw = system_.OpenProcess(kOutsider);
  auto channels = raw.open_event_channels();
  ASSERT_TRUE(channels);
  auto port = (*channels)->AllocateUnbound(kA);
  ASSERT_TRUE(port);
  EXPECT_TRUE((*channels)->Notify(*port).ok());
  // And a forged offer in its own request tree, naming A's index.
  (void)raw.xenstore->Write(
      kNoTransaction,
      schema::FrontendListEntry(kOutsider, 0, "offers", a_->peer_index()),
      std::to_string(*port));
  auto quiet = a_->Wait(milliseconds(500));
  ASSERT_FALSE(quiet);
  EXPECT_EQ(quiet.error().code(), Code::kTimedOut);
}

TEST_F(Signals, EventFdIsPollable) {
  ASSERT_GE(b_->event_fd(), 0);
  ASSERT_TRUE(a_->Signal(PeerBit(b_->peer_index())));
  pollfd fd{b_->event_fd(), POLLIN, 0};
  ASSERT_EQ(poll(&fd, 1, 2000), 1);
  auto status = b_->TakeStatus();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->signaled_by, PeerBit(a_->peer_index()));
}

TEST_F(Signals, ManyRoundTripsLoseNothing) {
  for (int round = 0; round < 200; ++round) {
    ASSERT_TRUE(a_->Signal(PeerBit(b_->peer_index())));
    auto at_b = b_->Wait(milliseconds(2000));
    ASSERT_TRUE(at_b) << round;
    ASSERT_EQ(at_b->signaled_by, PeerBit(a_->peer_index()));
    ASSERT_TRUE(b_->Signal(PeerBit(a_->peer_index())));
    auto at_a = a_->Wait(milliseconds(2000));
    ASSERT_TRUE(at_a) << round;
    ASSERT_EQ(at_a->signaled_by, PeerBit(b_->peer_index()));
  }
}

TEST_F(Signals, WaitWithoutDeadlineBlocksUntilSignaled) {
  std::atomic<bool> returned{false};
  Result<SignalStatus> woke = Error(Code::kUnknownFailure, "not run");
  std::thread waiter([&] {
    woke = b_->Wait();
    returned = true;
  });
  std::this_thread::sleep_for(milliseconds(100));
  EXPECT_FALSE(returned) << "returned with nothing to report";
  ASSERT_TRUE(c_->Signal(PeerBit(b_->peer_index())));
  waiter.join();
  ASSERT_TRUE(woke) << woke.error().ToString();
  EXPECT_EQ(woke->signaled_by, PeerBit(c_->peer_index()));
}

TEST_F(Signals, PingPongAcrossThreadsWithoutDeadlines) {
  constexpr int kRounds = 300;
  std::thread pong([&] {
    for (int round = 0; round < kRounds; ++round) {
      auto ping = b_->Wait();
      ASSERT_TRUE(ping) << round;
      ASSERT_EQ(ping->signaled_by, PeerBit(a_->peer_index())) << round;
      ASSERT_TRUE(b_->Signal(PeerBit(a_->peer_index())));
    }
  });
  for (int round = 0; round < kRounds; ++round) {
    ASSERT_TRUE(a_->Signal(PeerBit(b_->peer_index())));
    auto pong_back = a_->Wait();
    ASSERT_TRUE(pong_back) << round;
    ASSERT_EQ(pong_back->signaled_by, PeerBit(b_->peer_index())) << round;
  }
  pong.join();
}

}  // namespace
}  // namespace xenshm::testing
