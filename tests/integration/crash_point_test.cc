// xenshmd dies after every xenstore write and every kernel module call of
// an attach or a detach (CrashInjector), a new one adopts, and then: the
// attach or detach completes, no region is lost, no grant leaks, no peer is
// there twice and no index is wrong; after everyone detaches, the module is
// empty.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <thread>

#include "backend/core/state_journal.h"
#include "frontend/lib/platform_client.h"
#include "platform/event_channels.h"
#include "tests/integration/crash_injector.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "tests/integration/raw_request.h"
#include "xenstore-schema/grant_directory.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

using std::chrono::milliseconds;

constexpr DomainId kA = 1;
constexpr DomainId kB = 2;
constexpr uint64_t kSize = 2 * kPageSize;

// One world: guest A holds "moo" with a byte written; `before` adds what
// the scenario needs; `action` is the attach or detach a crash cuts.
struct World {
  World() {
    system = std::make_unique<FakeXenSystem>();
    system->set_daemon_platform_wrapper(
        [this](Platform& platform) { crash.Wrap(platform); });
    // A dead daemon writes no journal either (its undo code never runs).
    system->journal().before_save = [this] {
      return crash.Dead() ? Status(Code::kIoError, "xenshmd has crashed")
                          : Status();
    };
    // The daemon the constructor started is not wrapped: start a wrapped
    // one (nothing is attached yet).
    Status restarted = system->RestartDaemon(false, /*clean=*/true);
    EXPECT_TRUE(restarted.ok()) << restarted.ToString();
    auto attached = system->NewClient(kA).Attach("moo", kSize);
    EXPECT_TRUE(attached) << attached.error().ToString();
    a = std::move(*attached);
    std::strcpy(static_cast<char*>(a->data()) + kPageSize, "kept");
  }

  CrashInjector crash;
  std::unique_ptr<FakeXenSystem> system;
  std::unique_ptr<Region> a;
  std::unique_ptr<Region> other;  // the scenario's second peer, if any
};

struct Scenario {
  std::string name;
  std::function<void(World&)> before;
  // Returns the action's result, from a thread of its own.
  std::function<Status(World&)> action;
  // How many peers "moo" has when it is done.
  size_t peers_after;
  friend void PrintTo(const Scenario& scenario, std::ostream* os) {
    *os << scenario.name;
  }
};

Status AttachOther(World& world, DomainId domain, const std::string& name) {
  auto region = world.system->NewClient(domain).Attach(name, kSize);
  if (!region) return region.error();
  world.other = std::move(*region);
  return Status();
}

std::vector<Scenario> Scenarios() {
  auto nothing = [](World&) {};
  auto b_joins = [](World& world) {
    ASSERT_TRUE(AttachOther(world, kB, "moo").ok());
  };
  auto dom0_joins = [](World& world) {
    ASSERT_TRUE(AttachOther(world, kDom0, "moo").ok());
  };
  auto other_detaches = [](World& world) { return world.other->Detach(); };
  return {
      {"GuestCreates", nothing,
       [](World& world) { return AttachOther(world, kB, "new"); }, 1},
      {"GuestJoins", nothing,
       [](World& world) { return AttachOther(world, kB, "moo"); }, 2},
      {"Dom0Joins", nothing,
       [](World& world) { return AttachOther(world, kDom0, "moo"); }, 2},
      {"GuestDetaches", b_joins, other_detaches, 1},
      {"Dom0Detaches", dom0_joins, other_detaches, 1},
      {"LastDetach", nothing, [](World& world) { return world.a->Detach(); },
       0},
  };
}

// What dom0's grant table must hold for the daemon's regions and peers.
uint64_t ExpectedGrants(const backend::RegionTable& regions) {
  uint64_t grants = 0;
  for (const auto& [name, region] : regions.regions()) {
    for (const auto& [index, peer] : region.peers) {
      if (peer.key.domain != kDom0) {
        grants += region.pages + schema::GrantDirectoryPages(region.pages);
      }
    }
  }
  return grants;
}

uint64_t ExpectedModuleRegions(const backend::RegionTable& regions) {
  uint64_t count = 0;
  for (const auto& [name, region] : regions.regions()) {
    ++count;
    for (const auto& [index, peer] : region.peers) {
      if (peer.key.domain != kDom0) ++count;  // its grant directory
    }
  }
  return count;
}

// Waits until the daemon crashed at its armed call or the action ended
// first (it needed fewer calls); false if neither happens.
bool CrashedOrDone(World& world, std::future<Status>& done) {
  return Eventually([&] {
    return world.crash.crashed() ||
           done.wait_for(milliseconds(0)) == std::future_status::ready;
  });
}

class CrashPoints : public ::testing::TestWithParam<Scenario> {};

