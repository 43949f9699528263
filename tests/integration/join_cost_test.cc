// Bounded dom0 work per guest action: the Nth peer joining (or leaving) a
// region costs xenstored O(N) operations in total, counting the guests' own
// reads as well as xenshmd's, not O(N^2); and each settled peer pays O(1).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"

namespace xenshm::testing {
namespace {

using fake::Op;

constexpr Op kXenStoreOps[] = {Op::kXsRead,           Op::kXsWrite,
                               Op::kXsMkdir,          Op::kXsRemove,
                               Op::kXsSetPermissions, Op::kXsTransactionStart,
                               Op::kXsTransactionEnd, Op::kXsWatch,
                               Op::kXsList,           Op::kXsGetPermissions};

// Every xenstore request `domain` made so far (every domain's if not given).
uint64_t XenStoreOps(fake::FakeHypervisor& hv,
                     std::optional<DomainId> domain = std::nullopt) {
  uint64_t ops = 0;
  for (Op op : kXenStoreOps) ops += hv.Calls(op, domain);
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

// Every peer's library has seen the others, and only them, attached.
bool AllSeeEachOther(const std::vector<std::unique_ptr<Region>>& peers) {
  PeerSet everyone = 0;
  for (const auto& region : peers) everyone |= PeerBit(region->peer_index());
  bool all = true;
  for (const auto& region : peers) {
    auto status = region->PeekStatus();
    all = all && status && status->attached == everyone;
  }
  return all;
}

struct Cost {
  uint64_t join = 0;   // every domain's, dom0 included
  uint64_t leave = 0;  // the same
  // The most one settled peer paid for the join and for the leave.
  uint64_t join_per_peer = 0;
  uint64_t leave_per_peer = 0;
};

// xenstore operations for the Nth peer's join, until everyone reaches
// everyone, and for its leave, until everyone saw it go.
Cost MeasureWith(size_t n) {
  FakeXenSystem system;
  fake::FakeHypervisor& hv = system.hypervisor();
  std::vector<std::unique_ptr<Region>> peers;
  for (size_t i = 0; i + 1 < n; ++i) {
    auto region =
        system.NewClient(static_cast<DomainId>(i + 1)).Attach("moo", kPageSize);
    EXPECT_TRUE(region) << region.error().ToString();
    peers.push_back(std::move(*region));
  }
  EXPECT_TRUE(Eventually([&] { return AllReachable(peers); },
                         std::chrono::seconds(60)));
  auto per_peer = [&] {
    std::vector<uint64_t> ops;
    for (size_t i = 0; i + 1 < n; ++i) {
      ops.push_back(XenStoreOps(hv, static_cast<DomainId>(i + 1)));
    }
    return ops;
  };
  auto most_paid = [](const std::vector<uint64_t>& before,
                      const std::vector<uint64_t>& after) {
    uint64_t most = 0;
    for (size_t i = 0; i < before.size(); ++i) {
      most = std::max(most, after[i] - before[i]);
    }
    return most;
  };
  Cost cost;
  const uint64_t before = XenStoreOps(hv);
  const std::vector<uint64_t> peers_before = per_peer();
  auto newcomer =
      system.NewClient(static_cast<DomainId>(n)).Attach("moo", kPageSize);
  EXPECT_TRUE(newcomer) << newcomer.error().ToString();
  peers.push_back(std::move(*newcomer));
  EXPECT_TRUE(Eventually([&] { return AllReachable(peers); },
                         std::chrono::seconds(60)));
  cost.join = XenStoreOps(hv) - before;
  const std::vector<uint64_t> peers_joined = per_peer();
  cost.join_per_peer = most_paid(peers_before, peers_joined);

  const uint64_t settled = XenStoreOps(hv);
  EXPECT_TRUE(peers.back()->Detach().ok());
  peers.pop_back();
  EXPECT_TRUE(Eventually([&] { return AllSeeEachOther(peers); },
                         std::chrono::seconds(60)));
  cost.leave = XenStoreOps(hv) - settled;
  cost.leave_per_peer = most_paid(peers_joined, per_peer());
  return cost;
}

TEST(JoinCost, GrowsLinearlyWithThePeers) {
  const size_t sizes[] = {4, 16, 32, 64};  // 64: a full region
  std::vector<Cost> costs;
  for (size_t n : sizes) {
    costs.push_back(MeasureWith(n));
    const Cost& cost = costs.back();
    std::printf(
        "xenstore ops, all domains, for peer %zu: join %llu, leave %llu; "
        "most one settled peer paid: join %llu, leave %llu\n",
        n, static_cast<unsigned long long>(cost.join),
        static_cast<unsigned long long>(cost.leave),
        static_cast<unsigned long long>(cost.join_per_peer),
        static_cast<unsigned long long>(cost.leave_per_peer));
  }
  const Cost& p16 = costs[1];
  const Cost& p32 = costs[2];
  const Cost& p64 = costs[3];
  // Four times the peers: linear work is about four times as much (less,
  // with the fixed part), quadratic sixteen times. Twice: two, or four.
  EXPECT_LT(p64.join, 5 * p16.join);
  EXPECT_LT(p64.leave, 5 * p16.leave);
  EXPECT_LT(p32.join, 3 * p16.join);
  EXPECT_LT(p32.leave, 3 * p16.leave);
  // A settled peer's share does not grow with the region.
  EXPECT_LE(p64.join_per_peer, costs[0].join_per_peer + 2);
  EXPECT_LE(p64.leave_per_peer, costs[0].leave_per_peer + 2);
}

}  // namespace
}  // namespace xenshm::testing
