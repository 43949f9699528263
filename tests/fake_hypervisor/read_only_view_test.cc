// A region's read-only view (RegionGranter::ReadOnlyView): the id a dom0
// program's read-only attachment maps, which maps only read-only and cannot
// be made writable, as with the kernel module's views.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "tests/fake_hypervisor/test_util.h"

namespace xenshm::fake {
namespace {

using testing::CodeOf;

class ReadOnlyViewTest : public testing::ThreeDomains {
 protected:
  RegionGranter& granter() { return *dom0_.region_granter; }
};

TEST_F(ReadOnlyViewTest, OneViewPerRegionNamedApartFromIt) {
  RegionId region = granter().Allocate(2).value();
  RegionId view = granter().ReadOnlyView(region).value();
  EXPECT_NE(view, region);
  EXPECT_EQ(granter().ReadOnlyView(region).value(), view);
  EXPECT_EQ(granter().ReadOnlyView(view).value(), view);
  // A view is for mapping only: not listed, not granted, not released.
  ASSERT_EQ(granter().List().value().size(), 1u);
  EXPECT_EQ(granter().List().value()[0].id, region);
  EXPECT_EQ(CodeOf(granter().Grant(view, 1, true)), Code::kNotFound);
  EXPECT_EQ(CodeOf(granter().Release(view)), Code::kNotFound);
  EXPECT_EQ(CodeOf(granter().ReadOnlyView(42)), Code::kNotFound);
  // A region allocated later never gets the view's id.
  EXPECT_NE(granter().Allocate(1).value(), view);
}

TEST_F(ReadOnlyViewTest, ViewMapsTheRegionsBytesReadOnly) {
  RegionId region = granter().Allocate(2).value();
  auto writable = granter().MapLocal(region).value();
  RegionId view = granter().ReadOnlyView(region).value();
  EXPECT_EQ(CodeOf(granter().MapLocal(view)), Code::kNoPermission);
  auto readonly = granter().MapLocal(view, /*readonly=*/true).value();
  ASSERT_EQ(readonly->size(), 2 * kPageSize);
  std::strcpy(static_cast<char*>(writable->data()) + kPageSize, "from rw");
  EXPECT_STREQ(static_cast<const char*>(readonly->data()) + kPageSize,
               "from rw");
  // Like the module's VM_MAYWRITE: write permission cannot be added.
  EXPECT_NE(
      mprotect(readonly->data(), readonly->size(), PROT_READ | PROT_WRITE), 0);
  EXPECT_EQ(errno, EACCES);
}

TEST_F(ReadOnlyViewTest, ReadOnlyMapOfTheRegionItselfCannotBeMadeWritable) {
  RegionId region = granter().Allocate(1).value();
  auto readonly = granter().MapLocal(region, /*readonly=*/true).value();
  EXPECT_NE(mprotect(readonly->data(), kPageSize, PROT_READ | PROT_WRITE), 0);
  EXPECT_EQ(errno, EACCES);
}

TEST_F(ReadOnlyViewTest, ViewGoesWithTheRegion) {
  RegionId region = granter().Allocate(1).value();
  RegionId view = granter().ReadOnlyView(region).value();
  auto readonly = granter().MapLocal(view, /*readonly=*/true).value();
  ASSERT_TRUE(granter().Release(region).ok());
  EXPECT_EQ(CodeOf(granter().ReadOnlyView(view)), Code::kNotFound);
  EXPECT_EQ(CodeOf(granter().MapLocal(view, /*readonly=*/true)),
            Code::kNotFound);
  // The mapping keeps its pages until it goes, then nothing is left.
  EXPECT_EQ(static_cast<const char*>(readonly->data())[0], 0);
  EXPECT_EQ(granter().Counts().value().pages, 1u);
  readonly.reset();
  EXPECT_EQ(granter().Counts().value().pages, 0u);
}

using ReadOnlyViewDeathTest = ReadOnlyViewTest;

TEST_F(ReadOnlyViewDeathTest, WritingAReadOnlyLocalMappingFaults) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  RegionId region = granter().Allocate(1).value();
  RegionId view = granter().ReadOnlyView(region).value();
  auto readonly = granter().MapLocal(view, /*readonly=*/true).value();
  volatile char* data = static_cast<volatile char*>(readonly->data());
  EXPECT_EQ(data[0], 0);
  EXPECT_DEATH({ data[0] = 1; }, "");
}

}  // namespace
}  // namespace xenshm::fake