TEST_P(CrashPoints, AdoptionKeepsEveryInvariant) {
  const Scenario& scenario = GetParam();
  int crashes = 0;
  for (int nth = 1; nth < 200; ++nth) {
    SCOPED_TRACE(scenario.name + ", crash after call " + std::to_string(nth));
    World world;
    scenario.before(world);
    world.crash.Arm(nth);
    auto done =
        std::async(std::launch::async, [&] { return scenario.action(world); });
    // Either it crashes at call `nth`, or the action needs fewer calls.
    ASSERT_TRUE(CrashedOrDone(world, done));
    if (!world.crash.crashed()) {
      // One more round after the last call, to see nothing was left out.
      ASSERT_TRUE(done.get().ok());
      break;
    }
    ++crashes;
    std::string trail;
    for (const std::string& call : world.crash.trail()) trail += call + "; ";
    SCOPED_TRACE("calls: " + trail);
    world.system->StopDaemon();  // its thread has ended: the crash
    world.crash.Arm(0);          // the next xenshmd runs normally
    Status adopted = world.system->RestartDaemon(/*reset=*/false);
    ASSERT_TRUE(adopted.ok()) << adopted.ToString();
    Status result = done.get();
    EXPECT_TRUE(result.ok()) << result.ToString();

    // The journal reads back, and the daemon's view matches the module.
    ASSERT_TRUE(backend::DecodeJournal(*world.system->journal().text()));
    EXPECT_TRUE(Eventually([&] {
      const backend::RegionTable regions = world.system->DaemonRegions();
      const GranterCounts counts = world.system->counts();
      return counts.grants == ExpectedGrants(regions) &&
             counts.regions == ExpectedModuleRegions(regions);
    })) << "module: "
        << world.system->counts().regions << " regions, "
        << world.system->counts().grants << " grants";
    const backend::RegionTable regions = world.system->DaemonRegions();
    const backend::Region* moo = regions.Find("moo");
    if (scenario.peers_after == 0) {
      EXPECT_EQ(moo, nullptr);
      EXPECT_TRUE(Eventually([&] {
        return world.system->counts().regions == 0 &&
               world.system->counts().pages == 0;
      }));
      continue;
    }
    ASSERT_NE(moo, nullptr);
    EXPECT_EQ(moo->peers.size(), scenario.peers_after);
    std::set<std::pair<DomainId, uint32_t>> keys;
    for (const auto& [index, peer] : moo->peers) {
      EXPECT_EQ(index, peer.index);
      EXPECT_TRUE(keys.insert({peer.key.domain, peer.key.handle}).second);
    }
    // A's peer list says the same, and its bytes are where they were.
    EXPECT_TRUE(Eventually([&] {
      auto peers = world.a->Peers();
      return peers && peers->size() == scenario.peers_after;
    }));
    EXPECT_STREQ(static_cast<char*>(world.a->data()) + kPageSize, "kept");
    if (world.other && world.other->data() != nullptr &&
        world.other->name() == "moo") {
      EXPECT_STREQ(static_cast<char*>(world.other->data()) + kPageSize, "kept");
      EXPECT_NE(world.other->peer_index(), world.a->peer_index());
    }
    // Everyone leaves: nothing stays in the module.
    if (world.other) {
      EXPECT_TRUE(world.other->Detach().ok());
    }
    EXPECT_TRUE(world.a->Detach().ok());
    EXPECT_TRUE(Eventually([&] {
      const GranterCounts counts = world.system->counts();
      return counts.regions == 0 && counts.grants == 0 && counts.pages == 0;
    }));
  }
  EXPECT_GT(crashes, 2) << "the action made too few calls to crash in";
}

// Event channels whose binds to dom0 happen `delay` late: a peer slow to
// bind the port xenshmd's answer offers.
class SlowDom0Binds : public EventChannels {
 public:
  SlowDom0Binds(std::unique_ptr<EventChannels> inner, milliseconds delay)
      : inner_(std::move(inner)), delay_(delay) {}
  Result<EventPort> AllocateUnbound(DomainId remote) override {
    return inner_->AllocateUnbound(remote);
  }
  Result<EventPort> BindInterdomain(DomainId remote,
                                    EventPort remote_port) override {
    if (remote == kDom0) std::this_thread::sleep_for(delay_);
    return inner_->BindInterdomain(remote, remote_port);
  }
  Status Notify(EventPort port) override { return inner_->Notify(port); }
  Status Unbind(EventPort port) override { return inner_->Unbind(port); }
  int fd() const override { return inner_->fd(); }
  Result<std::optional<EventPort>> TakePending() override {
    return inner_->TakePending();
  }
  Result<EventPort> NextPending() override { return inner_->NextPending(); }
  Status Unmask(EventPort port) override { return inner_->Unmask(port); }

 private:
  std::unique_ptr<EventChannels> inner_;
  milliseconds delay_;
};

