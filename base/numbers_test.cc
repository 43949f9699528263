#include "base/numbers.h"

#include <cstdint>
#include <string>
#include <string_view>

#include "base/hostile_text.h"
#include "gtest/gtest.h"

namespace xenshm {
namespace {

constexpr uint64_t kMax = uint64_t{1} << 30;

std::string SizeReason(std::string_view text, uint64_t max = kMax) {
  auto size = ParseByteSize(text, max, "size");
  if (size) return "accepted " + std::to_string(*size);
  EXPECT_EQ(size.error().code(), Code::kInvalidArgument) << text;
  EXPECT_EQ(size.error().message().rfind("size ", 0), 0u)
      << size.error().message();
  return size.error().message();
}

bool SizeRefusedFor(std::string_view text, std::string_view reason) {
  const std::string got = SizeReason(text);
  EXPECT_NE(got.find(reason), std::string::npos) << text << ": " << got;
  return got.find(reason) != std::string::npos;
}

TEST(ParseDecimalTest, AcceptsStrictDecimalUpToMax) {
  EXPECT_EQ(ParseDecimal("0", 10, "n").value(), 0u);
  EXPECT_EQ(ParseDecimal("10", 10, "n").value(), 10u);
  EXPECT_EQ(ParseDecimal("18446744073709551615", UINT64_MAX, "n").value(),
            UINT64_MAX);
}

TEST(ParseDecimalTest, RefusesEverythingElseNamingWhat) {
  struct Case {
    std::string_view text;
    std::string_view reason;
  };
  for (const Case& c : {
           Case{"", "count is empty"},
           Case{"007", "count has a leading zero: '007'"},
           Case{"-1", "count is not a number: '-1'"},
           Case{"+1", "count is not a number"},
           Case{" 1", "count is not a number"},
           Case{"1 ", "count is not a number"},
           Case{"0x10", "count has a leading zero"},
           Case{"1e3", "count is not a number"},
           Case{"12a", "count is not a number"},
           Case{"11", "count 11 exceeds 10"},
           Case{"18446744073709551616", "count is out of range"},
           Case{"123456789012345678901", "count is not a number"},
           Case{std::string_view("1\0", 2), "count is not a number: '1\\x00'"},
       }) {
    auto parsed = ParseDecimal(c.text, 10, "count");
    ASSERT_FALSE(parsed) << c.text;
    EXPECT_EQ(parsed.error().code(), Code::kInvalidArgument);
    EXPECT_NE(parsed.error().message().find(c.reason), std::string::npos)
        << parsed.error().message();
  }
}

TEST(ParseByteSizeTest, AcceptsDecimalHexAndBinarySuffixes) {
  EXPECT_EQ(SizeReason("65536"), "accepted 65536");
  EXPECT_EQ(SizeReason("0"), "accepted 0");
  EXPECT_EQ(SizeReason("0x10000"), "accepted 65536");
  EXPECT_EQ(SizeReason("0X10000"), "accepted 65536");
  EXPECT_EQ(SizeReason("0xfFfF"), "accepted 65535");
  EXPECT_EQ(SizeReason("0x0001"), "accepted 1");  // hex may be zero-padded
  EXPECT_EQ(SizeReason("64K"), "accepted 65536");
  EXPECT_EQ(SizeReason("64k"), "accepted 65536");
  EXPECT_EQ(SizeReason("128M"), "accepted 134217728");
  EXPECT_EQ(SizeReason("2m"), "accepted 2097152");
  EXPECT_EQ(SizeReason("1G"), "accepted 1073741824");
  EXPECT_EQ(SizeReason("1g"), "accepted 1073741824");
  EXPECT_EQ(SizeReason("0K"), "accepted 0");
}

TEST(ParseByteSizeTest, MaxIsInclusiveAndChecksAfterTheSuffix) {
  EXPECT_EQ(SizeReason("1073741824"), "accepted 1073741824");
  EXPECT_EQ(SizeReason("1048576K"), "accepted 1073741824");
  EXPECT_EQ(SizeReason("0x40000000"), "accepted 1073741824");
  EXPECT_TRUE(SizeRefusedFor("1073741825", "is more than 1073741824 bytes"));
  EXPECT_TRUE(SizeRefusedFor("2G", "'2G' is more than 1073741824 bytes"));
  EXPECT_TRUE(SizeRefusedFor("1048577K", "is more than"));
  EXPECT_TRUE(SizeRefusedFor("0x40000001", "is more than"));
}

TEST(ParseByteSizeTest, RefusesOverflowWithoutWrapping) {
  const uint64_t all = UINT64_MAX;
  EXPECT_EQ(ParseByteSize("18446744073709551615", all, "size").value(), all);
  EXPECT_EQ(ParseByteSize("0xffffffffffffffff", all, "size").value(), all);
  EXPECT_EQ(ParseByteSize("17179869183G", all, "size").value(),
            17179869183ull << 30);
  EXPECT_FALSE(ParseByteSize("17179869184G", all, "size"));  // 2^64
  EXPECT_FALSE(ParseByteSize("18446744073709551616", all, "size"));
  EXPECT_FALSE(ParseByteSize("0x10000000000000000", all, "size"));
  EXPECT_FALSE(ParseByteSize("99999999999999999999K", all, "size"));
}

TEST(ParseByteSizeTest, RefusesEveryMalformedClassWithAReason) {
  EXPECT_TRUE(SizeRefusedFor("", "size is empty"));
  EXPECT_TRUE(SizeRefusedFor(std::string(33, '1'), "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("-1", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("+1K", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor(" 1", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1 ", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1 K", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("012", "leading zero"));
  EXPECT_TRUE(SizeRefusedFor("012K", "leading zero"));
  EXPECT_TRUE(SizeRefusedFor("K", "has no number before its K"));
  EXPECT_TRUE(SizeRefusedFor("1KK", "more than one K, M or G suffix"));
  EXPECT_TRUE(SizeRefusedFor("1MK", "more than one"));
  EXPECT_TRUE(SizeRefusedFor("1T", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1KiB", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1KB", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1.5M", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1e3", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("0x", "no hex digits"));
  EXPECT_TRUE(SizeRefusedFor("0xg", "takes no K, M or G suffix"));
  EXPECT_TRUE(SizeRefusedFor("0x10K", "takes no K, M or G suffix"));
  EXPECT_TRUE(SizeRefusedFor("0x1z", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("0x-1", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("x10", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1\x01", "is not a size: '1\\x01'"));
  // A suffix only ends a size: nothing after it, nothing between it and
  // the digits, and no digit groupings a person might mean differently.
  EXPECT_TRUE(SizeRefusedFor("1K5", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("K1", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1K ", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1\tK", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1_000", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1,000", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1k5", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("0X", "no hex digits"));
  EXPECT_TRUE(SizeRefusedFor("0x 10", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("00x10", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1MB", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("1MiB", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("-0", "is not a size"));
  EXPECT_TRUE(SizeRefusedFor("-1K", "is not a size"));
}

TEST(ParseByteSizeTest, SuffixOverflowIsRefusedNotWrapped) {
  const uint64_t all = UINT64_MAX;
  // The largest count each suffix can carry, and one more.
  EXPECT_EQ(ParseByteSize("18014398509481983K", all, "size").value(),
            18014398509481983ull << 10);
  EXPECT_FALSE(ParseByteSize("18014398509481984K", all, "size"));
  EXPECT_EQ(ParseByteSize("17592186044415M", all, "size").value(),
            17592186044415ull << 20);
  EXPECT_FALSE(ParseByteSize("17592186044416M", all, "size"));
  // 2^64 / 2^30 wraps to 0 in a careless multiplication.
  auto wrapped = ParseByteSize("17179869184G", all, "size");
  ASSERT_FALSE(wrapped);
  EXPECT_NE(wrapped.error().message().find("is more than"), std::string::npos)
      << wrapped.error().message();
}

TEST(ParseByteSizeTest, BoundariesOfMaxForEachSpelling) {
  EXPECT_EQ(ParseByteSize("4096", 4096, "size").value(), 4096u);
  EXPECT_EQ(ParseByteSize("4K", 4096, "size").value(), 4096u);
  EXPECT_EQ(ParseByteSize("0x1000", 4096, "size").value(), 4096u);
  EXPECT_FALSE(ParseByteSize("4097", 4096, "size"));
  EXPECT_FALSE(ParseByteSize("5K", 4096, "size"));
  EXPECT_FALSE(ParseByteSize("0x1001", 4096, "size"));
  EXPECT_FALSE(ParseByteSize("1M", 4096, "size"));
  EXPECT_EQ(ParseByteSize("0", 0, "size").value(), 0u);
  EXPECT_EQ(ParseByteSize("0x0", 0, "size").value(), 0u);
  EXPECT_FALSE(ParseByteSize("1", 0, "size"));
}

TEST(FormatByteSizeTest, WholeUnitsWithTheExactBytes) {
  EXPECT_EQ(FormatByteSize(0), "0");
  EXPECT_EQ(FormatByteSize(1000), "1000");
  EXPECT_EQ(FormatByteSize(1024), "1024 (1 KiB)");
  EXPECT_EQ(FormatByteSize(4096), "4096 (4 KiB)");
  EXPECT_EQ(FormatByteSize(4097), "4097");
  EXPECT_EQ(FormatByteSize(1536 * 1024), "1572864 (1536 KiB)");
  EXPECT_EQ(FormatByteSize(16 << 20), "16777216 (16 MiB)");
  EXPECT_EQ(FormatByteSize(uint64_t{1} << 30), "1073741824 (1 GiB)");
  EXPECT_EQ(FormatByteSize(uint64_t{3} << 40), "3298534883328 (3072 GiB)");
  EXPECT_EQ(FormatByteSize(UINT64_MAX), "18446744073709551615");
}

TEST(FormatByteSizeTest, ItsFirstWordReadsBackAsTheSameSize) {
  for (uint64_t bytes :
       {uint64_t{0}, uint64_t{4096}, uint64_t{16} << 20, uint64_t{12345}}) {
    const std::string text = FormatByteSize(bytes);
    const std::string decimal = text.substr(0, text.find(' '));
    EXPECT_EQ(ParseByteSize(decimal, UINT64_MAX, "size").value(), bytes)
        << text;
  }
}

TEST(HostileTextTest, QuotesBoundedAndEscaped) {
  EXPECT_TRUE(IsPrintableAscii(""));
  EXPECT_TRUE(IsPrintableAscii("a b~"));
  EXPECT_FALSE(IsPrintableAscii("a\tb"));
  EXPECT_FALSE(IsPrintableAscii("\x7f"));
  EXPECT_EQ(QuoteHostile("moo"), "'moo'");
  EXPECT_EQ(QuoteHostile("it's\n"), "'it\\x27s\\x0a'");
  EXPECT_EQ(QuoteHostile(std::string(50, 'a')),
            "'" + std::string(kMaxQuotedBytes, 'a') + "...'");
}

}  // namespace
}  // namespace xenshm
