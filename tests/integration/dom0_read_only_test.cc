// A dom0 program's read-only attachment is really read-only: xenshmd
// answers it with the region's read-only view, libxenshm maps that with
// PROT_READ, and neither a write nor mprotect gets write access.
#include <gtest/gtest.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstring>

#include "tests/integration/fake_xen_system.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kGuest = 1;

AttachOptions ReadOnly() {
  AttachOptions options;
  options.access = Access::kReadOnly;
  return options;
}

TEST(Dom0ReadOnly, MapsTheRegionsReadOnlyView) {
  FakeXenSystem system;
  auto guest = system.NewClient(kGuest).Attach("moo", 2 * kPageSize);
  ASSERT_TRUE(guest) << guest.error().ToString();
  std::strcpy(static_cast<char*>((*guest)->data()) + kPageSize, "from guest");

  auto dom0 = system.NewClient(kDom0).Attach("moo", kPageSize, ReadOnly());
  ASSERT_TRUE(dom0) << dom0.error().ToString();
  EXPECT_FALSE((*dom0)->writable());
  EXPECT_STREQ(static_cast<const char*>((*dom0)->data()) + kPageSize,
               "from guest");
  EXPECT_NE(mprotect((*dom0)->data(), (*dom0)->size(), PROT_READ | PROT_WRITE),
            0);
  EXPECT_EQ(errno, EACCES);

  // Its answer names the view, not the region; the view maps read-only only.
  Platform& process = system.OpenProcess(kDom0);
  auto answered = process.xenstore->Read(
      kNoTransaction,
      schema::BackendNode(kDom0, (*dom0)->handle(), schema::kNodeRegionId));
  ASSERT_TRUE(answered);
  const RegionId region = system.DaemonRegions().Find("moo")->id;
  EXPECT_NE(*answered, std::to_string(region));
  const RegionId view = std::stoull(*answered);
  EXPECT_EQ(process.region_granter->ReadOnlyView(region).value(), view);
  EXPECT_EQ(process.region_granter->MapLocal(view).error().code(),
            Code::kNoPermission);

  // A read-write dom0 attachment still gets the region and writes.
  auto rw = system.NewClient(kDom0).Attach("moo", kPageSize);
  ASSERT_TRUE(rw) << rw.error().ToString();
  EXPECT_TRUE((*rw)->writable());
  std::strcpy(static_cast<char*>((*rw)->data()), "from dom0");
  EXPECT_STREQ(static_cast<const char*>((*guest)->data()), "from dom0");
  EXPECT_STREQ(static_cast<const char*>((*dom0)->data()), "from dom0");
}

TEST(Dom0ReadOnlyDeathTest, WritingFaults) {
  FakeXenSystem system;
  auto dom0 = system.NewClient(kDom0).Attach("moo", kPageSize, ReadOnly());
  ASSERT_TRUE(dom0) << dom0.error().ToString();
  volatile char* data = static_cast<volatile char*>((*dom0)->data());
  EXPECT_EQ(data[0], 0);
  // The fake runs threads: re-exec rather than fork a threaded process.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(data[0] = 1, "");
}

}  // namespace
}  // namespace xenshm::testing
