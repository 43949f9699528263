// Selective signals with signal knowledge, end to end over the fake
// hypervisor: three guests and a dom0 program on one region.
#include <gtest/gtest.h>
#include <poll.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

using std::chrono::milliseconds;

constexpr DomainId kA = 1, kB = 2, kC = 3, kOutsider = 4, kBarrier = 5;

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

TEST_F(Signals, ADepartedPeersSignalIsNotTheNewcomersAtItsIndex) {
  const uint32_t c_index = c_->peer_index();
  ASSERT_TRUE(c_->Signal(PeerBit(a_->peer_index())));
  // A does not look; C leaves and a newcomer takes C's index.
  ASSERT_TRUE(c_->Detach().ok());
  ASSERT_TRUE(Eventually([&] {
    auto peek = a_->PeekStatus();
    return peek && (peek->attached & PeerBit(c_index)) == 0;
  }));
  auto newcomer = system_.NewClient(kBarrier + 1).Attach("moo", kPageSize);
  ASSERT_TRUE(newcomer) << newcomer.error().ToString();
  ASSERT_EQ((*newcomer)->peer_index(), c_index);
  ASSERT_TRUE(Eventually([&] {
    auto peek = a_->PeekStatus();
    return peek && (peek->attached & PeerBit(c_index)) != 0;
  }));
  auto status = a_->TakeStatus();
  ASSERT_TRUE(status);
  EXPECT_EQ(status->signaled_by & PeerBit(c_index), 0u)
      << "C's signal is reported as the newcomer's";
}

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

// Every node under `path` (itself included) with its value.
std::map<std::string, std::string> Subtree(XenStore& xs,
                                           const std::string& path) {
  std::map<std::string, std::string> nodes;
  std::vector<std::string> todo = {path};
  while (!todo.empty()) {
    const std::string node = todo.back();
    todo.pop_back();
    auto value = xs.Read(kNoTransaction, node);
    if (!value) continue;
    nodes[node] = *value;
    if (auto children = xs.List(kNoTransaction, node)) {
      for (const std::string& child : *children) {
        todo.push_back(node + "/" + child);
      }
    }
  }
  return nodes;
}

TEST_F(Signals, AnOutsiderCannotReachMembers) {
  // The outsider shares "elsewhere" with A, so it has a peer it can reach
  // (A's other attachment); through it, it tries to reach moo's members.
  auto a_elsewhere = system_.NewClient(kA).Attach("elsewhere", kPageSize);
  ASSERT_TRUE(a_elsewhere) << a_elsewhere.error().ToString();
  auto outsider = system_.NewClient(kOutsider).Attach("elsewhere", kPageSize);
  ASSERT_TRUE(outsider) << outsider.error().ToString();
  Region* near = a_elsewhere->get();
  Region* out = outsider->get();
  Settle({near, out});
  for (Region* member : {a_, b_, c_, dom0_}) ASSERT_TRUE(member->TakeStatus());
  const PeerSet near_bit = PeerBit(near->peer_index());

  // Its library reaches its real peer, and only it.
  auto report = out->Signal(kAllPeers);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->reached, near_bit);
  EXPECT_EQ(report->missed, 0u);
  auto woke = near->Wait(milliseconds(2000));
  ASSERT_TRUE(woke) << woke.error().ToString();
  EXPECT_EQ(woke->signaled_by, PeerBit(out->peer_index()));
  PeerSet moo_indices = 0;
  for (Region* member : {a_, b_, c_, dom0_}) {
    moo_indices |= PeerBit(member->peer_index());
  }
  auto targeted = out->Signal(moo_indices);
  ASSERT_TRUE(targeted);
  EXPECT_EQ(targeted->reached, moo_indices & near_bit);
  EXPECT_EQ(targeted->missed, moo_indices & ~near_bit);

  // What xenshmd tells every attachment (a relay writes nowhere else), but
  // for the domain that attaches below to show xenshmd has caught up.
  Platform& dom0_view = system_.OpenProcess(kDom0);
  const std::string barrier_tree = schema::BackendDomainPath(kBarrier);
  auto trees = [&] {
    auto all = Subtree(*dom0_view.xenstore, schema::BackendRoot());
    std::erase_if(all, [&](const auto& node) {
      return node.first == barrier_tree ||
             node.first.starts_with(barrier_tree + "/");
    });
    return all;
  };
  const auto before = trees();
  ASSERT_TRUE(before.contains(
      schema::BackendNode(kA, a_->handle(), schema::kNodeMembers)));
  const auto a_reachable = a_->ReachablePeers();
  const auto b_reachable = b_->ReachablePeers();
  ASSERT_TRUE(a_reachable && b_reachable);
  const PeerSet a_can_reach = *a_reachable;
  const PeerSet b_can_reach = *b_reachable;

  // Raw: for each of moo's members, a port offered to its domain and
  // notified, and forged offers and acknowledgements naming its index in
  // the outsider's own request tree (the only one it can write): the wrong
  // direction for its real peer, no peer at all in elsewhere for the rest.
  Platform& raw = system_.OpenProcess(kOutsider);
  auto channels = raw.open_event_channels();
  ASSERT_TRUE(channels);
  const std::pair<Region*, DomainId> members[] = {
      {a_, kA}, {b_, kB}, {c_, kC}, {dom0_, kDom0}};
  for (const auto& [member, domain] : members) {
    auto port = (*channels)->AllocateUnbound(domain);
    ASSERT_TRUE(port);
    EXPECT_TRUE((*channels)->Notify(*port).ok());
    const uint32_t index = member->peer_index();
    ASSERT_TRUE(
        raw.xenstore
            ->Write(kNoTransaction,
                    schema::FrontendListEntry(kOutsider, out->handle(),
                                              schema::kNodeOffers, index),
                    std::to_string(*port))
            .ok());
    ASSERT_TRUE(
        raw.xenstore
            ->Write(kNoTransaction,
                    schema::FrontendListEntry(kOutsider, out->handle(),
                                              schema::kNodeBound, index),
                    "1")
            .ok());
  }
  // xenshmd has seen the forgeries once it answered a later request.
  ASSERT_TRUE(system_.NewClient(kBarrier).Attach("barrier", kPageSize));

  auto quiet = a_->Wait(milliseconds(500));
  ASSERT_FALSE(quiet);
  EXPECT_EQ(quiet.error().code(), Code::kTimedOut);
  auto b_quiet = b_->Wait(milliseconds(100));
  ASSERT_FALSE(b_quiet);
  EXPECT_EQ(b_quiet.error().code(), Code::kTimedOut);
  for (Region* member : {c_, dom0_}) {
    auto status = member->TakeStatus();
    ASSERT_TRUE(status);
    EXPECT_EQ(status->signaled_by, 0u);
  }
  EXPECT_EQ(a_->ReachablePeers().value_or(0), a_can_reach);
  EXPECT_EQ(b_->ReachablePeers().value_or(0), b_can_reach);
  // Nothing was relayed: no port, no acknowledgement, anywhere.
  const auto after = trees();
  for (const auto& [path, value] : after) {
    auto was = before.find(path);
    EXPECT_TRUE(was != before.end() && was->second == value)
        << path << " = " << value << " (relayed from the outsider)";
  }
  EXPECT_EQ(after.size(), before.size());
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
