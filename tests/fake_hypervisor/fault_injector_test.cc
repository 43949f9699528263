#include "tests/fake_hypervisor/fault_injector.h"

#include <gtest/gtest.h>

namespace xenshm::fake {
namespace {

TEST(FaultInjectorTest, NothingPendingNeverFails) {
  FaultInjector faults;
  EXPECT_FALSE(faults.Check(Op::kXsWrite, 0).has_value());
}

TEST(FaultInjectorTest, FailsTheNthCallOnceOnly) {
  FaultInjector faults;
  faults.FailNth(Op::kXsWrite, 2, Code::kAgain);
  EXPECT_FALSE(faults.Check(Op::kXsWrite, 1).has_value());
  EXPECT_FALSE(faults.Check(Op::kXsRead, 1).has_value());  // other op
  std::optional<Status> fault = faults.Check(Op::kXsWrite, 1);
  ASSERT_TRUE(fault.has_value());
  EXPECT_EQ(fault->code(), Code::kAgain);
  EXPECT_FALSE(faults.Check(Op::kXsWrite, 1).has_value());
}

TEST(FaultInjectorTest, DomainFilterIgnoresOtherDomains) {
  FaultInjector faults;
  faults.FailNth(Op::kGrant, 1, Code::kNoMemory, DomainId{3});
  EXPECT_FALSE(faults.Check(Op::kGrant, 2).has_value());
  EXPECT_TRUE(faults.Check(Op::kGrant, 3).has_value());
}

TEST(FaultInjectorTest, FailAllFailsEveryCallUntilCleared) {
  FaultInjector faults;
  faults.FailAll(Op::kEvtchnRead, Code::kIoError, DomainId{0});
  for (int i = 0; i < 3; ++i) {
    std::optional<Status> fault = faults.Check(Op::kEvtchnRead, 0);
    ASSERT_TRUE(fault.has_value()) << i;
    EXPECT_EQ(fault->code(), Code::kIoError);
  }
  EXPECT_FALSE(faults.Check(Op::kEvtchnRead, 1).has_value());
  faults.Clear();
  EXPECT_FALSE(faults.Check(Op::kEvtchnRead, 0).has_value());
}

TEST(FaultInjectorTest, ClearForgetsPendingFaults) {
  FaultInjector faults;
  faults.FailNth(Op::kXsWatch, 1, Code::kIoError);
  faults.Clear();
  EXPECT_FALSE(faults.Check(Op::kXsWatch, 0).has_value());
}

}  // namespace
}  // namespace xenshm::fake
