// Running a fuzz target on stored inputs without libFuzzer: the corpus
// replay test and replay_main use it.
#ifndef XENSHM_TESTS_FUZZ_REPLAY_H_
#define XENSHM_TESTS_FUZZ_REPLAY_H_

#include <cstddef>
#include <expected>
#include <string>
#include <vector>

namespace xenshm::fuzz {

// The regular files of `path` (itself, if it is a file), sorted by name.
// An error names the path if it does not exist or cannot be listed.
std::expected<std::vector<std::string>, std::string> InputFiles(
    const std::string& path);

// Runs LLVMFuzzerTestOneInput once on every file InputFiles(path) lists,
// printing each name to stderr first (a broken invariant aborts, and the
// last name printed is the input that broke it). The number of inputs run,
// or an error naming a file that could not be read.
std::expected<size_t, std::string> ReplayPath(const std::string& path);

}  // namespace xenshm::fuzz

#endif  // XENSHM_TESTS_FUZZ_REPLAY_H_
