// A restarted xenshmd adopts what its predecessor left: the kernel module's
// regions, xenstore's requests and answers, the peers' control channels and
// the journal (docs/architecture.md, "Restart and adoption"). Peers keep
// their memory, bytes and signals and never see Closed; what happened while
// no daemon ran is processed when the new one starts.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <string>

#include "backend/core/state_journal.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "tests/integration/raw_request.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

using std::chrono::milliseconds;

constexpr DomainId kA = 1;
constexpr DomainId kB = 2;
constexpr DomainId kC = 3;

bool Logged(const FakeXenSystem& system, std::string_view text) {
  for (const std::string& line : system.log()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

std::string BackendState(FakeXenSystem& system, DomainId domain,
                         uint32_t handle) {
  return system.OpenProcess(kDom0)
      .xenstore
      ->Read(kNoTransaction,
             schema::BackendNode(domain, handle, schema::kNodeState))
      .value_or("");
}

size_t PeerCount(Region& region) {
  auto peers = region.Peers();
  return peers ? peers->size() : 0;
}

class Restarts : public ::testing::TestWithParam<bool> {
 protected:
  // Crashed (kill -9) or stopped by SIGTERM (Shutdown ran), then started.
  Status RestartIt() {
    return system_.RestartDaemon(/*reset=*/false, GetParam());
  }
  FakeXenSystem system_;
};

INSTANTIATE_TEST_SUITE_P(KilledOrStopped, Restarts, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "Sigterm" : "Kill9";
                         });

TEST_P(Restarts, PeersKeepTheirMemorySignalsAndPeerList) {
  auto a = system_.NewClient(kA).Attach("moo", 2 * kPageSize);
  auto b = system_.NewClient(kB).Attach("moo", 2 * kPageSize);
  auto d = system_.NewClient(kDom0).Attach("moo", 2 * kPageSize);
  ASSERT_TRUE(a && b && d);
  std::strcpy(static_cast<char*>((*a)->data()) + kPageSize, "before");
  ASSERT_TRUE(Eventually([&] {
    auto reached = (*a)->ReachablePeers();
    (void)(*b)->ReachablePeers();  // each binds what the others offered
    (void)(*d)->ReachablePeers();
    return reached && *reached == (PeerBit(1) | PeerBit(2));
  }));

  ASSERT_TRUE(RestartIt().ok());
  EXPECT_TRUE(Logged(system_, "adopting 1 regions and 3 peers"));
  // Nobody was told Closed, and the bytes are where they were.
  EXPECT_EQ(BackendState(system_, kA, (*a)->handle()), "4");
  EXPECT_EQ(BackendState(system_, kB, (*b)->handle()), "4");
  EXPECT_EQ(BackendState(system_, kDom0, (*d)->handle()), "4");
  EXPECT_STREQ(static_cast<char*>((*b)->data()) + kPageSize, "before");
  EXPECT_STREQ(static_cast<char*>((*d)->data()) + kPageSize, "before");
  EXPECT_EQ(PeerCount(**a), 3u);
  // Signals go peer to peer: they never needed the daemon.
  auto sent = (*a)->Signal(PeerBit(1));
  ASSERT_TRUE(sent);
  EXPECT_EQ(sent->reached, PeerBit(1));
  // (The restart woke every peer once, to read members again: that wake
  // may come first.)
  EXPECT_TRUE(Eventually([&] {
    auto woke = (*b)->Wait(milliseconds(100));
    return woke && woke->signaled_by == PeerBit(0);
  }));

  // A newcomer joins the same memory, and the old peers hear of it on their
  // control channels, which the new daemon bound again.
  (void)(*a)->TakeStatus();
  auto c = system_.NewClient(kC).Attach("moo", kPageSize);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ((*c)->peer_index(), 3u);
  EXPECT_STREQ(static_cast<char*>((*c)->data()) + kPageSize, "before");
  EXPECT_TRUE(Eventually([&] {
    auto status = (*a)->Wait(milliseconds(100));
    return status && (status->attached & PeerBit(3)) != 0;
  }));

  // The last detach still destroys, and nothing is left.
  for (auto* region : {&*a, &*b, &*c, &*d}) {
    EXPECT_TRUE((*region)->Detach().ok());
  }
  EXPECT_TRUE(Eventually([&] {
    GranterCounts counts = system_.counts();
    return counts.regions == 0 && counts.grants == 0;
  }));
}

TEST_P(Restarts, ADetachWhileNoDaemonRunsIsProcessed) {
  auto a = system_.NewClient(kA).Attach("moo", kPageSize);
  auto b = system_.NewClient(kB).Attach("moo", kPageSize);
  ASSERT_TRUE(a && b);
  system_.StopDaemon(GetParam());
  // Unmapped, Closing, no answer in time: the library withdraws anyway.
  EXPECT_EQ((*b)->Detach().code(), Code::kBackendUnavailable);
  ASSERT_TRUE(system_.RestartDaemon(/*reset=*/false).ok());
  EXPECT_TRUE(Eventually([&] { return PeerCount(**a) == 1; }));
  EXPECT_EQ(BackendState(system_, kA, (*a)->handle()), "4");
  // The registry no longer lists it either.
  XenStore& dom0 = *system_.OpenProcess(kDom0).xenstore;
  EXPECT_TRUE(Eventually([&] {
    return !dom0.Read(kNoTransaction, schema::RegistryPeerPath("moo", 1));
  }));
  EXPECT_TRUE(dom0.Read(kNoTransaction, schema::RegistryPeerPath("moo", 0)));
  // A's region page and directory are all that is granted.
  EXPECT_TRUE(Eventually([&] { return system_.counts().grants == 2; }));
}

TEST_P(Restarts, ADomainDestroyedWhileNoDaemonRunsIsDetached) {
  auto a = system_.NewClient(kA).Attach("moo", kPageSize);
  auto b = system_.NewClient(kB).Attach("moo", kPageSize);
  ASSERT_TRUE(a && b);
  system_.StopDaemon(GetParam());
  system_.hypervisor().DestroyDomain(kB);
  ASSERT_TRUE(system_.RestartDaemon(/*reset=*/false).ok());
  EXPECT_TRUE(Eventually([&] { return PeerCount(**a) == 1; }));
  EXPECT_TRUE(Logged(system_, "domain 2 is gone"));
  EXPECT_EQ(system_.counts().grants, 2u);
  EXPECT_TRUE((*a)->Detach().ok());
  EXPECT_TRUE(Eventually([&] { return system_.counts().regions == 0; }));
}

TEST_P(Restarts, AGuestProcessThatDiedWhileNoDaemonRanIsDetached) {
  auto a = system_.NewClient(kA).Attach("moo", kPageSize);
  ASSERT_TRUE(a);
  // B's process speaks the protocol raw, so the test can kill it: gntdev
  // unmaps (its notify finds no daemon) and its event channels close; its
  // frontend stays Connected forever.
  Platform& b = system_.OpenProcess(kB);
  XenStore& xs = *b.xenstore;
  RawAttachment raw = AttachRaw(b, "moo", 0);
  ASSERT_TRUE(raw.mapping);
  const EventPort* control = &raw.control_port;
  ASSERT_TRUE(Eventually([&] { return PeerCount(**a) == 2; }));
  // The daemon has learned B's end of the control channel.
  ASSERT_TRUE(Eventually([&] {
    auto snapshot = backend::DecodeJournal(*system_.journal().text());
    return snapshot && std::ranges::any_of(snapshot->peers, [&](auto& peer) {
             return peer.key.domain == kB && peer.peer_port == *control;
           });
  }));
  system_.StopDaemon(GetParam());
  raw.mapping.reset();
  raw.channels.reset();
  ASSERT_TRUE(system_.RestartDaemon(/*reset=*/false).ok());
  EXPECT_TRUE(Eventually([&] { return PeerCount(**a) == 1; }));
  EXPECT_TRUE(Logged(system_, "its control channel closed"));
  // And its request is withdrawn after the grace, as for any dead process.
  EXPECT_TRUE(Eventually(
      [&] { return !xs.Read(kNoTransaction, schema::FrontendPath(kB, 0)); },
      milliseconds(5000)));
}

TEST_P(Restarts, ADom0ProgramWhosePidNamesAnotherProcessNowIsDetached) {
  auto a = system_.NewClient(kA).Attach("moo", kPageSize);
  auto d = system_.NewClient(kDom0).Attach("moo", kPageSize);
  ASSERT_TRUE(a && d);
  system_.StopDaemon(GetParam());
  // What the journal says of the dom0 program: its pid, now some other
  // process (here: a start time that is not this process's).
  auto snapshot = backend::DecodeJournal(*system_.journal().text());
  ASSERT_TRUE(snapshot) << snapshot.error().ToString();
  bool found = false;
  for (backend::JournaledPeer& peer : snapshot->peers) {
    if (peer.key.domain == kDom0) {
      EXPECT_EQ(peer.pid, getpid());
      peer.pid_started += 1;
      found = true;
    }
  }
  ASSERT_TRUE(found);
  system_.journal().set_text(backend::EncodeJournal(*snapshot));
  ASSERT_TRUE(system_.RestartDaemon(/*reset=*/false).ok());
  EXPECT_TRUE(Eventually([&] { return PeerCount(**a) == 1; }));
  EXPECT_TRUE(Logged(system_, "its process exited while no xenshmd ran"));
}

TEST(RestartJournal, AnUnreadableJournalIsRefusedNotGuessed) {
  FakeXenSystem system;
  auto a = system.NewClient(kA).Attach("moo", kPageSize);
  ASSERT_TRUE(a);
  system.StopDaemon();
  std::string text = *system.journal().text();
  text.replace(text.find("index="), 6, "indux=");
  system.journal().set_text(text);
  Status started = system.RestartDaemon(/*reset=*/false);
  EXPECT_EQ(started.code(), Code::kInvalidArgument);
  EXPECT_NE(started.message().find("--reset"), std::string::npos)
      << started.message();
  // --reset is the explicit wipe: the old peer is told to attach again.
  ASSERT_TRUE(system.RestartDaemon(/*reset=*/true).ok());
  EXPECT_TRUE(Eventually(
      [&] { return BackendState(system, kA, (*a)->handle()) == "6"; }));
}

}  // namespace
}  // namespace xenshm::testing
