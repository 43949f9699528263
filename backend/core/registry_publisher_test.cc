#include "backend/core/registry_publisher.h"

#include <gtest/gtest.h>

#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {
namespace {

class RegistryPublisherTest : public ::testing::Test {
 protected:
  RegistryPublisherTest() {
    hv_.CreateDomain(1);
    hv_.CreateDomain(2);
    hv_.CreateDomain(3);
    dom0_ = std::move(hv_.OpenPlatform(kDom0).value());
    guest1_ = std::move(hv_.OpenPlatform(1).value());
    guest3_ = std::move(hv_.OpenPlatform(3).value());
    (void)xs0().Mkdir(kNoTransaction, schema::RegistryRoot());
    region_.name = "moo";
    region_.size = 8192;
    region_.attributes = {{std::string(schema::kRegistryMode), "0660"}};
    region_.peers[0] = Peer{{1, 0}, 0, schema::Access::kReadWrite};
    region_.peers[1] = Peer{{2, 3}, 1, schema::Access::kReadOnly};
  }
  XenStore& xs0() { return *dom0_.xenstore; }
  std::optional<std::string> Node(XenStore& xs, std::string_view node) {
    auto read = xs.Read(kNoTransaction,
                        schema::RegistryPath("moo") + "/" + std::string(node));
    if (!read) return std::nullopt;
    return *read;
  }
  // Watch events dom0 has seen under the entry since the last call.
  size_t Changes() {
    size_t changes = 0;
    while (xs0().TakeWatchEvent()) ++changes;
    return changes;
  }

  fake::FakeHypervisor hv_;
  Platform dom0_, guest1_, guest3_;
  Region region_;
};

TEST_F(RegistryPublisherTest, PublishesSizeAttributesAndPeersToMembersOnly) {
  RegistryPublisher registry(xs0());
  registry.Publish(region_);
  EXPECT_EQ(Node(xs0(), "size"), "8192");
  EXPECT_EQ(Node(xs0(), "mode"), "0660");
  EXPECT_EQ(Node(xs0(), "peers/0"), "1/0");
  EXPECT_EQ(Node(xs0(), "peers/1"), "2/3");
  EXPECT_EQ(Node(*guest1_.xenstore, "peers/1"), "2/3");  // a member reads
  EXPECT_FALSE(Node(*guest3_.xenstore, "size"));         // others cannot
  EXPECT_FALSE(Node(*guest3_.xenstore, "peers/0"));
}

TEST_F(RegistryPublisherTest, WritesOnlyWhatChanged) {
  RegistryPublisher registry(xs0());
  registry.Publish(region_);
  ASSERT_TRUE(xs0().Watch(schema::RegistryPath("moo"), "registry").ok());
  Changes();  // a new watch fires once
  registry.Publish(region_);
  EXPECT_EQ(Changes(), 0u);
  region_.peers[2] = Peer{{3, 0}, 2, schema::Access::kReadWrite};
  registry.Publish(region_);
  EXPECT_GT(Changes(), 0u);
  EXPECT_EQ(Node(*guest3_.xenstore, "peers/2"), "3/0");
}

TEST_F(RegistryPublisherTest, ADepartedPeerLosesItsEntryAndItsReadAccess) {
  RegistryPublisher registry(xs0());
  registry.Publish(region_);
  region_.peers.erase(0);
  registry.Publish(region_);
  EXPECT_FALSE(Node(xs0(), "peers/0"));
  EXPECT_EQ(Node(xs0(), "peers/1"), "2/3");
  EXPECT_FALSE(Node(*guest1_.xenstore, "size"));
}

TEST_F(RegistryPublisherTest, AFirstPublishDropsPeersAnEarlierDaemonListed) {
  // An earlier xenshmd listed three peers; the region it left has two now.
  {
    RegistryPublisher earlier(xs0());
    Region three = region_;
    three.peers[2] = Peer{{3, 0}, 2, schema::Access::kReadWrite};
    earlier.Publish(three);
  }
  ASSERT_TRUE(Node(xs0(), "peers/2"));
  RegistryPublisher registry(xs0());
  registry.Publish(region_);
  EXPECT_FALSE(Node(xs0(), "peers/2"));
  EXPECT_EQ(Node(xs0(), "peers/0"), "1/0");
  EXPECT_EQ(Node(xs0(), "peers/1"), "2/3");
}

TEST_F(RegistryPublisherTest, RemoveAndClear) {
  RegistryPublisher registry(xs0());
  registry.Publish(region_);
  registry.Remove("moo");
  EXPECT_FALSE(Node(xs0(), "size"));
  // Clear also removes entries this publisher never wrote (an earlier
  // xenshmd's).
  ASSERT_TRUE(
      xs0()
          .Write(kNoTransaction, schema::RegistryPath("ghost") + "/size", "1")
          .ok());
  registry.Publish(region_);
  registry.Clear();
  EXPECT_TRUE(xs0().List(kNoTransaction, schema::RegistryRoot())->empty());
  // After a Clear the next Publish writes everything again.
  registry.Publish(region_);
  EXPECT_EQ(Node(xs0(), "size"), "8192");
}

}  // namespace
}  // namespace xenshm::backend
