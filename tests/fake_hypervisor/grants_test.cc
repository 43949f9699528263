// Region granting and grant mapping: shared bytes, read-only faults, the
// grant budget, deferred frees and gntdev's unmap notify.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <vector>

#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "tests/fake_hypervisor/test_util.h"

namespace xenshm::fake {
namespace {

using testing::CodeOf;
using ::testing::ElementsAre;
using testing::MustOpen;
using testing::Readable;

class GrantsTest : public testing::ThreeDomains {
 protected:
  RegionGranter& granter() { return *dom0_.region_granter; }
  GranterCounts Counts() { return granter().Counts().value(); }
};

TEST_F(GrantsTest, GuestsAndDom0ShareTheRegionsBytes) {
  RegionId region = granter().Allocate(2).value();
  std::unique_ptr<RegionMapping> local = granter().MapLocal(region).value();
  ASSERT_EQ(local->size(), 2 * kPageSize);
  const char* bytes = static_cast<const char*>(local->data());
  EXPECT_TRUE(
      std::all_of(bytes, bytes + local->size(), [](char c) { return c == 0; }));

  std::vector<GrantRef> refs1 = granter().Grant(region, 1, false).value();
  std::vector<GrantRef> refs2 = granter().Grant(region, 2, false).value();
  ASSERT_EQ(refs1.size(), 2u);
  auto map1 = dom1_.grant_mapper->Map(0, refs1, true).value();
  auto map2 = dom2_.grant_mapper->Map(0, refs2, true).value();
  EXPECT_TRUE(map1->writable());
  EXPECT_EQ(map1->size(), 2 * kPageSize);

  std::strcpy(static_cast<char*>(map1->data()) + kPageSize, "from dom1");
  EXPECT_STREQ(static_cast<char*>(map2->data()) + kPageSize, "from dom1");
  EXPECT_STREQ(bytes + kPageSize, "from dom1");
  std::strcpy(static_cast<char*>(local->data()), "from dom0");
  EXPECT_STREQ(static_cast<char*>(map2->data()), "from dom0");
}

TEST_F(GrantsTest, MapPlacesPagesInTheOrderOfTheRefs) {
  RegionId region = granter().Allocate(3).value();
  auto local = granter().MapLocal(region).value();
  for (int page = 0; page < 3; ++page) {
    static_cast<char*>(local->data())[page * kPageSize] = 'a' + page;
  }
  std::vector<GrantRef> refs = granter().Grant(region, 1, true).value();
  std::vector<GrantRef> reversed(refs.rbegin(), refs.rend());
  auto map = dom1_.grant_mapper->Map(0, reversed, false).value();
  const char* data = static_cast<const char*>(map->data());
  EXPECT_EQ(data[0], 'c');
  EXPECT_EQ(data[kPageSize], 'b');
  EXPECT_EQ(data[2 * kPageSize], 'a');
}

TEST_F(GrantsTest, MapChecksEveryRef) {
  RegionId region = granter().Allocate(2).value();
  std::vector<GrantRef> refs = granter().Grant(region, 1, false).value();
  EXPECT_EQ(CodeOf(dom2_.grant_mapper->Map(0, refs, false)),
            Code::kNoPermission);
  EXPECT_EQ(CodeOf(dom1_.grant_mapper->Map(2, refs, false)),
            Code::kNoPermission);
  std::vector<GrantRef> bogus = {refs[0], 5000};
  EXPECT_EQ(CodeOf(dom1_.grant_mapper->Map(0, bogus, false)),
            Code::kNoPermission);
  EXPECT_EQ(CodeOf(dom1_.grant_mapper->Map(0, {}, false)),
            Code::kInvalidArgument);
  EXPECT_EQ(hv_.MappingCounts(region).peer, 0u);
}

TEST_F(GrantsTest, ReadOnlyGrantRefusesWritableMap) {
  RegionId region = granter().Allocate(1).value();
  std::vector<GrantRef> refs = granter().Grant(region, 1, true).value();
  EXPECT_EQ(CodeOf(dom1_.grant_mapper->Map(0, refs, true)),
            Code::kNoPermission);
  auto map = dom1_.grant_mapper->Map(0, refs, false).value();
  EXPECT_FALSE(map->writable());
}

using GrantsDeathTest = GrantsTest;

TEST_F(GrantsDeathTest, WritingAReadOnlyMappingFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  RegionId region = granter().Allocate(1).value();
  std::vector<GrantRef> refs = granter().Grant(region, 1, true).value();
  auto map = dom1_.grant_mapper->Map(0, refs, false).value();
  volatile char* data = static_cast<volatile char*>(map->data());
  EXPECT_EQ(data[0], 0);
  EXPECT_DEATH({ data[0] = 1; }, "");
  // A writable map of a writable grant of the same page does not fault.
  std::vector<GrantRef> rw = granter().Grant(region, 2, false).value();
  auto writable = dom2_.grant_mapper->Map(0, rw, true).value();
  static_cast<volatile char*>(writable->data())[0] = 1;
  EXPECT_EQ(data[0], 1);
}

TEST_F(GrantsTest, GrantIsAllOrNothingWithinTheBudget) {
  hv_.SetGrantTableSize(kReservedGrantEntries + 10);
  EXPECT_EQ(granter().FreeGrantEntries().value(), 10u);
  RegionId region = granter().Allocate(4).value();
  ASSERT_TRUE(granter().Grant(region, 1, false).has_value());
  ASSERT_TRUE(granter().Grant(region, 2, false).has_value());
  EXPECT_EQ(granter().FreeGrantEntries().value(), 2u);
  hv_.CreateDomain(3);
  EXPECT_EQ(CodeOf(granter().Grant(region, 3, false)), Code::kGrantBudget);
  EXPECT_EQ(granter().FreeGrantEntries().value(), 2u);
  EXPECT_EQ(Counts().grants, 8u);
  ASSERT_TRUE(granter().Revoke(region, 1).ok());
  EXPECT_TRUE(granter().Grant(region, 3, false).has_value());
}

TEST_F(GrantsTest, RefsSkipTheReservedEntries) {
  RegionId region = granter().Allocate(1).value();
  std::vector<GrantRef> refs = granter().Grant(region, 1, false).value();
  EXPECT_GE(refs[0], kReservedGrantEntries);
  EXPECT_EQ(granter().FreeGrantEntries().value(),
            kDefaultGrantTableSize - kReservedGrantEntries - 1);
}

TEST_F(GrantsTest, InjectedGrantFailureLeavesNoEntries) {
  RegionId region = granter().Allocate(3).value();
  uint64_t free_before = granter().FreeGrantEntries().value();
  hv_.FailNext(Op::kGrant, Code::kNoMemory);
  EXPECT_EQ(CodeOf(granter().Grant(region, 1, false)), Code::kNoMemory);
  EXPECT_EQ(granter().FreeGrantEntries().value(), free_before);
  EXPECT_EQ(Counts().grants, 0u);
  hv_.FailNext(Op::kRegionAllocate, Code::kNoMemory);
  EXPECT_EQ(CodeOf(granter().Allocate(1)), Code::kNoMemory);
  EXPECT_EQ(Counts().regions, 1u);
}

TEST_F(GrantsTest, DoubleGrantToOneDomainIsRefused) {
  RegionId region = granter().Allocate(1).value();
  ASSERT_TRUE(granter().Grant(region, 1, false).has_value());
  EXPECT_EQ(CodeOf(granter().Grant(region, 1, true)), Code::kAlreadyAttached);
}

TEST_F(GrantsTest, UnknownRegions) {
  EXPECT_EQ(CodeOf(granter().Grant(42, 1, false)), Code::kNotFound);
  EXPECT_EQ(CodeOf(granter().Revoke(42, 1)), Code::kNotFound);
  EXPECT_EQ(CodeOf(granter().Release(42)), Code::kNotFound);
  EXPECT_EQ(CodeOf(granter().MapLocal(42)), Code::kNotFound);
  EXPECT_EQ(CodeOf(granter().Allocate(0)), Code::kInvalidArgument);
}

TEST_F(GrantsTest, RevokeOfUnmappedGrantFreesAtOnce) {
  RegionId region = granter().Allocate(4).value();
  std::vector<GrantRef> refs = granter().Grant(region, 1, false).value();
  ASSERT_TRUE(granter().Revoke(region, 1).ok());
  EXPECT_EQ(Counts().grants, 0u);
  EXPECT_EQ(Counts().deferred_frees, 0u);
  EXPECT_EQ(CodeOf(dom1_.grant_mapper->Map(0, refs, false)),
            Code::kNoPermission);
  EXPECT_TRUE(granter().Revoke(region, 1).ok());  // idempotent
}

TEST_F(GrantsTest, RevokeOfMappedGrantIsDeferredUntilUnmap) {
  RegionId region = granter().Allocate(4).value();
  std::vector<GrantRef> refs = granter().Grant(region, 1, false).value();
  auto map = dom1_.grant_mapper->Map(0, refs, true).value();
  ASSERT_TRUE(granter().Revoke(region, 1).ok());
  GranterCounts counts = Counts();
  EXPECT_EQ(counts.grants, 4u);
  EXPECT_EQ(counts.deferred_frees, 4u);
  // The existing mapping keeps working; new ones are refused.
  std::strcpy(static_cast<char*>(map->data()), "still here");
  auto local = granter().MapLocal(region).value();
  EXPECT_STREQ(static_cast<char*>(local->data()), "still here");
  EXPECT_EQ(CodeOf(dom1_.grant_mapper->Map(0, refs, true)),
            Code::kNoPermission);
  map.reset();
  counts = Counts();
  EXPECT_EQ(counts.grants, 0u);
  EXPECT_EQ(counts.deferred_frees, 0u);
  EXPECT_EQ(counts.pages, 4u);  // the region itself lives on
}

TEST_F(GrantsTest, ReleasedRegionIsFreedWhenTheLastMappingGoes) {
  RegionId region = granter().Allocate(2).value();
  std::vector<GrantRef> refs = granter().Grant(region, 1, false).value();
  auto map = dom1_.grant_mapper->Map(0, refs, true).value();
  auto local = granter().MapLocal(region).value();
  EXPECT_EQ(hv_.MappingCounts(region).peer, 1u);
  EXPECT_EQ(hv_.MappingCounts(region).local, 1u);

  ASSERT_TRUE(granter().Release(region).ok());
  EXPECT_TRUE(granter().List().value().empty());
  GranterCounts counts = Counts();
  EXPECT_EQ(counts.regions, 0u);
  EXPECT_EQ(counts.pages, 2u);
  EXPECT_EQ(counts.deferred_frees, 2u);
  EXPECT_EQ(CodeOf(granter().MapLocal(region)), Code::kNotFound);
  EXPECT_EQ(CodeOf(granter().Release(region)), Code::kNotFound);

  map.reset();
  EXPECT_EQ(Counts().deferred_frees, 0u);
  EXPECT_EQ(Counts().pages, 2u);  // dom0 still maps it
  local.reset();
  counts = Counts();
  EXPECT_EQ(counts.pages, 0u);
  EXPECT_EQ(counts.grants, 0u);
  EXPECT_EQ(hv_.MappingCounts(region).peer, 0u);
}

// What a daemon that destroys a region and creates one of the same size
// gets: fresh memory. A peer still mapping the old pages keeps them, shares
// nothing with the new region, and cannot map the old refs again.
TEST_F(GrantsTest, AReCreatedRegionIsFreshMemoryNotTheOldMapping) {
  RegionId old_region = granter().Allocate(2).value();
  std::vector<GrantRef> old_refs =
      granter().Grant(old_region, 1, false).value();
  auto old_map = dom1_.grant_mapper->Map(0, old_refs, true).value();
  std::strcpy(static_cast<char*>(old_map->data()), "old");
  ASSERT_TRUE(granter().Release(old_region).ok());

  RegionId new_region = granter().Allocate(2).value();
  EXPECT_NE(new_region, old_region);
  std::vector<GrantRef> new_refs =
      granter().Grant(new_region, 1, false).value();
  // The old entries are still taken (deferred), so no ref is handed out
  // twice while the old mapping lives.
  for (GrantRef ref : new_refs) {
    EXPECT_THAT(old_refs, ::testing::Not(::testing::Contains(ref)));
  }
  EXPECT_EQ(CodeOf(dom1_.grant_mapper->Map(0, old_refs, true)),
            Code::kNoPermission);
  auto new_map = dom1_.grant_mapper->Map(0, new_refs, true).value();
  EXPECT_EQ(static_cast<char*>(new_map->data())[0], 0);  // zeroed
  std::strcpy(static_cast<char*>(old_map->data()), "still old");
  EXPECT_EQ(static_cast<char*>(new_map->data())[0], 0);
  auto local = granter().MapLocal(new_region).value();
  EXPECT_EQ(static_cast<char*>(local->data())[0], 0);
}

TEST_F(GrantsTest, RegionsOutliveTheProcessThatMadeThem) {
  RegionId region;
  {
    Platform daemon = MustOpen(hv_, 0);
    region = daemon.region_granter->Allocate(3).value();
    ASSERT_TRUE(daemon.region_granter->Grant(region, 1, false).has_value());
  }
  Platform restarted = MustOpen(hv_, 0);
  std::vector<RegionInfo> regions = restarted.region_granter->List().value();
  ASSERT_EQ(regions.size(), 1u);
  EXPECT_EQ(regions[0].id, region);
  EXPECT_EQ(regions[0].pages, 3u);
  EXPECT_EQ(restarted.region_granter->Counts().value().grants, 3u);
}

class UnmapNotifyTest : public GrantsTest {
 protected:
  void SetUp() override {
    region_ = granter().Allocate(1).value();
    refs_ = granter().Grant(region_, 1, false).value();
    local_ = granter().MapLocal(region_).value();
    ec0_ = dom0_.open_event_channels().value();
    ec1_ = dom1_.open_event_channels().value();
    port0_ = ec0_->AllocateUnbound(1).value();
    port1_ = ec1_->BindInterdomain(0, port0_).value();
    ASSERT_EQ(ec1_->TakePending().value(), port1_);  // the spurious one
  }
  volatile char& Byte(size_t offset) {
    return static_cast<volatile char*>(local_->data())[offset];
  }

