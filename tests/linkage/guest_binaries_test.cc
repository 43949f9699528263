// Guest programs link no libxenctrl (see BUILD). Reads the built binaries'
// DT_NEEDED entries.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/linkage/elf_needed.h"

namespace xenshm::testing {
namespace {

std::string Runfile(const std::string& path) {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return path;
  return std::string(srcdir) + "/" + workspace + "/" + path;
}

bool Needs(const std::vector<std::string>& needed, const std::string& lib) {
  for (const std::string& soname : needed) {
    if (soname.starts_with(lib + ".so")) return true;
  }
  return false;
}

std::string Joined(const std::vector<std::string>& needed) {
  std::string out;
  for (const std::string& soname : needed) out += " " + soname;
  return out;
}

TEST(GuestBinaries, LinkNoLibxenctrl) {
  for (const char* binary :
       {"frontend/xenshm", "tools/bench/share_bench",
        "tools/bench/signal_bench", "tools/probes/smoke_probe"}) {
    auto needed = ElfNeeded(Runfile(binary));
    ASSERT_TRUE(needed) << needed.error().ToString();
    // They do link the guest libraries, so the list was really read.
    EXPECT_TRUE(Needs(*needed, "libxenstore")) << binary << Joined(*needed);
    EXPECT_FALSE(Needs(*needed, "libxenctrl")) << binary << Joined(*needed);
  }
}

TEST(GuestBinaries, TheDaemonDoesLinkLibxenctrl) {
  // The control: xenshmd reads domain information, so the reader must find
  // libxenctrl there.
  auto needed = ElfNeeded(Runfile("backend/xenshmd"));
  ASSERT_TRUE(needed) << needed.error().ToString();
  EXPECT_TRUE(Needs(*needed, "libxenctrl")) << Joined(*needed);
}

TEST(GuestBinaries, AFileThatIsNotElfIsAnError) {
  auto needed = ElfNeeded(Runfile("tests/linkage/guest_binaries_test.cc"));
  ASSERT_FALSE(needed);
  EXPECT_EQ(needed.error().code(), Code::kInvalidArgument);
  auto missing = ElfNeeded(Runfile("no/such/file"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace xenshm::testing
