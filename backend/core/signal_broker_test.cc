#include "backend/core/signal_broker.h"

#include <gtest/gtest.h>
#include <poll.h>

#include "tests/fake_hypervisor/fake_hypervisor.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {
namespace {

Holdings HeldOn(EventPort control_port) {
  Holdings held;
  held.control_port = control_port;
  return held;
}

// Peers A (domain 1, index 0) and B (domain 2, index 1) of region "moo",
// each with a control channel from dom0 that its guest has bound.
class SignalBrokerTest : public ::testing::Test {
 protected:
  SignalBrokerTest() {
    hv_.CreateDomain(1);
    hv_.CreateDomain(2);
    dom0_ = std::move(hv_.OpenPlatform(kDom0).value());
    channels_ = std::move(dom0_.open_event_channels().value());
    region_.name = "moo";
    for (uint32_t index : {0u, 1u}) {
      const DomainId domain = static_cast<DomainId>(index + 1);
      guests_[index] = std::move(hv_.OpenPlatform(domain).value());
      guest_channels_[index] =
          std::move(guests_[index].open_event_channels().value());
      const EventPort port = channels_->AllocateUnbound(domain).value();
      guest_channels_[index]->BindInterdomain(kDom0, port).value();
      region_.peers[index] =
          Peer{{domain, 0}, index, schema::Access::kReadWrite};
      attachments_.Open({domain, 0}).held = HeldOn(port);
    }
    Woken(0);  // binding raises one spurious event, as on Xen
    Woken(1);
  }
  XenStore& xs0() { return *dom0_.xenstore; }
  std::optional<std::string> Member(uint32_t viewer, uint32_t index,
                                    std::string_view node) {
    const Peer& peer = region_.peers.at(viewer);
    auto read = xs0().Read(
        kNoTransaction,
        schema::BackendMemberPath(peer.key.domain, peer.key.handle, index) +
            "/" + std::string(node));
    if (!read) return std::nullopt;
    return *read;
  }
  std::optional<std::string> Members(uint32_t viewer) {
    const Peer& peer = region_.peers.at(viewer);
    auto read = xs0().Read(kNoTransaction,
                           schema::BackendNode(peer.key.domain, peer.key.handle,
                                               schema::kNodeMembers));
    if (!read) return std::nullopt;
    return *read;
  }
  // Whether peer `index`'s control channel fired since the last call.
  bool Woken(uint32_t index) {
    EventChannels& channels = *guest_channels_[index];
    bool woken = false;
    while (auto pending = channels.TakePending()) {
      if (!*pending) break;
      woken = true;
      (void)channels.Unmask(**pending);
    }
    return woken;
  }
  void WriteFrontendEntry(uint32_t from, std::string_view list, uint32_t to,
                          std::string_view value) {
    const Peer& peer = region_.peers.at(from);
    ASSERT_TRUE(xs0()
                    .Write(kNoTransaction,
                           schema::FrontendListEntry(peer.key.domain,
                                                     peer.key.handle, list, to),
                           std::string(value))
                    .ok());
  }

