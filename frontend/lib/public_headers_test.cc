// libxenshm's public headers name only public types. Two checks: this file
// compiles against the headers alone (//frontend:public_headers_alone has
// no internal deps, and Bazel's sandbox hides undeclared headers), and the
// headers' text includes nothing outside xenshm/ but the C++ standard
// library and never names the wire schema.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <type_traits>
#include <vector>

#include "xenshm/client.h"
#include "xenshm/signals.h"
#include "xenshm/status.h"
#include "xenshm/types.h"
#include "xenshm/xenshm.h"

namespace xenshm {
namespace {

// What a program builds with only the public headers.
static_assert(std::is_constructible_v<Client, xenshm_client*>);
static_assert(std::is_constructible_v<Region, xenshm_region*>);
static_assert(std::is_move_constructible_v<Client>);
static_assert(std::is_same_v<decltype(AttachOptions{}.mode), AttachMode>);
static_assert(std::is_same_v<decltype(AttachOptions{}.access), Access>);
static_assert(std::is_same_v<decltype(PeerInfo{}.domain), DomainId>);
static_assert(
    std::is_same_v<decltype(std::declval<Region&>().Detach()), Status>);
static_assert(std::is_same_v<Result<int>, std::expected<int, Status>>);

// The API's headers: libxenshm's own and the vocabulary it shares with the
// rest of the project (base/include), installed side by side as xenshm/.
std::vector<std::filesystem::path> PublicHeaders() {
  const char* srcdir = std::getenv("TEST_SRCDIR");
  const char* workspace = std::getenv("TEST_WORKSPACE");
  if (srcdir == nullptr || workspace == nullptr) return {};
  std::vector<std::filesystem::path> headers;
  for (const char* dir : {"frontend/include/xenshm", "base/include/xenshm"}) {
    const auto path = std::filesystem::path(srcdir) / workspace / dir;
    if (!std::filesystem::is_directory(path)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(path)) {
      headers.push_back(entry.path());
    }
  }
  return headers;
}

struct Include {
  std::string header;  // the file it is in
  int line = 0;
  bool quoted = false;  // "..." rather than <...>
  std::string path;
};

std::vector<Include> IncludesOf(const std::filesystem::path& header) {
  std::vector<Include> includes;
  std::ifstream in(header);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    size_t hash = line.find_first_not_of(" \t");
    if (hash == std::string::npos || line[hash] != '#') continue;
    size_t word = line.find_first_not_of(" \t", hash + 1);
    if (word == std::string::npos || line.compare(word, 7, "include") != 0) {
      continue;
    }
    size_t open = line.find_first_of("\"<", word + 7);
    size_t end = open == std::string::npos
                     ? open
                     : line.find(line[open] == '"' ? '"' : '>', open + 1);
    if (end == std::string::npos) {
      ADD_FAILURE() << header << ":" << number << ": unreadable #include";
      continue;
    }
    const char close = line[end];
    includes.push_back({header.filename().string(), number, close == '"',
                        line.substr(open + 1, end - open - 1)});
  }
  return includes;
}

std::string TextOf(const std::filesystem::path& header) {
  std::ifstream in(header);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(PublicHeaders, IncludeOnlyEachOtherAndTheStandardLibrary) {
  std::map<std::string, std::filesystem::path> headers;
  for (const auto& path : PublicHeaders()) {
    headers[path.filename().string()] = path;
  }
  // The API's headers are all here, so the check below is not vacuous.
  for (const char* expected :
       {"client.h", "signals.h", "status.h", "types.h", "xenshm.h"}) {
    EXPECT_TRUE(headers.contains(expected)) << expected;
  }
  int checked = 0;
  for (const auto& [name, path] : headers) {
    for (const Include& include : IncludesOf(path)) {
      ++checked;
      const std::string where = include.header + ":" +
                                std::to_string(include.line) + " includes " +
                                (include.quoted ? "\"" + include.path + "\""
                                                : "<" + include.path + ">");
      if (include.quoted) {
        // Another public header, by the path programs use.
        EXPECT_TRUE(include.path.starts_with("xenshm/") &&
                    headers.contains(include.path.substr(7)))
            << where << ": not a public header";
      } else if (name == "xenshm.h") {
        // The C API: C99 with the three C headers its types need, and
        // nothing that pulls in C++.
        static const std::set<std::string> kCHeaders = {"stddef.h", "stdint.h",
                                                        "sys/types.h"};
        EXPECT_TRUE(kCHeaders.contains(include.path))
            << where << ": not one of <stddef.h> <stdint.h> <sys/types.h>";
      } else {
        // C++ standard headers have no extension and no directory; a system
        // or Xen header (<xenctrl.h>, <sys/types.h>) would be a dependency
        // every program inherits.
        EXPECT_EQ(include.path.find_first_of("./"), std::string::npos)
            << where << ": not a C++ standard header";
      }
    }
  }
  EXPECT_GT(checked, 0);
}

TEST(PublicHeaders, NameNoInternalNamespaceOrType) {
  const std::vector<std::filesystem::path> headers = PublicHeaders();
  ASSERT_GE(headers.size(), 5u);
  // The wire schema and the platform seam's types stay internal: programs
  // see public enums and an opaque Platform.
  const char* internal[] = {"schema::",     "XenbusState",   "AttachRequest",
                            "GrantMapping", "RegionMapping", "PeerChannels",
                            "StepTrace",    "XenStore",      "GrantRef",
                            "EventPort",    "Platform&",     "Attachment::"};
  for (const auto& header : headers) {
    const std::string text = TextOf(header);
    ASSERT_FALSE(text.empty()) << header;
    for (const char* name : internal) {
      EXPECT_EQ(text.find(name), std::string::npos)
          << header.filename() << " names " << name;
    }
  }
}

}  // namespace
}  // namespace xenshm
