#include "platform/real/real_grant_mapper.h"

#include <vector>

#include "gtest/gtest.h"

namespace xenshm {
namespace {

TEST(ValidateMapRequestTest, AcceptsPlainReadOnlyAndWritableMaps) {
  const std::vector<GrantRef> refs = {8, 9, 10};
  EXPECT_TRUE(ValidateMapRequest(refs, /*writable=*/false, {}).ok());
  EXPECT_TRUE(ValidateMapRequest(refs, /*writable=*/true, {}).ok());
}

TEST(ValidateMapRequestTest, RejectsEmptyRefList) {
  const Status status = ValidateMapRequest({}, /*writable=*/true, {});
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_NE(status.message().find("empty"), std::string::npos);
}

TEST(ValidateMapRequestTest, ClearByteNeedsAWritableMapping) {
  const std::vector<GrantRef> refs = {8};
  UnmapNotify notify;
  notify.clear_byte_offset = 0;
  const Status status = ValidateMapRequest(refs, /*writable=*/false, notify);
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_NE(status.message().find("read-only"), std::string::npos);
  EXPECT_TRUE(ValidateMapRequest(refs, /*writable=*/true, notify).ok());
}

TEST(ValidateMapRequestTest, ClearByteMustLieInsideTheMapping) {
  const std::vector<GrantRef> refs = {8, 9};
  UnmapNotify notify;
  notify.clear_byte_offset = 2 * kPageSize - 1;
  EXPECT_TRUE(ValidateMapRequest(refs, /*writable=*/true, notify).ok());
  notify.clear_byte_offset = 2 * kPageSize;
  const Status status = ValidateMapRequest(refs, /*writable=*/true, notify);
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_NE(status.message().find("outside"), std::string::npos);
}

TEST(ValidateMapRequestTest, PortOnlyNotifyIsFineOnReadOnlyMappings) {
  const std::vector<GrantRef> refs = {8};
  UnmapNotify notify;
  notify.port = 5;
  EXPECT_TRUE(ValidateMapRequest(refs, /*writable=*/false, notify).ok());
}

}  // namespace
}  // namespace xenshm
