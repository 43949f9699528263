// Stale events on reused event-channel ports, as xenshmd would suffer them.
//
// Linux's evtchn driver keeps the events it queued for a port when the port
// is unbound, and Xen hands the same port number to the next bind. xenshmd
// takes any event on an attachment's control channel for that peer's
// unmap-notify and detaches it. So if a detaching peer's unmap-notify is
// still queued when xenshmd unbinds the control port (it handled the
// peer's Closing first), and the next attachment gets the same port, that
// old event would detach the newcomer. EventChannels::Unbind discards the
// port's queued events (platform/event_channels.h), so it cannot; this test
// fails if it stops doing so (the fake's ring keeps them, as Linux does).
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

std::string BackendNode(XenStore& xs, DomainId domain, const Region& region,
                        std::string_view node) {
  return xs
      .Read(kNoTransaction, schema::BackendNode(domain, region.handle(), node))
      .value_or("");
}

TEST(StaleEvent, AnUnmapNotifyQueuedAtUnbindDoesNotDetachTheNextAttachment) {
  FakeXenSystem system;
  XenStore& dom0 = *system.OpenProcess(kDom0).xenstore;
  auto x = system.NewClient(1).Attach("moo", kPageSize);
  ASSERT_TRUE(x) << x.error().ToString();
  const std::string x_port =
      BackendNode(dom0, 1, **x, schema::kNodeEventChannel);
  ASSERT_FALSE(x_port.empty());

  // xenshmd is slow to read its control events: X's unmap-notify lands in
  // its ring and stays there while it handles X's Closing. (The failing
  // reads stand in for that window; a failed read takes nothing.)
  system.hypervisor().FailAll(fake::Op::kEvtchnRead, Code::kIoError, kDom0);
  ASSERT_TRUE((*x)->Detach().ok());
  ASSERT_TRUE(Eventually([&] {
    return system.DaemonRegions().Find("moo") == nullptr;
  })) << "X's detach was not handled";
  // Y's control channel gets X's old port number.
  auto y = system.NewClient(2).Attach("moo", kPageSize);
  ASSERT_TRUE(y) << y.error().ToString();
  ASSERT_EQ(BackendNode(dom0, 2, **y, schema::kNodeEventChannel), x_port);
  system.hypervisor().ClearFaults();

  // Two attaches, one after the other: by the second's answer xenshmd has
  // read its control events since the reads work again.
  auto z1 = system.NewClient(3).Attach("moo", kPageSize);
  auto z2 = system.NewClient(4).Attach("moo", kPageSize);
  ASSERT_TRUE(z1 && z2);

  // Y is still attached.
  EXPECT_EQ(BackendNode(dom0, 2, **y, schema::kNodeState),
            schema::StateValue(schema::XenbusState::kConnected));
  auto peers = (*z2)->Peers();
  ASSERT_TRUE(peers) << peers.error().ToString();
  std::set<DomainId> domains;
  for (const PeerInfo& peer : *peers) domains.insert(peer.domain);
  EXPECT_EQ(domains, (std::set<DomainId>{2, 3, 4}));
  for (const std::string& line : system.log()) {
    const bool y_detached = line.find("domain 2 handle") != std::string::npos &&
                            line.find("detached") != std::string::npos;
    EXPECT_FALSE(y_detached) << line;
  }
}

}  // namespace
}  // namespace xenshm::testing
