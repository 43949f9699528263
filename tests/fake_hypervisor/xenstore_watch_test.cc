// XenStore watches: initial event, subtree matching, permission filtering,
// special watches and the pollable fd.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "tests/fake_hypervisor/test_util.h"

namespace xenshm::fake {
namespace {

using testing::CodeOf;
using testing::Drain;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using testing::MustOpen;
using testing::Readable;

class XenStoreWatchTest : public testing::ThreeDomains {};

TEST_F(XenStoreWatchTest, FiresOnceWhenSetEvenForMissingNodes) {
  EXPECT_FALSE(Readable(xs0().watch_fd()));
  ASSERT_TRUE(xs0().Watch("/not/there", "tok").ok());
  EXPECT_TRUE(Readable(xs0().watch_fd()));
  EXPECT_THAT(Drain(xs0()), ElementsAre("/not/there|tok"));
  EXPECT_FALSE(Readable(xs0().watch_fd()));
}

TEST_F(XenStoreWatchTest, FiresForChangesAtOrBelowOnly) {
  ASSERT_TRUE(xs0().Watch("/a/b", "t").ok());
  Drain(xs0());
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/a/b", "1").ok());
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/a/b/c/d", "2").ok());
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/a/bc", "3").ok());
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/a", "4").ok());
  EXPECT_THAT(Drain(xs0()), ElementsAre("/a/b|t", "/a/b/c/d|t"));
}

TEST_F(XenStoreWatchTest, RootWatchSeesEverythingReadable) {
  ASSERT_TRUE(xs0().Watch("/", "all").ok());
  Drain(xs0());
  ASSERT_TRUE(xs1().Write(kNoTransaction, "data/x", "1").ok());
  EXPECT_THAT(Drain(xs0()), ElementsAre("/local/domain/1/data/x|all"));
}

TEST_F(XenStoreWatchTest, RemoveFiresOnNodeAndOnWatchesOfDescendants) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/r/a/b", "").ok());
  ASSERT_TRUE(xs0().Watch("/r", "top").ok());
  ASSERT_TRUE(xs0().Watch("/r/a/b", "leaf").ok());
  Drain(xs0());
  ASSERT_TRUE(xs0().Remove(kNoTransaction, "/r").ok());
  EXPECT_THAT(Drain(xs0()), ElementsAre("/r/a/b|leaf", "/r|top"));
}

TEST_F(XenStoreWatchTest, EventsNeedReadPermissionOnTheChangedNode) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/pub", "").ok());
  ASSERT_TRUE(
      xs0()
          .SetPermissions(kNoTransaction, "/pub", {{0, XsAccess::kRead}})
          .ok());
  ASSERT_TRUE(xs1().Watch("/pub", "w").ok());
  // The initial event comes whatever the permissions.
  ASSERT_TRUE(xs1().Watch("/local/domain/0", "home0").ok());
  EXPECT_THAT(Drain(xs1()), ElementsAre("/pub|w", "/local/domain/0|home0"));

  ASSERT_TRUE(xs0().Write(kNoTransaction, "/pub/private", "").ok());
  ASSERT_TRUE(xs0()
                  .SetPermissions(kNoTransaction, "/pub/private",
                                  {{0, XsAccess::kNone}})
                  .ok());
  Drain(xs1());
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/pub/private", "hidden").ok());
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/pub", "seen").ok());
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/local/domain/0/x", "").ok());
  EXPECT_THAT(Drain(xs1()), ElementsAre("/pub|w"));
}

TEST_F(XenStoreWatchTest, LosingReadAccessIsStillReported) {
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/n", "").ok());
  ASSERT_TRUE(
      xs0().SetPermissions(kNoTransaction, "/n", {{0, XsAccess::kRead}}).ok());
  ASSERT_TRUE(xs1().Watch("/n", "w").ok());
  Drain(xs1());
  ASSERT_TRUE(
      xs0().SetPermissions(kNoTransaction, "/n", {{0, XsAccess::kNone}}).ok());
  EXPECT_THAT(Drain(xs1()), ElementsAre("/n|w"));
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/n", "x").ok());
  EXPECT_THAT(Drain(xs1()), IsEmpty());
}

TEST_F(XenStoreWatchTest, RelativeWatchReportsRelativePaths) {
  ASSERT_TRUE(xs1().Watch("data", "rel").ok());
  EXPECT_THAT(Drain(xs1()), ElementsAre("data|rel"));
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/local/domain/1/data/k", "").ok());
  EXPECT_THAT(Drain(xs1()), ElementsAre("data/k|rel"));
}

TEST_F(XenStoreWatchTest, IntroduceAndReleaseDomainReachDom0) {
  ASSERT_TRUE(xs0().Watch("@introduceDomain", "in").ok());
  ASSERT_TRUE(xs0().Watch("@releaseDomain", "out").ok());
  Drain(xs0());
  hv_.CreateDomain(7);
  EXPECT_THAT(Drain(xs0()), ElementsAre("@introduceDomain|in"));
  hv_.DestroyDomain(7);
  EXPECT_THAT(Drain(xs0()), ElementsAre("@releaseDomain|out"));
}

