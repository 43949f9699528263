#include "tests/fuzz/replay.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "tests/fuzz/fuzz_check.h"

namespace xenshm::fuzz {

std::expected<std::vector<std::string>, std::string> InputFiles(
    const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_directory(path, error)) {
    if (!std::filesystem::is_regular_file(path, error)) {
      return std::unexpected(path + ": no such file or directory");
    }
    return std::vector<std::string>{path};
  }
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(path, error)) {
    if (entry.is_regular_file()) files.push_back(entry.path().string());
  }
  if (error) return std::unexpected(path + ": " + error.message());
  std::sort(files.begin(), files.end());
  return files;
}

std::expected<size_t, std::string> ReplayPath(const std::string& path) {
  auto files = InputFiles(path);
  if (!files) return std::unexpected(files.error());
  for (const std::string& file : *files) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)),
                            std::istreambuf_iterator<char>());
    if (in.bad()) return std::unexpected(file + ": read failed");
    std::fprintf(stderr, "input %s (%zu bytes)\n", file.c_str(), bytes.size());
    // A copy in its own allocation, so ASan sees reads past its end.
    std::vector<uint8_t> input(bytes.begin(), bytes.end());
    auto* data = input.empty() ? nullptr : input.data();
    LLVMFuzzerTestOneInput(data, input.size());
  }
  return files->size();
}

}  // namespace xenshm::fuzz
