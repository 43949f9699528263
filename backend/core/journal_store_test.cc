#include "backend/core/journal_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace xenshm::backend {
namespace {

class FileJournalStoreTest : public ::testing::Test {
 protected:
  FileJournalStoreTest() {
    char dir[] = "/tmp/journal-test-XXXXXX";
    root_ = mkdtemp(dir);
    path_ = root_ + "/xenshm/journal";
  }
  ~FileJournalStoreTest() override { std::filesystem::remove_all(root_); }
  std::string root_, path_;
};

TEST_F(FileJournalStoreTest, SavesReplacesLoadsAndRemoves) {
  FileJournalStore store(path_);
  auto none = store.Load();
  ASSERT_TRUE(none);
  EXPECT_FALSE(*none);
  ASSERT_TRUE(store.Save("one\n").ok());
  ASSERT_TRUE(store.Save("two\n").ok());
  EXPECT_EQ(store.Load().value(), "two\n");
  struct stat info {};
  ASSERT_EQ(stat(path_.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ASSERT_EQ(stat((root_ + "/xenshm").c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_FALSE(std::filesystem::exists(path_ + ".new"));
  ASSERT_TRUE(store.Remove().ok());
  EXPECT_FALSE(*store.Load());
}

TEST_F(FileJournalStoreTest, AJournalOthersMayReadOrWriteIsNotTrusted) {
  FileJournalStore store(path_);
  ASSERT_TRUE(store.Save("text\n").ok());
  ASSERT_EQ(chmod(path_.c_str(), 0644), 0);
  auto loaded = store.Load();
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), Code::kNoPermission);
}

TEST_F(FileJournalStoreTest, ALinkIsNotFollowed) {
  FileJournalStore store(path_);
  ASSERT_TRUE(store.Save("text\n").ok());
  const std::string other = root_ + "/other";
  { std::ofstream(other) << "planted\n"; }
  chmod(other.c_str(), 0600);
  std::filesystem::remove(path_);
  std::filesystem::create_symlink(other, path_);
  EXPECT_FALSE(store.Load());
}

}  // namespace
}  // namespace xenshm::backend
