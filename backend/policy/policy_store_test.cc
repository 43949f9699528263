#include "backend/policy/policy_store.h"

#include "backend/policy/policy_codec.h"
#include "backend/policy/xl_config.h"
#include "gtest/gtest.h"
#include "tests/fake_hypervisor/fake_hypervisor.h"

namespace xenshm::policy {
namespace {

class PolicyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    hv_.CreateDomain(3);
    auto dom0 = hv_.OpenPlatform(kDom0);
    ASSERT_TRUE(dom0);
    dom0_ = std::move(*dom0);
    auto guest = hv_.OpenPlatform(3);
    ASSERT_TRUE(guest);
    guest_ = std::move(*guest);
  }

  XenStore& dom0() { return *dom0_.xenstore; }

  fake::FakeHypervisor hv_;
  Platform dom0_;
  Platform guest_;
};

DomainPolicy Sample() {
  auto policy = ParseGuestConfig(
      "xenshm = [ \"allow=moo*\", \"groups=video\",\n"
      "           \"create=moo,size=1M,mode=0640\" ]\n",
      "guest.cfg");
  EXPECT_TRUE(policy && *policy);
  return **policy;
}

TEST_F(PolicyStoreTest, WritesAndReadsBack) {
  EXPECT_EQ(PolicyPath(3), "/local/domain/0/xenshm/policy/3");
  ASSERT_TRUE(WriteDomainPolicy(dom0(), 3, Sample()).ok());
  auto read = ReadDomainPolicy(dom0(), 3);
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(*read, Sample());
}

TEST_F(PolicyStoreTest, MissingIsNotFound) {
  auto read = ReadDomainPolicy(dom0(), 3);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), Code::kNotFound);
  EXPECT_TRUE(RemoveDomainPolicy(dom0(), 3).ok());
}

TEST_F(PolicyStoreTest, RemoveDeletesTheNode) {
  ASSERT_TRUE(WriteDomainPolicy(dom0(), 3, Sample()).ok());
  ASSERT_TRUE(RemoveDomainPolicy(dom0(), 3).ok());
  EXPECT_EQ(ReadDomainPolicy(dom0(), 3).error().code(), Code::kNotFound);
}

TEST_F(PolicyStoreTest, GuestsCanNeitherReadNorWrite) {
  ASSERT_TRUE(WriteDomainPolicy(dom0(), 3, Sample()).ok());
  auto perms = dom0().GetPermissions(kNoTransaction, PolicyPath(3));
  ASSERT_TRUE(perms);
  EXPECT_EQ(*perms, (std::vector<XsPermission>{{kDom0, XsAccess::kNone}}));
  EXPECT_FALSE(guest_.xenstore->Read(kNoTransaction, PolicyPath(3)));
  EXPECT_FALSE(guest_.xenstore->Write(kNoTransaction, PolicyPath(3), "x").ok());
  EXPECT_FALSE(guest_.xenstore->Write(kNoTransaction, PolicyPath(4), "x").ok());
}

TEST_F(PolicyStoreTest, MalformedNodeNamesPathAndLine) {
  ASSERT_TRUE(WriteDomainPolicy(dom0(), 3, Sample()).ok());
  ASSERT_TRUE(dom0()
                  .Write(kNoTransaction, PolicyPath(3),
                         "xenshm-policy 1\nallow=moo*\ndeny=\n")
                  .ok());
  auto read = ReadDomainPolicy(dom0(), 3);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), Code::kInvalidArgument);
  EXPECT_EQ(read.error().message(),
            "/local/domain/0/xenshm/policy/3: policy:3: 'deny=': empty "
            "pattern");
}

TEST_F(PolicyStoreTest, NodeNotOwnedByDom0IsIgnored) {
  ASSERT_TRUE(WriteDomainPolicy(dom0(), 3, Sample()).ok());
  ASSERT_TRUE(
      dom0()
          .SetPermissions(kNoTransaction, PolicyPath(3), {{3, XsAccess::kNone}})
          .ok());
  auto read = ReadDomainPolicy(dom0(), 3);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), Code::kNoPermission);
}

TEST_F(PolicyStoreTest, TooLargeIsRefusedBeforeWriting) {
  DomainPolicy big;
  for (int i = 0; i < 60; ++i) {
    big.name_rules.push_back({NameVerdict::kAllow, std::string(100, 'a'), ""});
  }
  Status written = WriteDomainPolicy(dom0(), 3, big);
  EXPECT_EQ(written.code(), Code::kInvalidArgument);
  EXPECT_EQ(ReadDomainPolicy(dom0(), 3).error().code(), Code::kNotFound);
}

}  // namespace
}  // namespace xenshm::policy