  RegionId region_ = 0;
  std::vector<GrantRef> refs_;
  std::unique_ptr<RegionMapping> local_;
  std::unique_ptr<EventChannels> ec0_, ec1_;
  EventPort port0_ = 0, port1_ = 0;
};

TEST_F(UnmapNotifyTest, UnmapClearsTheByteAndNotifiesThePort) {
  UnmapNotify notify{.clear_byte_offset = 100, .port = port1_};
  auto map = dom1_.grant_mapper->Map(0, refs_, true, notify).value();
  static_cast<char*>(map->data())[100] = 1;
  EXPECT_EQ(Byte(100), 1);
  EXPECT_FALSE(Readable(ec0_->fd()));
  map.reset();
  EXPECT_EQ(Byte(100), 0);
  EXPECT_TRUE(Readable(ec0_->fd()));
  EXPECT_EQ(ec0_->TakePending().value(), port0_);
}

TEST_F(UnmapNotifyTest, NotifyArgumentsAreChecked) {
  auto readonly = dom1_.grant_mapper->Map(
      0, refs_, false, UnmapNotify{.clear_byte_offset = 0, .port = {}});
  EXPECT_EQ(CodeOf(readonly), Code::kInvalidArgument);
  auto outside = dom1_.grant_mapper->Map(
      0, refs_, true, UnmapNotify{.clear_byte_offset = kPageSize, .port = {}});
  EXPECT_EQ(CodeOf(outside), Code::kInvalidArgument);
  auto no_port = dom1_.grant_mapper->Map(
      0, refs_, true, UnmapNotify{.clear_byte_offset = {}, .port = 77});
  EXPECT_EQ(CodeOf(no_port), Code::kInvalidArgument);
  // A read-only mapping may still ask for the event.
  auto event_only = dom1_.grant_mapper->Map(
      0, refs_, false, UnmapNotify{.clear_byte_offset = {}, .port = port1_});
  EXPECT_TRUE(event_only.has_value());
}

TEST_F(UnmapNotifyTest, DomainDeathDropsMappingsWithoutNotify) {
  UnmapNotify notify{.clear_byte_offset = 0, .port = port1_};
  auto map = dom1_.grant_mapper->Map(0, refs_, true, notify).value();
  static_cast<char*>(map->data())[0] = 7;
  hv_.DestroyDomain(1);
  // Xen dropped the mappings: the backend can revoke without deferral.
  EXPECT_EQ(hv_.MappingCounts(region_).peer, 0u);
  ASSERT_TRUE(granter().Revoke(region_, 1).ok());
  EXPECT_EQ(Counts().deferred_frees, 0u);
  EXPECT_EQ(Counts().grants, 0u);
  // The memory stays mapped in this process; the dead kernel notifies no one.
  EXPECT_EQ(static_cast<char*>(map->data())[0], 7);
  map.reset();
  EXPECT_EQ(Byte(0), 7);
  EXPECT_FALSE(Readable(ec0_->fd()));
  EXPECT_EQ(CodeOf(dom1_.grant_mapper->Map(0, refs_, true)), Code::kIoError);
}

}  // namespace
}  // namespace xenshm::fake
