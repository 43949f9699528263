#include "backend/policy/policy_codec.h"

#include "backend/policy/xl_config.h"
#include "gtest/gtest.h"

namespace xenshm::policy {
namespace {

DomainPolicy Sample() {
  auto policy = ParseGuestConfig(
      "xenshm = [ \"deny=secret*\", \"allow=moo*\", \"ro=moo.ro\",\n"
      "  \"groups=video,audio\", \"gid=audio\", \"mode=0640\",\n"
      "  \"umask=022\", \"create=moo,size=2M,gid=video\",\n"
      "  \"create=moo.ro,size=4096,mode=0644\" ]\n",
      "guest.cfg");
  EXPECT_TRUE(policy && *policy);
  return **policy;
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

}  // namespace
}  // namespace xenshm::policy
