#include "xenstore-schema/member_list.h"

#include <gtest/gtest.h>

#include <string>

namespace xenshm::schema {
namespace {

TEST(MemberList, FormatsAndParsesBack) {
  const MemberList members = {{0, {5, 3}}, {2, {7, 1}}, {63, {32751, 1023}}};
  const std::string value = FormatMemberList(members);
  EXPECT_EQ(value, "0=5/3 2=7/1 63=32751/1023");
  auto parsed = ParseMemberList(value);
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(*parsed, members);
}

TEST(MemberList, EmptyIsNobody) {
  EXPECT_EQ(FormatMemberList({}), "");
  auto parsed = ParseMemberList("");
  ASSERT_TRUE(parsed);
  EXPECT_TRUE(parsed->empty());
}

TEST(MemberList, TheLongestListFits) {
  MemberList members;
  for (uint32_t i = 0; i < kMaxPeers; ++i) members[i] = {32751, kMaxHandle};
  const std::string value = FormatMemberList(members);
  EXPECT_LE(value.size(), kMaxMemberListLength);
  auto parsed = ParseMemberList(value);
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed->size(), kMaxPeers);
}

TEST(MemberList, RejectsAnythingElse) {
  for (std::string_view bad : {
           " 0=5/3",        // leading space
           "0=5/3 ",        // trailing space
           "0=5/3  1=6/1",  // two spaces
           "0=5/3\t1=6/1",  // another separator
           "0=5",           // no handle
           "0:5/3",         // no equals sign
           "=5/3",          // no index
           "64=5/3",        // index out of range
           "00=5/3",        // leading zero
           "0=+5/3",        // sign
           "0=32752/3",     // reserved domid
           "0=5/1024",      // handle out of range
           "1=5/3 0=6/1",   // out of order
           "1=5/3 1=6/1",   // duplicate
           "0=5/3/4",       // extra field
           "0=5/3 x",       // junk entry
       }) {
    auto parsed = ParseMemberList(bad);
    EXPECT_FALSE(parsed) << "accepted '" << bad << "'";
    if (!parsed) {
      EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
    }
  }
  EXPECT_FALSE(ParseMemberList(std::string(kMaxMemberListLength + 1, '1')));
}

}  // namespace
}  // namespace xenshm::schema
