#include "xenstore-schema/grant_directory.h"

#include <gtest/gtest.h>

#include <cstring>
#include <numeric>
#include <vector>

namespace xenshm::schema {
namespace {

TEST(GrantDirectory, SizesForSmallAndLargeRegions) {
  EXPECT_EQ(GrantDirectoryPages(1), 1u);
  EXPECT_EQ(GrantDirectoryPages(1020), 1u);
  EXPECT_EQ(GrantDirectoryPages(1021), 2u);
  EXPECT_EQ(GrantDirectoryPages(32768), 33u);  // 128 MiB
}

TEST(GrantDirectory, RoundTripsRefs) {
  std::vector<GrantRef> refs(3000);
  std::iota(refs.begin(), refs.end(), 100);
  std::vector<std::byte> pages(GrantDirectoryPages(refs.size()) * kPageSize);
  WriteGrantDirectory(refs, pages);
  auto read = ReadGrantDirectory(pages, refs.size());
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(*read, refs);
}

TEST(GrantDirectory, RejectsCorruptHeaders) {
  std::vector<GrantRef> refs(10, 7);
  std::vector<std::byte> pages(kPageSize);
  WriteGrantDirectory(refs, pages);
  EXPECT_FALSE(ReadGrantDirectory(pages, 11));  // count mismatch
  auto huge = pages;
  uint32_t count = 5000;  // more refs than one page holds
  std::memcpy(huge.data() + 8, &count, sizeof(count));
  EXPECT_FALSE(ReadGrantDirectory(huge, 5000));
  auto bad_magic = pages;
  bad_magic[0] = std::byte{0};
  EXPECT_FALSE(ReadGrantDirectory(bad_magic, 10));
  EXPECT_FALSE(ReadGrantDirectory(std::span(pages).first(8), 10));
}

TEST(RefList, FormatsAndParsesStrictly) {
  std::vector<GrantRef> refs = {8, 9, 4294967295u};
  EXPECT_EQ(FormatRefList(refs), "8 9 4294967295");
  EXPECT_EQ(*ParseRefList("8 9 4294967295", 3), refs);
  EXPECT_FALSE(ParseRefList("", 3));
  EXPECT_FALSE(ParseRefList("8  9", 3));
  EXPECT_FALSE(ParseRefList("8 9 ", 3));
  EXPECT_FALSE(ParseRefList("1 2 3 4", 3));
  EXPECT_FALSE(ParseRefList("4294967296", 3));
}

}  // namespace
}  // namespace xenshm::schema
