// XenStore transactions: isolation, conflicts (kAgain), watches on commit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "tests/fake_hypervisor/test_util.h"

namespace xenshm::fake {
namespace {

using testing::CodeOf;
using testing::Drain;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MustOpen;

class XenStoreTransactionTest : public ::testing::Test {
 protected:
  XenStoreTransactionTest() {
    hv_.CreateDomain(1);
    a_ = MustOpen(hv_, 0);
    b_ = MustOpen(hv_, 0);
    guest_ = MustOpen(hv_, 1);
    EXPECT_TRUE(xa().Write(kNoTransaction, "/t/x", "0").ok());
    EXPECT_TRUE(xa().Write(kNoTransaction, "/t/y", "0").ok());
  }
  XenStore& xa() { return *a_.xenstore; }
  XenStore& xb() { return *b_.xenstore; }

  FakeHypervisor hv_;
  Platform a_, b_, guest_;
};

TEST_F(XenStoreTransactionTest, WritesAreInvisibleUntilCommit) {
  XsTransaction t = xa().TransactionStart().value();
  ASSERT_TRUE(xa().Write(t, "/t/x", "1").ok());
  ASSERT_TRUE(xa().Write(t, "/t/new/deep", "n").ok());
  EXPECT_EQ(xa().Read(t, "/t/x").value(), "1");
  EXPECT_EQ(xa().Read(kNoTransaction, "/t/x").value(), "0");
  EXPECT_EQ(CodeOf(xb().Read(kNoTransaction, "/t/new/deep")), Code::kNotFound);
  ASSERT_TRUE(xa().TransactionEnd(t, true).ok());
  EXPECT_EQ(xb().Read(kNoTransaction, "/t/x").value(), "1");
  EXPECT_EQ(xb().Read(kNoTransaction, "/t/new/deep").value(), "n");
}

TEST_F(XenStoreTransactionTest, AbortDiscardsEverything) {
  XsTransaction t = xa().TransactionStart().value();
  ASSERT_TRUE(xa().Write(t, "/t/x", "1").ok());
  ASSERT_TRUE(xa().Remove(t, "/t/y").ok());
  ASSERT_TRUE(xa().TransactionEnd(t, false).ok());
  EXPECT_EQ(xa().Read(kNoTransaction, "/t/x").value(), "0");
  EXPECT_EQ(xa().Read(kNoTransaction, "/t/y").value(), "0");
}

TEST_F(XenStoreTransactionTest, ChangedReadNodeFailsCommitWithAgain) {
  XsTransaction t = xa().TransactionStart().value();
  ASSERT_EQ(xa().Read(t, "/t/x").value(), "0");
  ASSERT_TRUE(xa().Write(t, "/t/y", "from-txn").ok());
  ASSERT_TRUE(xb().Write(kNoTransaction, "/t/x", "other").ok());
  EXPECT_EQ(CodeOf(xa().TransactionEnd(t, true)), Code::kAgain);
  EXPECT_EQ(xa().Read(kNoTransaction, "/t/y").value(), "0");
  // The transaction is gone after a failed commit.
  EXPECT_EQ(CodeOf(xa().TransactionEnd(t, true)), Code::kNotFound);
}

TEST_F(XenStoreTransactionTest, ChangedWrittenNodeFailsCommit) {
  XsTransaction t = xa().TransactionStart().value();
  ASSERT_TRUE(xa().Write(t, "/t/x", "txn").ok());
  ASSERT_TRUE(xb().Write(kNoTransaction, "/t/x", "other").ok());
  EXPECT_EQ(CodeOf(xa().TransactionEnd(t, true)), Code::kAgain);
  EXPECT_EQ(xa().Read(kNoTransaction, "/t/x").value(), "other");
}

TEST_F(XenStoreTransactionTest, AbsentNodeCreatedMeanwhileConflicts) {
  XsTransaction t = xa().TransactionStart().value();
  ASSERT_EQ(CodeOf(xa().Read(t, "/t/lock")), Code::kNotFound);
  ASSERT_TRUE(xa().Write(t, "/t/owner", "a").ok());
  ASSERT_TRUE(xb().Write(kNoTransaction, "/t/lock", "b").ok());
  EXPECT_EQ(CodeOf(xa().TransactionEnd(t, true)), Code::kAgain);
}

TEST_F(XenStoreTransactionTest, SiblingCreationsConflictOnTheParent) {
  XsTransaction ta = xa().TransactionStart().value();
  XsTransaction tb = xb().TransactionStart().value();
  ASSERT_TRUE(xa().Write(ta, "/t/new-a", "").ok());
  ASSERT_TRUE(xb().Write(tb, "/t/new-b", "").ok());
  ASSERT_TRUE(xa().TransactionEnd(ta, true).ok());
  EXPECT_EQ(CodeOf(xb().TransactionEnd(tb, true)), Code::kAgain);
}

TEST_F(XenStoreTransactionTest, UnrelatedChangesDoNotConflict) {
  XsTransaction t = xa().TransactionStart().value();
  ASSERT_EQ(xa().Read(t, "/t/x").value(), "0");
  ASSERT_TRUE(xa().Write(t, "/t/x", "1").ok());
  ASSERT_TRUE(xb().Write(kNoTransaction, "/t/y", "2").ok());
  EXPECT_TRUE(xa().TransactionEnd(t, true).ok());
  EXPECT_EQ(xb().Read(kNoTransaction, "/t/x").value(), "1");
  EXPECT_EQ(xb().Read(kNoTransaction, "/t/y").value(), "2");
}

TEST_F(XenStoreTransactionTest, WatchesFireOnCommitOnly) {
  ASSERT_TRUE(xb().Watch("/t", "w").ok());
  Drain(xb());
  XsTransaction t = xa().TransactionStart().value();
  ASSERT_TRUE(xa().Write(t, "/t/x", "1").ok());
  ASSERT_TRUE(xa().Remove(t, "/t/y").ok());
  EXPECT_THAT(Drain(xb()), IsEmpty());
  ASSERT_TRUE(xa().TransactionEnd(t, true).ok());
  EXPECT_THAT(Drain(xb()), ElementsAre("/t/x|w", "/t/y|w"));
}

TEST_F(XenStoreTransactionTest, NoWatchesForAbortedOrConflictingCommits) {
  ASSERT_TRUE(xb().Watch("/t/y", "w").ok());
  Drain(xb());
  XsTransaction t = xa().TransactionStart().value();
  ASSERT_TRUE(xa().Write(t, "/t/y", "1").ok());
  ASSERT_TRUE(xa().TransactionEnd(t, false).ok());
  t = xa().TransactionStart().value();
  ASSERT_TRUE(xa().Write(t, "/t/y", "1").ok());
  ASSERT_TRUE(xb().Write(kNoTransaction, "/t/y", "2").ok());
  Drain(xb());
  EXPECT_EQ(CodeOf(xa().TransactionEnd(t, true)), Code::kAgain);
  EXPECT_THAT(Drain(xb()), IsEmpty());
}

TEST_F(XenStoreTransactionTest, TransactionsBelongToTheirConnection) {
  XsTransaction t = xa().TransactionStart().value();
  EXPECT_EQ(CodeOf(xb().Read(t, "/t/x")), Code::kNotFound);
  EXPECT_EQ(CodeOf(xb().TransactionEnd(t, true)), Code::kNotFound);
  EXPECT_TRUE(xa().TransactionEnd(t, true).ok());
}

TEST_F(XenStoreTransactionTest, PermissionsApplyInsideTransactions) {
  XenStore& xs = *guest_.xenstore;
  XsTransaction t = xs.TransactionStart().value();
  EXPECT_EQ(CodeOf(xs.Write(t, "/t/x", "g")), Code::kNoPermission);
  EXPECT_TRUE(xs.Write(t, "data/g", "g").ok());
  EXPECT_TRUE(xs.TransactionEnd(t, true).ok());
  EXPECT_EQ(xa().Read(kNoTransaction, "/local/domain/1/data/g").value(), "g");
}

TEST_F(XenStoreTransactionTest, InjectedCommitFailureEndsTheTransaction) {
  hv_.FailNext(Op::kXsTransactionEnd, Code::kAgain);
  XsTransaction t = xa().TransactionStart().value();
  ASSERT_TRUE(xa().Write(t, "/t/x", "1").ok());
  EXPECT_EQ(CodeOf(xa().TransactionEnd(t, true)), Code::kAgain);
  EXPECT_EQ(xa().Read(kNoTransaction, "/t/x").value(), "0");
  EXPECT_EQ(CodeOf(xa().TransactionEnd(t, true)), Code::kNotFound);
}

TEST_F(XenStoreTransactionTest, RetryingAfterAgainSucceeds) {
  int attempts = 0;
  Status status;
  do {
    ++attempts;
    XsTransaction t = xa().TransactionStart().value();
    int x = std::stoi(xa().Read(t, "/t/x").value());
    if (attempts == 1) {
      ASSERT_TRUE(xb().Write(kNoTransaction, "/t/x", "10").ok());
    }
    ASSERT_TRUE(xa().Write(t, "/t/x", std::to_string(x + 1)).ok());
    status = xa().TransactionEnd(t, true);
  } while (status.code() == Code::kAgain);
  EXPECT_TRUE(status.ok());
  EXPECT_EQ(attempts, 2);
  EXPECT_EQ(xa().Read(kNoTransaction, "/t/x").value(), "11");
}

}  // namespace
}  // namespace xenshm::fake