TEST_F(XenStoreWatchTest, SpecialWatchesNeedPermissionForGuests) {
  ASSERT_TRUE(xs1().Watch("@releaseDomain", "out").ok());
  EXPECT_THAT(Drain(xs1()), ElementsAre("@releaseDomain|out"));
  hv_.CreateDomain(7);
  hv_.DestroyDomain(7);
  EXPECT_THAT(Drain(xs1()), IsEmpty());
  EXPECT_EQ(CodeOf(xs1().SetPermissions(kNoTransaction, "@releaseDomain",
                                        {{1, XsAccess::kRead}})),
            Code::kNoPermission);
  ASSERT_TRUE(xs0()
                  .SetPermissions(kNoTransaction, "@releaseDomain",
                                  {{0, XsAccess::kNone}, {1, XsAccess::kRead}})
                  .ok());
  hv_.CreateDomain(7);
  hv_.DestroyDomain(7);
  EXPECT_THAT(Drain(xs1()), ElementsAre("@releaseDomain|out"));
}

TEST_F(XenStoreWatchTest, DomainCreationIsVisibleUnderLocalDomain) {
  ASSERT_TRUE(xs0().Watch("/local/domain", "doms").ok());
  Drain(xs0());
  hv_.CreateDomain(5);
  std::vector<std::string> events = Drain(xs0());
  EXPECT_THAT(events, ::testing::Contains("/local/domain/5|doms"));
  EXPECT_THAT(events, ::testing::Contains("/local/domain/5/data|doms"));
}

TEST_F(XenStoreWatchTest, UnwatchStopsEventsAndDropsQueuedOnes) {
  ASSERT_TRUE(xs0().Watch("/u", "a").ok());
  ASSERT_TRUE(xs0().Watch("/u", "b").ok());
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/u", "1").ok());
  ASSERT_TRUE(xs0().Unwatch("/u", "a").ok());
  EXPECT_THAT(Drain(xs0()), ElementsAre("/u|b", "/u|b"));
  ASSERT_TRUE(xs0().Unwatch("/u", "b").ok());
  ASSERT_TRUE(xs0().Write(kNoTransaction, "/u", "2").ok());
  EXPECT_THAT(Drain(xs0()), IsEmpty());
  EXPECT_EQ(CodeOf(xs0().Unwatch("/u", "b")), Code::kNotFound);
}

TEST_F(XenStoreWatchTest, UnwatchOfLastQueuedEventClearsTheFd) {
  ASSERT_TRUE(xs0().Watch("/u", "a").ok());
  EXPECT_TRUE(Readable(xs0().watch_fd()));
  ASSERT_TRUE(xs0().Unwatch("/u", "a").ok());
  EXPECT_FALSE(Readable(xs0().watch_fd()));
}

TEST_F(XenStoreWatchTest, DuplicateWatchIsRefused) {
  ASSERT_TRUE(xs0().Watch("/d", "t").ok());
  EXPECT_EQ(CodeOf(xs0().Watch("/d", "t")), Code::kAlreadyAttached);
  EXPECT_TRUE(xs0().Watch("/d", "other").ok());
}

TEST_F(XenStoreWatchTest, WatchesBelongToTheirConnection) {
  Platform other = MustOpen(hv_, 0);
  ASSERT_TRUE(xs0().Watch("/c", "t").ok());
  Drain(xs0());
  ASSERT_TRUE(other.xenstore->Write(kNoTransaction, "/c", "x").ok());
  EXPECT_THAT(Drain(xs0()), ElementsAre("/c|t"));
  EXPECT_THAT(Drain(*other.xenstore), IsEmpty());
}

TEST_F(XenStoreWatchTest, ClosingAConnectionDropsItsWatches) {
  {
    Platform other = MustOpen(hv_, 1);
    ASSERT_TRUE(other.xenstore->Watch("data", "t").ok());
    EXPECT_EQ(hv_.XenStoreWatchesOf(1), 1u);
  }
  EXPECT_EQ(hv_.XenStoreWatchesOf(1), 0u);
}

TEST_F(XenStoreWatchTest, WatchFdWakesAThreadBlockedInPoll) {
  ASSERT_TRUE(xs1().Watch("data/wake", "t").ok());
  Drain(xs1());
  std::atomic<bool> woke{false};
  std::thread waiter([&] { woke = Readable(xs1().watch_fd(), 5000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(
      xs0().Write(kNoTransaction, "/local/domain/1/data/wake", "go").ok());
  waiter.join();
  EXPECT_TRUE(woke);
  EXPECT_THAT(Drain(xs1()), ElementsAre("data/wake|t"));
}

}  // namespace
}  // namespace xenshm::fake
