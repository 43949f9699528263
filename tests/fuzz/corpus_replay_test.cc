// The checked-in corpus of one fuzz target (tests/fuzz/corpus/<target>/),
// replayed by the target's invariants in every ordinary build (gcc, asan,
// tsan), so a regression shows up in the unit tests without libFuzzer.
// XENSHM_FUZZ_CORPUS is set per target by xenshm_cc_fuzzer (defs.bzl).
#include <gtest/gtest.h>

#include "tests/fuzz/replay.h"

namespace xenshm::fuzz {
namespace {

TEST(CorpusReplay, EveryCheckedInInputKeepsTheInvariants) {
  auto files = InputFiles(XENSHM_FUZZ_CORPUS);
  ASSERT_TRUE(files) << files.error();
  EXPECT_FALSE(files->empty()) << XENSHM_FUZZ_CORPUS << " is empty";
  auto ran = ReplayPath(XENSHM_FUZZ_CORPUS);
  ASSERT_TRUE(ran) << ran.error();
  EXPECT_EQ(*ran, files->size());
}

}  // namespace
}  // namespace xenshm::fuzz
