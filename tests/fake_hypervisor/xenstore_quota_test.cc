// XenStore quotas: guests are limited, dom0 is not.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "tests/fake_hypervisor/test_util.h"

namespace xenshm::fake {
namespace {

using testing::CodeOf;
using testing::MustOpen;

class XenStoreQuotaTest : public ::testing::Test {
 protected:
  XenStoreQuotaTest() {
    hv_.CreateDomain(1);
    dom0_ = MustOpen(hv_, 0);
    dom1_ = MustOpen(hv_, 1);
  }
  XenStore& xs0() { return *dom0_.xenstore; }
  XenStore& xs1() { return *dom1_.xenstore; }

  FakeHypervisor hv_;
  Platform dom0_, dom1_;
};

TEST_F(XenStoreQuotaTest, GuestOwnsAtMostAThousandNodes) {
  // The guest already owns /local/domain/1/data.
  EXPECT_EQ(hv_.XenStoreNodesOwnedBy(1), 1u);
  for (size_t i = 1; i < kXsMaxNodesPerDomain; ++i) {
    ASSERT_TRUE(
        xs1().Write(kNoTransaction, "data/n" + std::to_string(i), "").ok())
        << i;
  }
  EXPECT_EQ(hv_.XenStoreNodesOwnedBy(1), kXsMaxNodesPerDomain);
  EXPECT_EQ(CodeOf(xs1().Write(kNoTransaction, "data/one-more", "")),
            Code::kQuotaExceeded);
  // Overwriting an existing node creates nothing.
  EXPECT_TRUE(xs1().Write(kNoTransaction, "data/n1", "v").ok());
  ASSERT_TRUE(xs1().Remove(kNoTransaction, "data/n1").ok());
  EXPECT_TRUE(xs1().Write(kNoTransaction, "data/one-more", "").ok());
}

TEST_F(XenStoreQuotaTest, NodeQuotaIsAllOrNothingForIntermediates) {
  for (size_t i = 1; i < kXsMaxNodesPerDomain - 1; ++i) {
    ASSERT_TRUE(
        xs1().Write(kNoTransaction, "data/n" + std::to_string(i), "").ok());
  }
  // Two nodes would be created; one fits.
  EXPECT_EQ(CodeOf(xs1().Write(kNoTransaction, "data/a/b", "")),
            Code::kQuotaExceeded);
  EXPECT_EQ(CodeOf(xs1().Read(kNoTransaction, "data/a")), Code::kNotFound);
  EXPECT_TRUE(xs1().Write(kNoTransaction, "data/a", "").ok());
}

TEST_F(XenStoreQuotaTest, Dom0HasNoNodeQuota) {
  for (size_t i = 0; i < kXsMaxNodesPerDomain + 5; ++i) {
    ASSERT_TRUE(
        xs0().Write(kNoTransaction, "/many/n" + std::to_string(i), "").ok());
  }
}

TEST_F(XenStoreQuotaTest, GuestWatchLimit) {
  for (size_t i = 0; i < kXsMaxWatchesPerDomain; ++i) {
    ASSERT_TRUE(xs1().Watch("data", "t" + std::to_string(i)).ok()) << i;
  }
  // Counted per domain, across its connections.
  Platform second = MustOpen(hv_, 1);
  EXPECT_EQ(CodeOf(second.xenstore->Watch("data", "over")),
            Code::kQuotaExceeded);
  for (size_t i = 0; i < kXsMaxWatchesPerDomain + 5; ++i) {
    ASSERT_TRUE(xs0().Watch("/", "t" + std::to_string(i)).ok());
  }
}

TEST_F(XenStoreQuotaTest, GuestTransactionLimitPerConnection) {
  std::vector<XsTransaction> open;
  for (size_t i = 0; i < kXsMaxTransactionsPerConnection; ++i) {
    Result<XsTransaction> t = xs1().TransactionStart();
    ASSERT_TRUE(t.has_value()) << i;
    open.push_back(*t);
  }
  EXPECT_EQ(CodeOf(xs1().TransactionStart()), Code::kQuotaExceeded);
  Platform second = MustOpen(hv_, 1);
  EXPECT_TRUE(second.xenstore->TransactionStart().has_value());
  ASSERT_TRUE(xs1().TransactionEnd(open.back(), false).ok());
  EXPECT_TRUE(xs1().TransactionStart().has_value());
}

TEST_F(XenStoreQuotaTest, GuestPermissionListLimit) {
  ASSERT_TRUE(xs1().Write(kNoTransaction, "data/p", "").ok());
  std::vector<XsPermission> perms = {{1, XsAccess::kNone}};
  for (DomainId d = 2; perms.size() < kXsMaxPermsPerNode; ++d) {
    perms.push_back({d, XsAccess::kRead});
  }
  EXPECT_TRUE(xs1().SetPermissions(kNoTransaction, "data/p", perms).ok());
  perms.push_back({99, XsAccess::kRead});
  EXPECT_EQ(CodeOf(xs1().SetPermissions(kNoTransaction, "data/p", perms)),
            Code::kQuotaExceeded);
  EXPECT_TRUE(
      xs0()
          .SetPermissions(kNoTransaction, "/local/domain/1/data/p", perms)
          .ok());
}

TEST_F(XenStoreQuotaTest, GuestValueSizeLimit) {
  EXPECT_TRUE(
      xs1()
          .Write(kNoTransaction, "data/v", std::string(kXsMaxValueSize, 'x'))
          .ok());
  EXPECT_EQ(CodeOf(xs1().Write(kNoTransaction, "data/v",
                               std::string(kXsMaxValueSize + 1, 'x'))),
            Code::kQuotaExceeded);
  EXPECT_TRUE(
      xs0()
          .Write(kNoTransaction, "/v", std::string(kXsMaxValueSize + 1, 'x'))
          .ok());
}

TEST_F(XenStoreQuotaTest, DeadDomainsNodesPassToDom0) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/shared", "").ok());
  ASSERT_TRUE(xs0()
                  .SetPermissions(kNoTransaction, "/shared",
                                  {{0, XsAccess::kBoth}, {5, XsAccess::kRead}})
                  .ok());
  ASSERT_TRUE(xs1().Write(kNoTransaction, "/shared/by1", "").ok());
  EXPECT_EQ(hv_.XenStoreNodesOwnedBy(1), 2u);
  hv_.DestroyDomain(1);
  EXPECT_EQ(hv_.XenStoreNodesOwnedBy(1), 0u);
  EXPECT_EQ(
      xs0().GetPermissions(kNoTransaction, "/shared/by1").value(),
      (std::vector<XsPermission>{{0, XsAccess::kBoth}, {5, XsAccess::kRead}}));
  // A new domain 1 inherits nothing of the old one.
  hv_.CreateDomain(1);
  Platform reborn = MustOpen(hv_, 1);
  ASSERT_TRUE(xs0()
                  .SetPermissions(kNoTransaction, "/shared/by1",
                                  {{0, XsAccess::kNone}, {1, XsAccess::kRead}})
                  .ok());
  hv_.DestroyDomain(1);
  EXPECT_EQ(xs0().GetPermissions(kNoTransaction, "/shared/by1").value(),
            (std::vector<XsPermission>{{0, XsAccess::kNone}}));
}

}  // namespace
}  // namespace xenshm::fake
