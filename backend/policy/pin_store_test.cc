#include "backend/policy/pin_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "backend/policy/stanza.h"

namespace xenshm::policy {
namespace {

constexpr char kUuidA[] = "6d1a3c9e-0b6f-4c47-9a0e-5f2b1d7c8e90";
constexpr char kUuidB[] = "0f0f0f0f-1111-4222-8333-444455556666";

DomainPolicy Policy(std::initializer_list<const char*> items) {
  std::vector<LocatedItem> located;
  int line = 1;
  for (const char* item : items)
    located.push_back({item, "camera.cfg", line++, std::nullopt});
  auto built = BuildDomainPolicy(located);
  EXPECT_TRUE(built) << built.error().ToString();
  return *built;
}

class PinStoreTest : public ::testing::Test {
 protected:
  PinStoreTest() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "pins-XXXXXX").string();
    EXPECT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
  }
  ~PinStoreTest() override { std::filesystem::remove_all(root_); }
  std::string root_;
};

TEST(PinText, RoundTrips) {
  PinnedPolicy pin{"camera",
                   kUuidA,
                   {Policy({"allow=cam*", "create=cam0,size=64K,mode=0600"}),
                    "xenshm-xl-create camera.cfg", false}};
  auto text = EncodePin(pin);
  ASSERT_TRUE(text) << text.error().ToString();
  EXPECT_EQ(text->rfind("xenshm-pin 1\nname=camera\norigin=xenshm-xl-create "
                        "camera.cfg\nxenshm-policy 1\n",
                        0),
            0u)
      << *text;
  auto back = DecodePin(*text);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->name, "camera");
  EXPECT_EQ(back->found.origin, "xenshm-xl-create camera.cfg");
  EXPECT_EQ(back->found.policy, pin.found.policy);
  EXPECT_TRUE(back->found.pinned);
}

TEST(PinText, RefusesWhatIsNotAPin) {
  for (const char* bad :
       {"", "xenshm-pin 2\nname=a\norigin=x\nxenshm-policy 1\n",
        "xenshm-pin 1\nname=\norigin=x\nxenshm-policy 1\n",
        "xenshm-pin 1\nname=a/b\norigin=x\nxenshm-policy 1\n",
        "xenshm-pin 1\nname=a\nxenshm-policy 1\n",
        "xenshm-pin 1\nname=a\norigin=x\nxenshm-policy 1\nallow=[\n",
        "xenshm-pin 1\nname=a\norigin=\x01\nxenshm-policy 1\n"}) {
    EXPECT_FALSE(DecodePin(bad)) << bad;
  }
  EXPECT_FALSE(DecodePin(std::string(kMaxPinBytes + 1, 'x')));
}

TEST_F(PinStoreTest, WritesReadsAndKeepsOnePinPerName) {
  PinStore store(root_ + "/pins");
  auto missing = store.Read(kUuidA);
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  ASSERT_TRUE(
      store.Write({"camera", kUuidA, {Policy({"allow=cam*"}), "one", false}})
          .ok());
  auto read = store.Read(kUuidA);
  ASSERT_TRUE(read && *read);
  EXPECT_EQ((*read)->uuid, kUuidA);
  EXPECT_EQ((*read)->found.origin, "one");
  EXPECT_EQ(std::filesystem::status(root_ + "/pins").permissions() &
                std::filesystem::perms::all,
            std::filesystem::perms::owner_all);
  // A fresh create of the same name supersedes the old UUID's pin.
  ASSERT_TRUE(
      store.Write({"camera", kUuidB, {Policy({"allow=*"}), "two", false}})
          .ok());
  auto old = store.Read(kUuidA);
  ASSERT_TRUE(old);
  EXPECT_FALSE(*old);
  ASSERT_EQ(store.List().size(), 1u);
  EXPECT_EQ(store.List()[0].uuid, kUuidB);
}

TEST_F(PinStoreTest, ABadFileIsReportedNotUsed) {
  PinStore store(root_);
  std::ofstream(root_ + "/" + kUuidA) << "xenshm-pin 1\nname=x\n";
  EXPECT_FALSE(store.Read(kUuidA));
  std::vector<std::string> bad;
  EXPECT_TRUE(
      store.List([&](const std::string& why) { bad.push_back(why); }).empty());
  ASSERT_EQ(bad.size(), 1u);
  EXPECT_NE(bad[0].find(kUuidA), std::string::npos);
  EXPECT_FALSE(store.Read("not-a-uuid"));
}

}  // namespace
}  // namespace xenshm::policy
