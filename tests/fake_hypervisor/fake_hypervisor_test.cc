// Domain lifecycle and the Platform each process gets.
#include "tests/fake_hypervisor/fake_hypervisor.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/fake_hypervisor/test_util.h"

namespace xenshm::fake {
namespace {

using testing::CodeOf;
using testing::Drain;
using ::testing::ElementsAre;
using testing::MustOpen;

std::vector<DomainId> Ids(const std::vector<DomainState>& states) {
  std::vector<DomainId> ids;
  for (const DomainState& s : states) ids.push_back(s.id);
  return ids;
}

TEST(FakeHypervisorTest, Dom0PlatformHasEverything) {
  FakeHypervisor hv;
  Platform dom0 = MustOpen(hv, 0);
  EXPECT_EQ(dom0.self, 0);
  EXPECT_NE(dom0.xenstore, nullptr);
  EXPECT_NE(dom0.grant_mapper, nullptr);
  EXPECT_NE(dom0.domain_info, nullptr);
  EXPECT_NE(dom0.region_granter, nullptr);
  EXPECT_TRUE(dom0.open_event_channels().has_value());
}

TEST(FakeHypervisorTest, GuestPlatformHasNoDom0Parts) {
  FakeHypervisor hv;
  hv.CreateDomain(4);
  Platform guest = MustOpen(hv, 4);
  EXPECT_EQ(guest.self, 4);
  EXPECT_EQ(guest.xenstore->self(), 4);
  EXPECT_EQ(guest.domain_info, nullptr);
  EXPECT_EQ(guest.region_granter, nullptr);
  EXPECT_TRUE(guest.open_event_channels().has_value());
}

TEST(FakeHypervisorTest, UnknownDomainHasNoPlatform) {
  FakeHypervisor hv;
  EXPECT_EQ(CodeOf(hv.OpenPlatform(3)), Code::kNotFound);
}

std::vector<DomainId> Dying(const std::vector<DomainState>& states) {
  std::vector<DomainId> ids;
  for (const DomainState& s : states) {
    if (s.dying) ids.push_back(s.id);
  }
  return ids;
}

TEST(FakeHypervisorTest, DomainInfoFollowsTheDomains) {
  FakeHypervisor hv;
  Platform dom0 = MustOpen(hv, 0);
  DomainInfo& info = *dom0.domain_info;
  hv.CreateDomain(2);
  hv.CreateDomain(1);
  EXPECT_THAT(Ids(info.List().value()), ElementsAre(0, 1, 2));
  EXPECT_THAT(Dying(info.List().value()), ::testing::IsEmpty());
  hv.DestroyDomain(1);
  EXPECT_THAT(Ids(info.List().value()), ElementsAre(0, 2));
  EXPECT_TRUE(hv.DomainExists(2));
  EXPECT_FALSE(hv.DomainExists(1));
  hv.DestroyDomain(1);  // no-op
}

TEST(FakeHypervisorTest, ADyingDomainIsListedUntilDestroyed) {
  FakeHypervisor hv;
  Platform dom0 = MustOpen(hv, 0);
  DomainInfo& info = *dom0.domain_info;
  hv.CreateDomain(1);
  hv.CreateDomain(2);
  hv.MarkDomainDying(1);
  EXPECT_THAT(Ids(info.List().value()), ElementsAre(0, 1, 2));
  EXPECT_THAT(Dying(info.List().value()), ElementsAre(1));
  EXPECT_TRUE(hv.DomainExists(1));
  EXPECT_EQ(CodeOf(hv.OpenPlatform(1)), Code::kNotFound);
  hv.MarkDomainDying(1);  // no-op
  hv.DestroyDomain(1);
  EXPECT_THAT(Ids(info.List().value()), ElementsAre(0, 2));
  EXPECT_FALSE(hv.DomainExists(1));
  hv.CreateDomain(1);  // the id is free again
  EXPECT_THAT(Dying(info.List().value()), ::testing::IsEmpty());
}

TEST(FakeHypervisorTest, ADyingDomainStopsAndXenstoredReleasesIt) {
  FakeHypervisor hv;
  hv.CreateDomain(1);
  hv.CreateDomain(2);
  Platform dom0 = MustOpen(hv, 0);
  Platform guest = MustOpen(hv, 1);
  XenStore& xs = *dom0.xenstore;
  ASSERT_TRUE(guest.xenstore->Write(kNoTransaction, "data/x", "1").ok());
  auto ec1 = guest.open_event_channels().value();
  auto ec2 = MustOpen(hv, 2).open_event_channels().value();
  EventPort offered = ec2->AllocateUnbound(1).value();
  ASSERT_TRUE(ec1->BindInterdomain(2, offered).has_value());
  ASSERT_TRUE(xs.Watch("@releaseDomain", "rel").ok());
  ASSERT_TRUE(xs.Watch("/local/domain/1", "home").ok());
  Drain(xs);

  hv.MarkDomainDying(1);
  // xenstored saw it die; the toolstack has not removed its home yet.
  EXPECT_THAT(Drain(xs), ElementsAre("@releaseDomain|rel"));
  EXPECT_EQ(xs.Read(kNoTransaction, "/local/domain/1/domid").value(), "1");
  EXPECT_EQ(hv.XenStoreNodesOwnedBy(1), 0u);
  // It runs no more: its processes fail, its channels are closed.
  EXPECT_EQ(CodeOf(guest.xenstore->Read(kNoTransaction, "data/x")),
            Code::kIoError);
  EXPECT_EQ(CodeOf(guest.open_event_channels()), Code::kIoError);
  EXPECT_EQ(hv.OpenEventPorts(1), 0u);
  EXPECT_TRUE(ec2->Notify(offered).ok());  // unbound again: dropped

  hv.DestroyDomain(1);
  EXPECT_THAT(Drain(xs), ::testing::Contains("/local/domain/1|home"));
  EXPECT_EQ(CodeOf(xs.Read(kNoTransaction, "/local/domain/1")),
            Code::kNotFound);
}

TEST(FakeHypervisorTest, DestroyRemovesTheHomeAndTellsWatchers) {
  FakeHypervisor hv;
  hv.CreateDomain(1);
  Platform dom0 = MustOpen(hv, 0);
  XenStore& xs = *dom0.xenstore;
  ASSERT_TRUE(xs.Watch("/local/domain/1", "home").ok());
  ASSERT_TRUE(xs.Watch("@releaseDomain", "rel").ok());
  Drain(xs);
  hv.DestroyDomain(1);
  EXPECT_THAT(Drain(xs), ::testing::Contains("/local/domain/1|home"));
  EXPECT_THAT(Drain(xs), ::testing::IsEmpty());
  EXPECT_EQ(CodeOf(xs.Read(kNoTransaction, "/local/domain/1")),
            Code::kNotFound);
}

TEST(FakeHypervisorTest, ReleaseDomainFiresAfterTheHomeIsGone) {
  FakeHypervisor hv;
  hv.CreateDomain(1);
  Platform dom0 = MustOpen(hv, 0);
  XenStore& xs = *dom0.xenstore;
  ASSERT_TRUE(xs.Watch("/local/domain/1", "home").ok());
  ASSERT_TRUE(xs.Watch("@releaseDomain", "rel").ok());
  Drain(xs);
  hv.DestroyDomain(1);
  std::vector<std::string> events = Drain(xs);
  ASSERT_FALSE(events.empty());
  EXPECT_EQ(events.back(), "@releaseDomain|rel");
}

TEST(FakeHypervisorTest, ADeadDomainsProcessesFailEvenAfterIdReuse) {
  FakeHypervisor hv;
  hv.CreateDomain(1);
  Platform old = MustOpen(hv, 1);
  hv.DestroyDomain(1);
  EXPECT_EQ(CodeOf(old.xenstore->Read(kNoTransaction, "domid")),
            Code::kIoError);
  hv.CreateDomain(1);
  EXPECT_EQ(CodeOf(old.xenstore->Write(kNoTransaction, "data/x", "")),
            Code::kIoError);
  EXPECT_EQ(CodeOf(old.open_event_channels()), Code::kIoError);
  Platform reborn = MustOpen(hv, 1);
  EXPECT_EQ(reborn.xenstore->Read(kNoTransaction, "domid").value(), "1");
}

TEST(FakeHypervisorTest, PlatformsMayOutliveTheHypervisor) {
  Platform dom0;
  std::unique_ptr<EventChannels> ec;
  std::unique_ptr<RegionMapping> local;
  {
    FakeHypervisor hv;
    dom0 = MustOpen(hv, 0);
    ec = dom0.open_event_channels().value();
    RegionId region = dom0.region_granter->Allocate(1).value();
    local = dom0.region_granter->MapLocal(region).value();
  }
  static_cast<char*>(local->data())[0] = 1;
  EXPECT_TRUE(dom0.xenstore->Write(kNoTransaction, "/x", "y").ok());
  EXPECT_TRUE(ec->AllocateUnbound(1).has_value());
}

TEST(FakeHypervisorTest, FaultsCanTargetOneDomain) {
  FakeHypervisor hv;
  hv.CreateDomain(1);
  Platform dom0 = MustOpen(hv, 0);
  Platform dom1 = MustOpen(hv, 1);
  hv.FailNext(Op::kXsWrite, Code::kQuotaExceeded, DomainId{1});
  EXPECT_TRUE(dom0.xenstore->Write(kNoTransaction, "/a", "").ok());
  EXPECT_EQ(CodeOf(dom1.xenstore->Write(kNoTransaction, "data/a", "")),
            Code::kQuotaExceeded);
  EXPECT_EQ(CodeOf(dom1.xenstore->Read(kNoTransaction, "data/a")),
            Code::kNotFound);
  hv.FailNth(Op::kXsRead, 2, Code::kIoError);
  EXPECT_TRUE(dom0.xenstore->Read(kNoTransaction, "/a").has_value());
  EXPECT_EQ(CodeOf(dom0.xenstore->Read(kNoTransaction, "/a")), Code::kIoError);
  hv.FailNext(Op::kXsMkdir, Code::kIoError);
  hv.ClearFaults();
  EXPECT_TRUE(dom0.xenstore->Mkdir(kNoTransaction, "/m").ok());
}

TEST(FakeHypervisorTest, ConcurrentDomainsDoNotDeadlock) {
  FakeHypervisor hv;
  for (DomainId d = 1; d <= 4; ++d) hv.CreateDomain(d);
  Platform dom0 = MustOpen(hv, 0);
  RegionId region = dom0.region_granter->Allocate(1).value();
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (DomainId d = 1; d <= 4; ++d) {
    threads.emplace_back([&, d] {
      Platform p = MustOpen(hv, d);
      for (int i = 0; i < 100; ++i) {
        if (!p.xenstore->Write(kNoTransaction, "data/k", std::to_string(i))
                 .ok()) {
          ++failures;
        }
        auto ec = p.open_event_channels();
        if (!ec || !(*ec)->AllocateUnbound(0).has_value()) ++failures;
      }
    });
  }
  for (int i = 0; i < 50; ++i) {
    DomainId d = 1 + i % 4;
    auto refs = dom0.region_granter->Grant(region, d, false);
    if (refs) {
      {
        Platform p = MustOpen(hv, d);
        if (!p.grant_mapper->Map(0, *refs, true)) ++failures;
      }
      if (!dom0.region_granter->Revoke(region, d).ok()) ++failures;
    }
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(dom0.region_granter->Counts().value().grants, 0u);
}

}  // namespace
}  // namespace xenshm::fake
