#include "tools/xl-create/xl_create_args.h"

#include "gtest/gtest.h"

namespace xenshm::tools {
namespace {

TEST(XlCreateArgsTest, ConfigAndOverrides) {
  auto args =
      ParseXlCreateArgs({"-q", "guest.cfg", "memory=1024", "name=\"g2\""});
  ASSERT_TRUE(args) << args.error().ToString();
  EXPECT_EQ(args->config, "guest.cfg");
  EXPECT_EQ(args->xl_options, (std::vector<std::string>{"-q"}));
  EXPECT_EQ(args->overrides,
            (std::vector<std::string>{"memory=1024", "name=\"g2\""}));
  EXPECT_EQ(args->policy_file, kDefaultPolicyFile);
  EXPECT_FALSE(args->check_only);
}

TEST(XlCreateArgsTest, OwnOptionsAndDashF) {
  auto args = ParseXlCreateArgs(
      {"--check", "--policy-file=p.cfg", "-f", "g.cfg", "vcpus=2"});
  ASSERT_TRUE(args);
  EXPECT_TRUE(args->check_only);
  EXPECT_EQ(args->policy_file, "p.cfg");
  EXPECT_EQ(args->config, "g.cfg");
  EXPECT_EQ(args->overrides, (std::vector<std::string>{"vcpus=2"}));
  EXPECT_EQ(ParseXlCreateArgs({"-fg.cfg"})->config, "g.cfg");
  EXPECT_EQ(ParseXlCreateArgs({"--defconfig=g.cfg"})->config, "g.cfg");
  EXPECT_EQ(ParseXlCreateArgs({"--", "-odd.cfg"})->config, "-odd.cfg");
}

TEST(XlCreateArgsTest, HelpOnlyAlone) {
  EXPECT_TRUE(ParseXlCreateArgs({"--help"})->help);
  EXPECT_TRUE(ParseXlCreateArgs({"-h"})->help);
  EXPECT_FALSE(ParseXlCreateArgs({"guest.cfg"})->help);
  // With a config, --help is an xl option (xl create --help prints xl's).
  auto with_config = ParseXlCreateArgs({"--help", "guest.cfg"});
  ASSERT_TRUE(with_config);
  EXPECT_FALSE(with_config->help);
}

TEST(XlCreateArgsTest, RefusesWhatBreaksTheSequence) {
  for (const char* option : {"-p", "-c", "-V", "-F", "-n", "-A"}) {
    auto args = ParseXlCreateArgs({option, "guest.cfg"});
    ASSERT_FALSE(args) << option;
    EXPECT_NE(args.error().message().find("cannot be used"), std::string::npos);
  }
  EXPECT_FALSE(ParseXlCreateArgs({}));
  EXPECT_FALSE(ParseXlCreateArgs({"-q"}));
  EXPECT_FALSE(ParseXlCreateArgs({"a.cfg", "b.cfg"}));
  EXPECT_FALSE(ParseXlCreateArgs({"-f"}));
  EXPECT_FALSE(ParseXlCreateArgs({"--policy-file=", "a.cfg"}));
}

}  // namespace
}  // namespace xenshm::tools
