// Domain death as Xen reports it. A domain being destroyed stays listed,
// with XEN_DOMINF_dying, until its last reference drops; xenstored fires
// @releaseDomain when it sees it die, and the toolstack removes its
// xenstore home on its own schedule. xenshmd must take a dying domain for
// gone at once: detach it, tell its peers, destroy the regions it leaves
// empty, and never set it up. Here the home stays while the domain is
// dying, so only the dying flag tells.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenstore-schema/grant_directory.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kGuestA = 1;
constexpr DomainId kGuestB = 2;
constexpr DomainId kGuestC = 3;

// Whether dom0's DomainInfo lists `domain` as dying.
bool ListedDying(Platform& dom0, DomainId domain) {
  auto listed = dom0.domain_info->List();
  if (!listed) return false;
  for (const DomainState& state : *listed) {
    if (state.id == domain) return state.dying;
  }
  return false;
}

TEST(DomainLifecycle, ADyingDomainIsDetachedAndItsLoneRegionDestroyed) {
  FakeXenSystem system;
  Platform& dom0 = system.OpenProcess(kDom0);
  auto a = system.NewClient(kGuestA).Attach("moo", kPageSize);
  auto b = system.NewClient(kGuestB).Attach("moo", kPageSize);
  auto c = system.NewClient(kGuestC).Attach("solo", kPageSize);
  ASSERT_TRUE(a && b && c);
  const PeerSet a_bit = PeerBit((*a)->peer_index());
  ASSERT_TRUE(Eventually([&] {
    auto status = (*b)->PeekStatus();
    return status && (status->attached & a_bit) != 0;
  }));
  ASSERT_EQ(system.counts().regions, 5u);  // moo, solo, three directories

  system.hypervisor().MarkDomainDying(kGuestA);
  system.hypervisor().MarkDomainDying(kGuestC);
  ASSERT_TRUE(ListedDying(dom0, kGuestA));
  ASSERT_TRUE(ListedDying(dom0, kGuestC));

  // B sees A leave: in the registry, and in its status (it was woken).
  EXPECT_TRUE(Eventually([&] {
    auto peers = (*b)->Peers();
    return peers && peers->size() == 1 && (*peers)[0].domain == kGuestB;
  }));
  EXPECT_TRUE(Eventually([&] {
    auto status = (*b)->PeekStatus();
    return status && (status->attached & a_bit) == 0;
  }));
  // xenshmd dropped A and C: "solo" is destroyed, A's and C's grants and
  // directories are gone; B's stay.
  EXPECT_TRUE(Eventually([&] {
    const backend::RegionTable table = system.DaemonRegions();
    const backend::Region* moo = table.Find("moo");
    return table.Find("solo") == nullptr && moo != nullptr &&
           moo->peers.size() == 1 &&
           moo->peers.begin()->second.key.domain == kGuestB;
  }));
  EXPECT_FALSE(
      dom0.xenstore->Read(kNoTransaction, schema::RegistryPath("solo")));
  const uint64_t b_grants = 1 + schema::GrantDirectoryPages(1);
  EXPECT_TRUE(Eventually([&] {
    GranterCounts counts = system.counts();
    return counts.regions == 2 && counts.grants == b_grants;
  })) << "regions "
      << system.counts().regions << ", grants " << system.counts().grants;
  for (DomainId gone : {kGuestA, kGuestC}) {
    EXPECT_FALSE(
        dom0.xenstore->Read(kNoTransaction, schema::BackendDomainPath(gone)))
        << gone;
  }
  // All of it while Xen still lists them: xenshmd did not wait for them to
  // go.
  EXPECT_TRUE(ListedDying(dom0, kGuestA));
  EXPECT_TRUE(ListedDying(dom0, kGuestC));

  // When A finally goes, its id may come back as a new domain, which is
  // set up and served like any other.
  system.hypervisor().DestroyDomain(kGuestA);
  system.hypervisor().DestroyDomain(kGuestC);
  auto reborn = system.NewClient(kGuestA).Attach("moo", kPageSize);
  ASSERT_TRUE(reborn) << reborn.error().ToString();
  EXPECT_TRUE(Eventually([&] {
    auto peers = (*b)->Peers();
    return peers && peers->size() == 2;
  }));
}

// A domain a reference keeps dying (a "zombie") may be there for long,
// across a restart of xenshmd.
TEST(DomainLifecycle, AStartingDaemonSetsUpNoDyingDomain) {
  FakeXenSystem system;
  Platform& dom0 = system.OpenProcess(kDom0);
  system.hypervisor().CreateDomain(kGuestA);
  system.hypervisor().MarkDomainDying(kGuestA);
  // Whatever the running daemon made of it meanwhile, clean it away, so
  // that what a new daemon makes shows.
  ASSERT_TRUE(system.NewClient(kGuestB).Attach("moo", kPageSize));
  const std::string request_root = schema::FrontendRoot(kGuestA);
  const std::string backend = schema::BackendDomainPath(kGuestA);
  for (const std::string& path : {request_root, backend}) {
    (void)dom0.xenstore->Remove(kNoTransaction, path);
  }

  ASSERT_TRUE(system.RestartDaemon(/*reset=*/false).ok());
  // Served by the new daemon: it has synced the domains.
  auto peer = system.NewClient(kGuestC).Attach("other", kPageSize);
  ASSERT_TRUE(peer) << peer.error().ToString();
  EXPECT_FALSE(dom0.xenstore->Read(kNoTransaction, request_root));
  EXPECT_FALSE(dom0.xenstore->Read(kNoTransaction, backend));
  EXPECT_TRUE(ListedDying(dom0, kGuestA));
}

}  // namespace
}  // namespace xenshm::testing
