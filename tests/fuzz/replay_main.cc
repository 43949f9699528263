// main() for a fuzz target built without libFuzzer (the gcc and sanitizer
// configs): runs the target once on each file named on the command line,
// or on every file of each directory named, so a crash libFuzzer found
// reproduces under gdb or valgrind with the project's own compiler:
//   bazel build //tests/fuzz:stanza_item_fuzzer
//   bazel-bin/tests/fuzz/stanza_item_fuzzer crash-1234abcd
// Flags (arguments starting with '-') are ignored, so libFuzzer command
// lines work unchanged.
#include <cstdio>
#include <string>
#include <vector>

#include "tests/fuzz/replay.h"

int main(int argc, char** argv) {
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    if (argv[i][0] != '-') paths.push_back(argv[i]);
  }
  size_t ran = 0;
  for (const std::string& path : paths) {
    auto count = xenshm::fuzz::ReplayPath(path);
    if (!count) {
      std::fprintf(stderr, "%s\n", count.error().c_str());
      return 1;
    }
    ran += *count;
  }
  std::fprintf(stderr, "replayed %zu inputs, all invariants held\n", ran);
  return 0;
}
