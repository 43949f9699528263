// RegionGranter::UsageOf: what dom0 holds on one domain's behalf, deferred
// entries and the released regions they keep alive included.
#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <vector>

#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "tests/fake_hypervisor/test_util.h"

namespace xenshm {

// For gtest's messages (found by ADL).
void PrintTo(const DomainGrantUsage& u, std::ostream* os) {
  *os << "{grants " << u.grants << ", deferred " << u.deferred << ", pinned "
      << u.pinned_regions << " regions " << u.pinned_pages << " pages, shared "
      << u.shared_pinned_pages << "}";
}

namespace fake {
namespace {

using testing::CodeOf;

class DomainUsageTest : public testing::ThreeDomains {
 protected:
  RegionGranter& granter() { return *dom0_.region_granter; }
  DomainGrantUsage UsageOf(DomainId domain) {
    return granter().UsageOf(domain).value();
  }
};

TEST_F(DomainUsageTest, LiveGrantsCountPerDomain) {
  RegionId a = granter().Allocate(3).value();
  RegionId b = granter().Allocate(2).value();
  ASSERT_TRUE(granter().Grant(a, 1, false));
  ASSERT_TRUE(granter().Grant(b, 1, true));
  ASSERT_TRUE(granter().Grant(a, 2, false));
  EXPECT_EQ(UsageOf(1), (DomainGrantUsage{.grants = 5}));
  EXPECT_EQ(UsageOf(2), (DomainGrantUsage{.grants = 3}));
  EXPECT_EQ(UsageOf(7), DomainGrantUsage{});
  ASSERT_TRUE(granter().Revoke(a, 1).ok());  // unmapped: ends at once
  EXPECT_EQ(UsageOf(1), (DomainGrantUsage{.grants = 2}));
}

TEST_F(DomainUsageTest, RevokedWhileMappedIsDeferredAndChargedToTheMapper) {
  RegionId region = granter().Allocate(4).value();
  std::vector<GrantRef> refs = granter().Grant(region, 1, false).value();
  auto map = dom1_.grant_mapper->Map(0, refs, true).value();
  ASSERT_TRUE(granter().Revoke(region, 1).ok());
  // A live region's pages are its own: deferred entries, nothing pinned.
  EXPECT_EQ(UsageOf(1), (DomainGrantUsage{.deferred = 4}));
  EXPECT_EQ(UsageOf(2), DomainGrantUsage{});
  map.reset();
  EXPECT_EQ(UsageOf(1), DomainGrantUsage{});
}

// The pattern item 1 of the issue names: keep the mapping, detach, attach
// again, and again. Each round leaves a released region only that domain
// keeps alive.
TEST_F(DomainUsageTest, ReleasedRegionsKeptByOneDomainArePinnedByIt) {
  std::vector<std::unique_ptr<GrantMapping>> kept;
  for (int round = 0; round < 3; ++round) {
    RegionId region = granter().Allocate(2).value();
    std::vector<GrantRef> refs = granter().Grant(region, 1, false).value();
    kept.push_back(dom1_.grant_mapper->Map(0, refs, true).value());
    ASSERT_TRUE(granter().Release(region).ok());
  }
  EXPECT_EQ(UsageOf(1),
            (DomainGrantUsage{
                .deferred = 6, .pinned_regions = 3, .pinned_pages = 6}));
  EXPECT_EQ(UsageOf(2), DomainGrantUsage{});
  kept.pop_back();
  EXPECT_EQ(UsageOf(1),
            (DomainGrantUsage{
                .deferred = 4, .pinned_regions = 2, .pinned_pages = 4}));
}

TEST_F(DomainUsageTest, RegionKeptByTwoDomainsIsSharedNotPinned) {
  RegionId region = granter().Allocate(3).value();
  auto map1 = dom1_.grant_mapper
                  ->Map(0, granter().Grant(region, 1, false).value(), true)
                  .value();
  auto map2 = dom2_.grant_mapper
                  ->Map(0, granter().Grant(region, 2, true).value(), false)
                  .value();
  ASSERT_TRUE(granter().Release(region).ok());
  EXPECT_EQ(UsageOf(1),
            (DomainGrantUsage{.deferred = 3, .shared_pinned_pages = 3}));
  EXPECT_EQ(UsageOf(2),
            (DomainGrantUsage{.deferred = 3, .shared_pinned_pages = 3}));
  map2.reset();
  EXPECT_EQ(UsageOf(1),
            (DomainGrantUsage{
                .deferred = 3, .pinned_regions = 1, .pinned_pages = 3}));
  EXPECT_EQ(UsageOf(2), DomainGrantUsage{});
}

TEST_F(DomainUsageTest, DomainDeathEndsItsDeferredEntries) {
  RegionId region = granter().Allocate(1).value();
  auto map = dom1_.grant_mapper
                 ->Map(0, granter().Grant(region, 1, false).value(), true)
                 .value();
  ASSERT_TRUE(granter().Release(region).ok());
  EXPECT_EQ(UsageOf(1).pinned_regions, 1u);
  hv_.DestroyDomain(1);
  EXPECT_EQ(UsageOf(1), DomainGrantUsage{});
}

TEST_F(DomainUsageTest, ReservedDomainIsInvalid) {
  EXPECT_EQ(CodeOf(granter().UsageOf(0x7ff0)), Code::kInvalidArgument);
}

}  // namespace
}  // namespace fake
}  // namespace xenshm
