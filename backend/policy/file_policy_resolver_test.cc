#include "backend/policy/file_policy_resolver.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace xenshm::policy {
namespace {

constexpr char kUuid[] = "6d1a3c9e-0b6f-4c47-9a0e-5f2b1d7c8e90";

class Resolver : public ::testing::Test {
 protected:
  Resolver() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "resolver-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    std::filesystem::create_directories(root_ + "/auto");
    std::filesystem::create_directories(root_ + "/xen");
  }
  ~Resolver() override { std::filesystem::remove_all(root_); }

  std::string Config(const std::string& relative, const std::string& name,
                     const std::string& stanza) {
    const std::string path = root_ + "/" + relative;
    std::ofstream(path) << "name = \"" << name << "\"\n" << stanza << "\n";
    chmod(path.c_str(), 0644);
    return path;
  }

  FilePolicyResolver Make() {
    return FilePolicyResolver(
        PinStore(root_ + "/pins"),
        ConfigScan({root_ + "/auto", root_ + "/xen"}, {},
                   [this](const std::string& line) { log_.push_back(line); }));
  }

  std::string root_;
  std::vector<std::string> log_;
};

TEST_F(Resolver, FindsTheConfigOfTheName) {
  Config("xen/other.cfg", "other", R"(xenshm = [ "allow=o*" ])");
  const std::string path =
      Config("xen/camera.cfg", "camera", R"(xenshm = [ "allow=cam*" ])");
  auto resolver = Make();
  auto found = resolver.Find({5, "camera", kUuid});
  ASSERT_TRUE(found && *found) << (found ? "none" : found.error().ToString());
  EXPECT_EQ((*found)->origin, path);
  ASSERT_EQ((*found)->policy.name_rules.size(), 1u);
  EXPECT_EQ((*found)->policy.name_rules[0].pattern, "cam*");
  auto none = resolver.Find({6, "nobody", ""});
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
}

TEST_F(Resolver, APinWinsOverTheConfigFile) {
  Config("xen/camera.cfg", "camera", R"(xenshm = [ "allow=*" ])");
  auto resolver = Make();
  auto first = resolver.Find({5, "camera", kUuid});
  ASSERT_TRUE(first && *first);
  ASSERT_TRUE(resolver.Pin({5, "camera", kUuid}, **first).ok());
  Config("xen/camera.cfg", "camera", R"(xenshm = [ "allow=cam*" ])");
  auto again = resolver.Find({9, "camera", kUuid});
  ASSERT_TRUE(again && *again);
  EXPECT_TRUE((*again)->pinned);
  EXPECT_EQ((*again)->policy.name_rules[0].pattern, "*");
  auto fresh =
      resolver.Find({10, "camera", "11111111-2222-4333-8444-555566667777"});
  ASSERT_TRUE(fresh && *fresh);
  EXPECT_EQ((*fresh)->policy.name_rules[0].pattern, "cam*");
}

TEST_F(Resolver, ALinkAndItsTargetAreOneFile) {
  const std::string path =
      Config("xen/camera.cfg", "camera", R"(xenshm = [ "allow=cam*" ])");
  std::filesystem::create_symlink(path, root_ + "/auto/camera");
  auto found = Make().Find({5, "camera", ""});
  ASSERT_TRUE(found && *found) << (found ? "none" : found.error().ToString());
}

TEST_F(Resolver, DisagreeingConfigsAndBadStanzasAreErrors) {
  Config("auto/camera", "camera", R"(xenshm = [ "allow=cam*" ])");
  Config("xen/camera.cfg", "camera", R"(xenshm = [ "allow=*" ])");
  auto found = Make().Find({5, "camera", ""});
  ASSERT_FALSE(found);
  EXPECT_NE(found.error().message().find("different xenshm stanzas"),
            std::string::npos);
  Config("xen/bad.cfg", "bad", R"(xenshm = [ "umask=088" ])");
  EXPECT_FALSE(Make().Find({6, "bad", ""}));
}

TEST_F(Resolver, FilesOthersMayWriteAreSkipped) {
  const std::string path =
      Config("xen/camera.cfg", "camera", R"(xenshm = [ "allow=*" ])");
  chmod(path.c_str(), 0664);
  auto found = Make().Find({5, "camera", ""});
  ASSERT_TRUE(found);
  EXPECT_FALSE(*found);
  ASSERT_EQ(log_.size(), 1u);
  EXPECT_NE(log_[0].find("others may write it"), std::string::npos);
}

}  // namespace
}  // namespace xenshm::policy
