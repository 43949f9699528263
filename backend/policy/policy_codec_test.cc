#include "backend/policy/policy_codec.h"

#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/fake_hypervisor/fake_hypervisor.h"

namespace xenshm::policy {
namespace {

// A stanza as guest.cfg would hold it, items on the lines given.
DomainPolicy Built(std::vector<std::pair<int, std::string>> lines) {
  std::vector<LocatedItem> items;
  for (auto& [line, text] : lines) {
    items.push_back({std::move(text), "guest.cfg", line, std::nullopt});
  }
  auto policy = BuildDomainPolicy(items);
  EXPECT_TRUE(policy) << policy.error().ToString();
  return policy ? *policy : DomainPolicy();
}

DomainPolicy Sample() {
  return Built({{1, "deny=secret*"},
                {1, "allow=moo*"},
                {1, "ro=moo.ro"},
                {2, "groups=video,audio"},
                {2, "gid=audio"},
                {2, "mode=0640"},
                {3, "umask=022"},
                {3, "create=moo,size=2M,gid=video"},
                {4, "create=moo.ro,size=4096,mode=0644"}});
}

TEST(PolicyCodecTest, RoundTrips) {
  const DomainPolicy policy = Sample();
  auto text = SerializePolicy(policy);
  ASSERT_TRUE(text) << text.error().ToString();
  EXPECT_EQ(*text,
            "xenshm-policy 1\n"
            "groups=video,audio\n"
            "gid=audio\n"
            "mode=0640\n"
            "umask=0022\n"
            "deny=secret*\tguest.cfg line 1\n"
            "allow=moo*\tguest.cfg line 1\n"
            "ro=moo.ro\tguest.cfg line 1\n"
            "create=moo,size=2097152,mode=0666,gid=video\tguest.cfg line 3\n"
            "create=moo.ro,size=4096,mode=0644,gid=audio\tguest.cfg line 4\n");
  auto back = ParseSerializedPolicy(*text);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, policy);
}

TEST(PolicyCodecTest, DefaultsAreLeftOut) {
  auto text = SerializePolicy(DomainPolicy());
  ASSERT_TRUE(text);
  EXPECT_EQ(*text, "xenshm-policy 1\n");
  EXPECT_EQ(ParseSerializedPolicy(*text).value(), DomainPolicy());
  EXPECT_EQ(ParseSerializedPolicy("xenshm-policy 1").value(), DomainPolicy());
}

TEST(PolicyCodecTest, QuotaRoundTripsAndOnlyWhatDiffersIsWritten) {
  const DomainPolicy policy = Built({{1, "allow=moo"},
                                     {2, "max-region-memory=160M"},
                                     {3, "max-mapped=161M"},
                                     {4, "max-regions=4"},
                                     {5, "max-attachments=0"},
                                     {6, "max-pending=9"},
                                     {7, "max-request-rate=40"}});
  auto text = SerializePolicy(policy);
  ASSERT_TRUE(text) << text.error().ToString();
  // max-regions=4 is the default and is left out.
  EXPECT_EQ(*text,
            "xenshm-policy 1\n"
            "max-attachments=0\n"
            "max-region-memory=167772160\n"
            "max-mapped=168820736\n"
            "max-pending=9\n"
            "max-request-rate=40\n"
            "allow=moo\tguest.cfg line 1\n");
  auto back = ParseSerializedPolicy(*text);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(*back, policy);
  EXPECT_EQ(back->quota,
            (backend::DomainQuota{4, 0, 160u << 20, 161u << 20, 9, 40}));
}

TEST(PolicyCodecTest, RuleWithoutSourceStaysWithout) {
  DomainPolicy policy;
  policy.name_rules.push_back({NameVerdict::kAllow, "a*", ""});
  auto text = SerializePolicy(policy);
  ASSERT_TRUE(text);
  EXPECT_EQ(ParseSerializedPolicy(*text).value(), policy);
}

TEST(PolicyCodecTest, SourcesAreCleaned) {
  DomainPolicy policy;
  policy.name_rules.push_back(
      {NameVerdict::kAllow, "a*", "bad\tname\n" + std::string(300, 'x')});
  auto text = SerializePolicy(policy);
  ASSERT_TRUE(text);
  auto back = ParseSerializedPolicy(*text);
  ASSERT_TRUE(back) << back.error().ToString();
  EXPECT_EQ(back->name_rules[0].source.size(), kMaxSourceLength);
  EXPECT_EQ(back->name_rules[0].source.rfind("bad?name?xx", 0), 0u);
}

TEST(PolicyCodecTest, RefusesTooLarge) {
  DomainPolicy policy;
  for (int i = 0; i < 60; ++i) {
    policy.name_rules.push_back(
        {NameVerdict::kAllow, std::string(100, 'a'), "somewhere"});
  }
  auto text = SerializePolicy(policy);
  ASSERT_FALSE(text);
  EXPECT_NE(text.error().message().find("3072"), std::string::npos);
}

TEST(PolicyCodecTest, RefusesHostileText) {
  struct Case {
    std::string text;
    std::string reason;
  };
  const std::string header = "xenshm-policy 1\n";
  for (const Case& c : std::vector<Case>{
           {"", "expected header"},
           {"xenshm-policy 2\n", "expected header"},
           {"xenshm-policy 10\n", "expected header"},
           {header + "allow=a", "no newline"},
           {header + "allow=a\t\n", "source must be"},
           {header + "allow=a\tsrc\x01\n", "not printable"},
           {header + "allow=a b\n", "policy:2: 'allow=a b'"},
           {header + "allow=a\n\n", "policy:3: '':"},
           {header + "umask=1\numask=2\n", "given twice"},
           {header + "max-pending=1\nmax-pending=1\n", "given twice"},
           {header + "max-mapped=65G\n", "max-mapped"},
           {header + "create=x,size=1\ndeny=x\n", "own rule"},
           {header + "gid=video\n", "not one of"},
           {header + std::string(4000, 'a') + "\n", "more than 3072"},
       }) {
    auto policy = ParseSerializedPolicy(c.text);
    ASSERT_FALSE(policy) << c.text;
    EXPECT_EQ(policy.error().code(), Code::kInvalidArgument);
    EXPECT_NE(policy.error().message().find(c.reason), std::string::npos)
        << policy.error().message();
  }
}

// ---------------------------------------------------------------- node

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

DomainPolicy StoreSample() {
  return Built({{1, "allow=moo*"},
                {1, "groups=video"},
                {2, "create=moo,size=1M,mode=0640"},
                {3, "max-region-memory=160M"},
                {3, "max-mapped=160M"}});
}

TEST_F(PolicyStoreTest, WritesAndReadsBack) {
  EXPECT_EQ(PolicyPath(3), "/local/domain/0/xenshm/policy/3");
  ASSERT_TRUE(WriteDomainPolicy(dom0(), 3, StoreSample()).ok());
  auto read = ReadDomainPolicy(dom0(), 3);
  ASSERT_TRUE(read) << read.error().ToString();
  EXPECT_EQ(*read, StoreSample());
}

TEST_F(PolicyStoreTest, MissingIsNotFound) {
  auto read = ReadDomainPolicy(dom0(), 3);
  ASSERT_FALSE(read);
  EXPECT_EQ(read.error().code(), Code::kNotFound);
  EXPECT_TRUE(RemoveDomainPolicy(dom0(), 3).ok());
}

TEST_F(PolicyStoreTest, RemoveDeletesTheNode) {
  ASSERT_TRUE(WriteDomainPolicy(dom0(), 3, StoreSample()).ok());
  ASSERT_TRUE(RemoveDomainPolicy(dom0(), 3).ok());
  EXPECT_EQ(ReadDomainPolicy(dom0(), 3).error().code(), Code::kNotFound);
}

TEST_F(PolicyStoreTest, GuestsCanNeitherReadNorWrite) {
  ASSERT_TRUE(WriteDomainPolicy(dom0(), 3, StoreSample()).ok());
  auto perms = dom0().GetPermissions(kNoTransaction, PolicyPath(3));
  ASSERT_TRUE(perms);
  EXPECT_EQ(*perms, (std::vector<XsPermission>{{kDom0, XsAccess::kNone}}));
  EXPECT_FALSE(guest_.xenstore->Read(kNoTransaction, PolicyPath(3)));
  EXPECT_FALSE(guest_.xenstore->Write(kNoTransaction, PolicyPath(3), "x").ok());
  EXPECT_FALSE(guest_.xenstore->Write(kNoTransaction, PolicyPath(4), "x").ok());
}

TEST_F(PolicyStoreTest, MalformedNodeNamesPathAndLine) {
  ASSERT_TRUE(WriteDomainPolicy(dom0(), 3, StoreSample()).ok());
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
  ASSERT_TRUE(WriteDomainPolicy(dom0(), 3, StoreSample()).ok());
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
