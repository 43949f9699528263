#include "backend/core/region_table.h"

#include <gtest/gtest.h>

#include "xenstore-schema/limits.h"

namespace xenshm::backend {
namespace {

Peer MakePeer(DomainId domain, uint32_t handle, uint32_t index) {
  Peer peer;
  peer.key = {domain, handle};
  peer.index = index;
  return peer;
}

TEST(RegionTable, JoinGivesLowestFreeIndex) {
  RegionTable table;
  table.Create("moo", 4096, 1);
  ASSERT_EQ(*table.CheckJoin("moo", {1, 0}), 0u);
  table.Join("moo", MakePeer(1, 0, 0));
  ASSERT_EQ(*table.CheckJoin("moo", {2, 0}), 1u);
  table.Join("moo", MakePeer(2, 0, 1));
  auto left = table.Leave({1, 0});
  ASSERT_TRUE(left);
  EXPECT_FALSE(left->region_empty);
  EXPECT_EQ(*table.CheckJoin("moo", {3, 0}), 0u);  // index 0 reused
}

TEST(RegionTable, RefusesDoubleAttachOfAHandleAndOfADomain) {
  RegionTable table;
  table.Create("moo", 4096, 1);
  table.Create("cow", 4096, 2);
  table.Join("moo", MakePeer(1, 0, 0));
  EXPECT_EQ(table.CheckJoin("cow", {1, 0}).error().code(),
            Code::kAlreadyAttached);
  EXPECT_EQ(table.CheckJoin("moo", {1, 5}).error().code(),
            Code::kAlreadyAttached);
  // dom0 programs map through the kernel module, not per-domain grants.
  table.Join("moo", MakePeer(kDom0, 0, 1));
  EXPECT_TRUE(table.CheckJoin("moo", {kDom0, 1}));
}

TEST(RegionTable, ClientMaxAtTheLimit) {
  RegionTable table;
  table.Create("moo", 4096, 1);
  for (uint32_t i = 0; i < schema::kMaxPeers; ++i) {
    auto index = table.CheckJoin("moo", {static_cast<DomainId>(i + 1), 0});
    ASSERT_TRUE(index);
    table.Join("moo", MakePeer(i + 1, 0, *index));
  }
  EXPECT_EQ(table.CheckJoin("moo", {500, 0}).error().code(), Code::kClientMax);
}

TEST(RegionTable, LastLeaveEmptiesAndUnknownIsNotAttached) {
  RegionTable table;
  EXPECT_EQ(table.CheckJoin("nope", {1, 0}).error().code(),
            Code::kDoesNotExist);
  table.Create("moo", 10000, 1);
  EXPECT_EQ(table.Find("moo")->pages, 3u);
  table.Join("moo", MakePeer(1, 0, 0));
  EXPECT_FALSE(table.Leave({2, 0}));
  auto left = table.Leave({1, 0});
  ASSERT_TRUE(left);
  EXPECT_TRUE(left->region_empty);
  EXPECT_FALSE(table.Leave({1, 0}));  // idempotent
}

}  // namespace
}  // namespace xenshm::backend
