// Bounded dom0 work per guest action: one peer joining (or leaving) a
// region of P peers costs xenshmd O(P) xenstore operations, not O(P^2).
#include <gtest/gtest.h>

#include <cstdio>
#include <memory>
#include <vector>

#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"

namespace xenshm::testing {
namespace {

using fake::Op;

uint64_t Dom0XenStoreOps(fake::FakeHypervisor& hv) {
  uint64_t ops = 0;
  for (Op op : {Op::kXsRead, Op::kXsWrite, Op::kXsMkdir, Op::kXsRemove,
                Op::kXsSetPermissions}) {
    ops += hv.Calls(op, kDom0);
  }
  return ops;
}

// Every peer can signal every other one. Asks every peer (each call lets
// that peer's library set up its channels), not only until the first no.
bool AllReachable(const std::vector<std::unique_ptr<Region>>& peers) {
  bool all = true;
  for (const auto& region : peers) {
    PeerSet others = 0;
    for (const auto& other : peers) {
      if (other != region) others |= PeerBit(other->peer_index());
    }
    auto reachable = region->ReachablePeers();
    all = all && reachable && (*reachable & others) == others;
  }
  return all;
}

struct Cost {
  uint64_t join = 0;
  uint64_t leave = 0;
};

// dom0's xenstore operations for the (P+1)th peer's join, until everyone
// reaches everyone, and for its leave.
Cost MeasureWith(size_t p) {
  FakeXenSystem system;
  std::vector<std::unique_ptr<Region>> peers;
  for (size_t i = 0; i < p; ++i) {
    auto region =
        system.NewClient(static_cast<DomainId>(i + 1)).Attach("moo", kPageSize);
    EXPECT_TRUE(region) << region.error().ToString();
    peers.push_back(std::move(*region));
  }
  EXPECT_TRUE(Eventually([&] { return AllReachable(peers); },
                         std::chrono::seconds(30)));
  Cost cost;
  const uint64_t before = Dom0XenStoreOps(system.hypervisor());
  auto newcomer =
      system.NewClient(static_cast<DomainId>(p + 1)).Attach("moo", kPageSize);
  EXPECT_TRUE(newcomer) << newcomer.error().ToString();
  peers.push_back(std::move(*newcomer));
  EXPECT_TRUE(Eventually([&] { return AllReachable(peers); },
                         std::chrono::seconds(30)));
  cost.join = Dom0XenStoreOps(system.hypervisor()) - before;
  const uint64_t settled = Dom0XenStoreOps(system.hypervisor());
  EXPECT_TRUE(peers.back()->Detach().ok());
  peers.pop_back();
  EXPECT_TRUE(Eventually([&] {
    auto listed = peers.front()->Peers();
    return listed && listed->size() == p;
  }));
  cost.leave = Dom0XenStoreOps(system.hypervisor()) - settled;
  return cost;
}

TEST(JoinCost, GrowsLinearlyWithThePeers) {
  const Cost small = MeasureWith(4);
  const Cost large = MeasureWith(16);
  std::printf(
      "dom0 xenstore ops: join %llu (5th peer), %llu (17th peer); "
      "leave %llu, %llu\n",
      static_cast<unsigned long long>(small.join),
      static_cast<unsigned long long>(large.join),
      static_cast<unsigned long long>(small.leave),
      static_cast<unsigned long long>(large.leave));
  // Four times the peers: linear work is about four times as much, a
  // quadratic one sixteen times. Allow for the fixed part and some noise.
  EXPECT_LT(large.join, 6 * small.join);
  EXPECT_LT(large.leave, 6 * small.leave);
}

}  // namespace
}  // namespace xenshm::testing