  fake::FakeHypervisor hv_;
  Platform dom0_;
  std::unique_ptr<EventChannels> channels_;
  Platform guests_[2];
  std::unique_ptr<EventChannels> guest_channels_[2];
  Region region_;
  AttachmentTable attachments_;
};

TEST_F(SignalBrokerTest, MembersListEveryPeerToEveryPeerAndWakeThem) {
  SignalBroker broker(xs0(), *channels_, attachments_);
  broker.PublishMembers(region_);
  EXPECT_EQ(Members(0), "0=1/0 1=2/0");
  EXPECT_EQ(Members(1), "0=1/0 1=2/0");
  EXPECT_TRUE(Woken(0));
  EXPECT_TRUE(Woken(1));
  region_.peers.erase(0);
  broker.UnpublishMember(region_, 0, {1, 0});
  EXPECT_EQ(Members(1), "1=2/0");
  EXPECT_TRUE(Woken(1));
}

TEST_F(SignalBrokerTest, AJoinWritesOneValuePerPeerAndOnlyIfItChanged) {
  SignalBroker broker(xs0(), *channels_, attachments_);
  broker.PublishMembers(region_);
  const uint64_t writes = hv_.Calls(fake::Op::kXsWrite, kDom0);
  broker.PublishMembers(region_);  // nothing changed: nothing written
  EXPECT_EQ(hv_.Calls(fake::Op::kXsWrite, kDom0), writes);
  // A rewritten node is not read back: the broker trusts what it wrote.
  ASSERT_TRUE(xs0()
                  .Write(kNoTransaction,
                         schema::BackendNode(1, 0, schema::kNodeMembers), "x")
                  .ok());
  broker.PublishMembers(region_);
  EXPECT_EQ(Members(0), "x");
  region_.peers.erase(1);
  broker.PublishMembers(region_);
  EXPECT_EQ(Members(0), "0=1/0");
  // One write per remaining peer, none for the one that left.
  EXPECT_EQ(hv_.Calls(fake::Op::kXsWrite, kDom0), writes + 2);
}

TEST_F(SignalBrokerTest, ALeaveRemovesWhatWasRelayedAboutTheDeparted) {
  SignalBroker broker(xs0(), *channels_, attachments_);
  broker.PublishMembers(region_);
  WriteFrontendEntry(0, schema::kNodeOffers, 1, "33");
  broker.Relay(region_, region_.peers.at(0));
  ASSERT_EQ(Member(1, 0, schema::kNodeOffer), "33");
  region_.peers.erase(0);
  broker.UnpublishMember(region_, 0, {1, 0});
  EXPECT_FALSE(Member(1, 0, schema::kNodeOffer));
  EXPECT_EQ(Members(1), "1=2/0");
}

TEST_F(SignalBrokerTest, RelaysOffersUpwardAndAcknowledgementsDownward) {
  SignalBroker broker(xs0(), *channels_, attachments_);
  WriteFrontendEntry(0, schema::kNodeOffers, 1, "33");
  broker.Relay(region_, region_.peers.at(0));
  EXPECT_EQ(Member(1, 0, schema::kNodeOffer), "33");
  EXPECT_TRUE(Woken(1));
  EXPECT_FALSE(Woken(0));
  // Relaying again changes nothing and wakes nobody.
  broker.Relay(region_, region_.peers.at(0));
  EXPECT_FALSE(Woken(1));
  WriteFrontendEntry(1, schema::kNodeBound, 0, "1");
  broker.Relay(region_, region_.peers.at(1));
  EXPECT_EQ(Member(0, 1, schema::kNodeConnected), "1");
  EXPECT_TRUE(Woken(0));
}

TEST_F(SignalBrokerTest, IgnoresWrongDirectionsAbsentPeersAndJunk) {
  SignalBroker broker(xs0(), *channels_, attachments_);
  WriteFrontendEntry(1, schema::kNodeOffers, 0, "44");  // higher offers lower
  WriteFrontendEntry(0, schema::kNodeOffers, 5, "45");  // nobody at 5
  WriteFrontendEntry(0, schema::kNodeBound, 1, "1");    // lower acks higher
  broker.Relay(region_, region_.peers.at(1));
  broker.Relay(region_, region_.peers.at(0));
  EXPECT_FALSE(Member(0, 1, schema::kNodeOffer));
  EXPECT_FALSE(Member(1, 0, schema::kNodeConnected));
  EXPECT_FALSE(Woken(0));
  EXPECT_FALSE(Woken(1));
  WriteFrontendEntry(0, schema::kNodeOffers, 1, "not a port");
  broker.Relay(region_, region_.peers.at(0));
  EXPECT_FALSE(Member(1, 0, schema::kNodeOffer));
  EXPECT_FALSE(Woken(1));
}

}  // namespace
}  // namespace xenshm::backend