// A peer that read the answer of a xenshmd which then died binds a port no
// one offers any more (Xen closed the dead daemon's end); it waits for the
// next xenshmd's answer instead of failing (PeerChannels::Open). The peer
// binds 200 ms late and the next xenshmd starts 400 ms after the death, so
// at every crash point after the answer the peer tries the dead port first
// (in the test above, which comes first is up to the scheduler).
TEST(CrashPointsWithASlowPeer, APeerWaitsForTheNextDaemonsAnswer) {
  int crashes = 0;
  for (int nth = 1; nth < 200; ++nth) {
    SCOPED_TRACE("crash after call " + std::to_string(nth));
    World world;
    Platform& b = world.system->OpenProcess(kB);
    auto open = b.open_event_channels;
    b.open_event_channels = [open]() -> Result<std::unique_ptr<EventChannels>> {
      auto inner = open();
      if (!inner) return std::unexpected(inner.error());
      return std::make_unique<SlowDom0Binds>(std::move(*inner),
                                             milliseconds(200));
    };
    world.crash.Arm(nth);
    auto done = std::async(std::launch::async, [&]() -> Status {
      auto region = ClientOn(b).Attach("moo", kSize);
      if (!region) return region.error();
      world.other = std::move(*region);
      return Status();
    });
    ASSERT_TRUE(CrashedOrDone(world, done));
    if (!world.crash.crashed()) {
      ASSERT_TRUE(done.get().ok());
      break;
    }
    ++crashes;
    world.system->StopDaemon();  // closes the dead daemon's ports
    std::this_thread::sleep_for(milliseconds(400));
    world.crash.Arm(0);
    Status adopted = world.system->RestartDaemon(/*reset=*/false);
    ASSERT_TRUE(adopted.ok()) << adopted.ToString();
    Status result = done.get();
    EXPECT_TRUE(result.ok()) << result.ToString();
    EXPECT_TRUE(Eventually([&] {
      auto peers = world.a->Peers();
      return peers && peers->size() == 2;
    }));
  }
  EXPECT_GT(crashes, 2);
}

// A xenshmd that dies while it adopts (the worst moment: it binds peers'
// ports again, detaches the departed, rewrites registry and members) is
// adopted in turn by the next.
TEST(CrashPointsOfAdoption, ADaemonDyingWhileItAdoptsIsAdoptedInTurn) {
  int crashes = 0;
  for (int nth = 1; nth < 200; ++nth) {
    SCOPED_TRACE("crash after adoption call " + std::to_string(nth));
    World world;
    auto d = world.system->NewClient(kDom0).Attach("moo", kSize);
    ASSERT_TRUE(d);
    // Something for adoption to do: a peer whose process dies while none
    // runs (raw, so the test can kill it).
    RawAttachment dying = AttachRaw(world.system->OpenProcess(kB), "moo", 0);
    ASSERT_TRUE(dying.mapping);
    ASSERT_TRUE(Eventually([&] {
      auto journal = backend::DecodeJournal(*world.system->journal().text());
      return journal && std::ranges::any_of(journal->peers, [](auto& peer) {
               return peer.key.domain == kB && peer.peer_port != 0;
             });
    }));
    world.system->StopDaemon();
    dying.mapping.reset();
    dying.channels.reset();
    world.crash.Arm(nth);
    bool crashed = false;
    try {
      (void)world.system->RestartDaemon(/*reset=*/false);
      // Its first turns of the loop count too.
      std::this_thread::sleep_for(milliseconds(100));
      crashed = world.crash.crashed();
    } catch (const InjectedCrash&) {
      crashed = true;
    }
    // Killed (or, if adoption needed fewer calls, stopped after it ran
    // whole), and started again.
    world.system->StopDaemon();
    world.crash.Arm(0);
    Status adopted = world.system->RestartDaemon(/*reset=*/false);
    ASSERT_TRUE(adopted.ok()) << adopted.ToString();
    EXPECT_TRUE(Eventually([&] {
      auto peers = world.a->Peers();
      return peers && peers->size() == 2;
    }));
    EXPECT_TRUE(Eventually([&] {
      const backend::RegionTable regions = world.system->DaemonRegions();
      const GranterCounts counts = world.system->counts();
      return counts.grants == ExpectedGrants(regions) &&
             counts.regions == ExpectedModuleRegions(regions);
    }));
    EXPECT_STREQ(static_cast<char*>((*d)->data()) + kPageSize, "kept");
    EXPECT_TRUE((*d)->Detach().ok());
    EXPECT_TRUE(world.a->Detach().ok());
    EXPECT_TRUE(Eventually([&] {
      const GranterCounts counts = world.system->counts();
      return counts.regions == 0 && counts.grants == 0 && counts.pages == 0;
    }));
    if (!crashed) break;
    ++crashes;
  }
  EXPECT_GT(crashes, 5);
}

INSTANTIATE_TEST_SUITE_P(AttachAndDetach, CrashPoints,
                         ::testing::ValuesIn(Scenarios()),
                         [](const auto& info) { return info.param.name; });

}  // namespace
}  // namespace xenshm::testing
