// The converter over real-looking qvm configurations (testdata/) and the
// corner cases one option at a time; every stanza it gives must parse as
// xenshm-xl-create parses it.
#include "tools/qnx-config/shmem_conversion.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "backend/policy/xl_config.h"
#include "tools/qnx-config/qvm_config.h"

namespace xenshm::qnx_config {
namespace {

std::string TestData(const std::string& name) {
  const std::string path = std::string(std::getenv("TEST_SRCDIR")) + "/" +
                           std::getenv("TEST_WORKSPACE") +
                           "/tools/qnx-config/testdata/" + name;
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

Conversion Convert(const std::string& text) {
  return ConvertShmem(ParseQvmConfig(text));
}

// A block's conversion, with the given options under `vdev shmem`.
Conversion Block(const std::string& options) {
  return Convert("system g\nvdev shmem\n" + options + "vdev ser8250\n");
}

std::vector<std::string> Items(const Conversion& c) {
  std::vector<std::string> items;
  for (const auto& item : c.items) items.push_back(item.item);
  return items;
}

// The remarks' "LINE: text" for failure messages and matching.
std::string Lines(const std::vector<Remark>& remarks) {
  std::string out;
  for (const auto& r : remarks) {
    out += std::to_string(r.line) + ": " + r.text + "\n";
  }
  return out;
}

bool Mentions(const std::vector<Remark>& remarks, int line,
              const std::string& text) {
  for (const auto& r : remarks) {
    if (r.line == line && r.text.find(text) != std::string::npos) return true;
  }
  return false;
}

void ExpectParses(const Conversion& c) {
  ASSERT_TRUE(c.refusals.empty()) << Lines(c.refusals);
  auto parsed =
      policy::ParseGuestConfig(RenderStanza(c, "x.qvmconf", "x"), "converted");
  ASSERT_TRUE(parsed) << parsed.error().ToString() << "\n"
                      << RenderStanza(c, "x.qvmconf", "x");
  EXPECT_TRUE(parsed->has_value());
}

TEST(QvmConfig, FindsTheShmemBlockAmongOtherDevices) {
  QvmConfig config = ParseQvmConfig(TestData("cluster.qvmconf"));
  EXPECT_EQ(config.system, "cluster");
  ASSERT_EQ(config.shmem_blocks.size(), 1u);
  EXPECT_EQ(config.shmem_blocks[0].line, 16);
  // The ioapic's loc/intr/name lines are not the shmem block's.
  ASSERT_EQ(config.shmem_blocks[0].options.size(), 3u);
  EXPECT_EQ(config.shmem_blocks[0].options[0].keyword, "create");
  EXPECT_EQ(config.shmem_blocks[0].options[0].argument, "TEST1,0xf0000");
  EXPECT_EQ(config.shmem_blocks[0].options[1].line, 18);
}

TEST(Convert, ClusterHexSizeAndNothingToConvertForLocAndIntr) {
  Conversion c = Convert(TestData("cluster.qvmconf"));
  EXPECT_EQ(Items(c), std::vector<std::string>{"create=TEST1,size=0xf0000"});
  EXPECT_TRUE(Mentions(c.notes, 18, "loc 0x10000000: nothing to convert"))
      << Lines(c.notes);
  EXPECT_TRUE(Mentions(c.notes, 19, "intr myioapic:10: nothing to convert"));
  EXPECT_EQ(c.dom0_regions, std::vector<std::string>{"TEST1"});
  ExpectParses(c);
}

TEST(Convert, CameraAllowsGroupUmaskAndModes) {
  Conversion c = Convert(TestData("camera.qvmconf"));
  EXPECT_EQ(Items(c), (std::vector<std::string>{
                          "allow=cam*",
                          "allow=frames",
                          "groups=video",
                          "gid=video",
                          "umask=0027",
                          "create=cam0,size=0x800000,mode=0660,gid=video",
                          "create=cam-meta,size=0x1000,mode=0640",
                          "create=cam-ctl,size=4096",
                      }));
  EXPECT_TRUE(Mentions(c.notes, 9, "implicit final deny *"));
  EXPECT_TRUE(Mentions(c.notes, 16, "sched 12: nothing to convert"));
  EXPECT_EQ(c.groups, std::set<std::string>{"video"});
  ExpectParses(c);
  // The rendered text names the source lines and dom0's groups line.
  const std::string text = RenderStanza(c, "camera.qvmconf", "camera");
  EXPECT_NE(text.find("\"allow=cam*\",                         # "
                      "camera.qvmconf:9"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("groups = [ \"video\" ]"), std::string::npos);
}

TEST(Convert, MediaDeniesWithImplicitAllowAndDropsExecuteBits) {
  Conversion c = Convert(TestData("media.qvmconf"));
  EXPECT_EQ(Items(c), (std::vector<std::string>{
                          "deny=live*",
                          "deny=pluto",
                          "groups=audio",
                          "umask=0002",
                          "create=media-ring,size=0x00100000,mode=0666",
                          "create=audio,size=65536,mode=0664,gid=audio",
                      }));
  EXPECT_TRUE(Mentions(c.notes, 8, "implicit final allow *"));
  EXPECT_TRUE(Mentions(c.notes, 12, "mode 0775 written as 0664"));
  EXPECT_TRUE(Mentions(c.notes, 0, "get group audio"));
  ExpectParses(c);
}

TEST(Convert, ABareVdevIsAnEmptyStanzaAndNoVdevIsNone) {
  Conversion open = Convert(TestData("open.qvmconf"));
  EXPECT_TRUE(open.has_shmem);
  EXPECT_TRUE(open.items.empty());
  ExpectParses(open);
  Conversion none = Convert(TestData("no-shmem.qvmconf"));
  EXPECT_FALSE(none.has_shmem);
}

TEST(Convert, RefusalsNameTheirLines) {
  Conversion c = Convert(TestData("refused.qvmconf"));
  EXPECT_TRUE(Mentions(c.refusals, 4, "precedes gid media (line 9)"))
      << Lines(c.refusals);
  EXPECT_TRUE(Mentions(c.refusals, 5, "group 1001 is a number"));
  EXPECT_TRUE(Mentions(c.refusals, 6, "'sensors/*' has '/'"));
  EXPECT_TRUE(Mentions(c.refusals, 7, "is 42 bytes"));
  EXPECT_TRUE(Mentions(c.refusals, 8, "subst"));
  EXPECT_TRUE(
      Mentions(c.refusals, 11, "unknown vdev shmem option 'frobnicate'"));
  EXPECT_TRUE(
      Mentions(c.refusals, 12, "umask 0077 follows the create at line 4"));
  EXPECT_EQ(c.refusals.size(), 7u) << Lines(c.refusals);
}

TEST(Convert, ASecondBlockIsRefused) {
  Conversion c = Convert(TestData("two-blocks.qvmconf"));
  EXPECT_TRUE(Mentions(c.refusals, 4, "a second vdev shmem"));
}

TEST(Convert, NamesUpToThirtyTwoBytes) {
  const std::string name32(32, 'n'), name33(33, 'n');
  ExpectParses(Block("create " + name32 + ",0x1000\n"));
  Conversion c = Block("create " + name33 + ",0x1000\n");
  EXPECT_TRUE(Mentions(c.refusals, 3, "is 33 bytes"));
}

TEST(Convert, SizesAsXenshmReadsThem) {
  EXPECT_EQ(Items(Block("create a,64K\n")),
            std::vector<std::string>{"create=a,size=64K"});
  EXPECT_EQ(Items(Block("create a,0X1000\n")),
            std::vector<std::string>{"create=a,size=0X1000"});
  for (const char* bad : {"0x", "1.5M", "-1", "0x10K", "2G"}) {
    Conversion c = Block(std::string("create a,") + bad + "\n");
    EXPECT_EQ(c.refusals.size(), 1u) << bad;
  }
  EXPECT_TRUE(Mentions(Block("create a,0\n").refusals, 3, "0 bytes"));
}

TEST(Convert, ModesGroupsAndTheirOrder) {
  // A gid before the creates is everybody's default: fine.
  Conversion ok = Block("gid video\ncreate a,0x1000\ncreate b,0x1000,0600\n");
  EXPECT_EQ(Items(ok), (std::vector<std::string>{
                           "groups=video", "gid=video", "create=a,size=0x1000",
                           "create=b,size=0x1000,mode=0600"}));
  ExpectParses(ok);
  EXPECT_TRUE(Mentions(Block("create a,0x1000,rw\n").refusals, 3, "not octal"));
  EXPECT_TRUE(Mentions(Block("create a,0x1000,0660,video,x\n").refusals, 3,
                       "name,size[,mode[,gid]]"));
  EXPECT_TRUE(Mentions(Block("gid a\ngid b\n").refusals, 4, "a second gid"));
  EXPECT_TRUE(
      Mentions(Block("umask 022\numask 077\n").refusals, 4, "a second umask"));
  // A umask after a create it does not change is harmless.
  ExpectParses(Block("create a,0x1000,0600\numask 077\n"));
  // Several groups: the gid first, so it is also xenshm's default.
  Conversion groups =
      Block("gid video\ncreate a,0x1000,0660,audio\ncreate b,0x1000,0660,x\n");
  EXPECT_EQ(Items(groups)[0], "groups=video,audio,x");
  ExpectParses(groups);
}

TEST(Convert, PatternsAreXenshmGlobs) {
  ExpectParses(Block("allow cam[0-9]?\ndeny cam[!x]*\n"));
  EXPECT_TRUE(Mentions(Block("allow a b\n").refusals, 3, "has ' '"));
  EXPECT_EQ(Items(Block("deny pluto\nallow pluto*\n")),
            (std::vector<std::string>{"deny=pluto", "allow=pluto*"}));
}

}  // namespace
}  // namespace xenshm::qnx_config
