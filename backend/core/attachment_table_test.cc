#include "backend/core/attachment_table.h"

#include <gtest/gtest.h>

namespace xenshm::backend {
namespace {

Holdings HeldOn(EventPort control_port) {
  Holdings held;
  held.control_port = control_port;
  return held;
}

TEST(AttachmentTable, OpenCreatesOnceAndFindsAfterwards) {
  AttachmentTable table;
  bool created = false;
  Attachment& first = table.Open({3, 1}, &created);
  EXPECT_TRUE(created);
  EXPECT_EQ(first.key, (AttachmentKey{3, 1}));
  EXPECT_FALSE(first.answered);
  EXPECT_EQ(first.frontend_state, schema::XenbusState::kInitialising);
  first.answered = true;
  Attachment& again = table.Open({3, 1}, &created);
  EXPECT_FALSE(created);
  EXPECT_TRUE(again.answered);
  EXPECT_EQ(table.Find({3, 2}), nullptr);
  table.Erase({3, 1});
  EXPECT_EQ(table.Find({3, 1}), nullptr);
}

TEST(AttachmentTable, KeysOfADomainOnlyAndByControlPort) {
  AttachmentTable table;
  table.Open({2, 9});
  table.Open({3, 4});
  table.Open({3, 0}).held = HeldOn(17);
  table.Open({4, 0}).held = HeldOn(18);
  EXPECT_EQ(table.KeysOf(3), (std::vector<AttachmentKey>{{3, 0}, {3, 4}}));
  EXPECT_TRUE(table.KeysOf(5).empty());
  ASSERT_NE(table.FindByControlPort(18), nullptr);
  EXPECT_EQ(table.FindByControlPort(18)->key, (AttachmentKey{4, 0}));
  EXPECT_EQ(table.FindByControlPort(19), nullptr);
  // An attachment that holds nothing has no port, whatever its number.
  table.Find({4, 0})->held.reset();
  EXPECT_EQ(table.FindByControlPort(18), nullptr);
}

TEST(AttachmentTable, DescribeNamesDomainAndHandle) {
  EXPECT_EQ(Describe({7, 2}), "domain 7 handle 2");
}

}  // namespace
}  // namespace xenshm::backend
