// Attach/detach end to end: libxenshm in guests and dom0, xenshmd's core in
// dom0, over the fake hypervisor.
#include <gtest/gtest.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <string>
#include <thread>

#include "backend/core/access_policy.h"
#include "frontend/lib/platform_client.h"
#include "platform/xenstore_retry.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "tests/integration/raw_request.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/grant_directory.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kGuestA = 1;
constexpr DomainId kGuestB = 2;

// Neither the request nor its answer is left in xenstore.
bool RequestGone(XenStore& xs, DomainId domain, uint32_t handle) {
  return !xs.Read(kNoTransaction, schema::FrontendPath(domain, handle)) &&
         !xs.Read(kNoTransaction, schema::BackendPath(domain, handle));
}

bool DaemonLogged(const FakeXenSystem& system, std::string_view text) {
  for (const std::string& line : system.log()) {
    if (line.find(text) != std::string::npos) return true;
  }
  return false;
}

TEST(Attach, TwoGuestsAndADom0ProgramShareBytes) {
  FakeXenSystem system;
  auto a = system.NewClient(kGuestA).Attach("moo", 3 * kPageSize);
  ASSERT_TRUE(a) << a.error().ToString();
  EXPECT_EQ((*a)->size(), 3 * kPageSize);
  EXPECT_EQ((*a)->peer_index(), 0u);
  auto* a_bytes = static_cast<char*>((*a)->data());
  std::strcpy(a_bytes + 2 * kPageSize + 7, "hello from A");

  // B asks for another size and learns the creator's.
  auto b = system.NewClient(kGuestB).Attach("moo", 100 * kPageSize);
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_EQ((*b)->size(), 3 * kPageSize);
  EXPECT_EQ((*b)->peer_index(), 1u);
  auto* b_bytes = static_cast<char*>((*b)->data());
  EXPECT_STREQ(b_bytes + 2 * kPageSize + 7, "hello from A");

  auto dom0 = system.NewClient(kDom0).Attach("moo", kPageSize);
  ASSERT_TRUE(dom0) << dom0.error().ToString();
  EXPECT_EQ((*dom0)->peer_index(), 2u);
  auto* dom0_bytes = static_cast<char*>((*dom0)->data());
  EXPECT_STREQ(dom0_bytes + 2 * kPageSize + 7, "hello from A");

  std::strcpy(b_bytes, "B writes");
  EXPECT_STREQ(a_bytes, "B writes");
  EXPECT_STREQ(dom0_bytes, "B writes");

  auto peers = (*a)->Peers();
  ASSERT_TRUE(peers) << peers.error().ToString();
  std::vector<PeerInfo> expected = {
      {0, kGuestA, (*a)->handle()},
      {1, kGuestB, (*b)->handle()},
      {2, kDom0, (*dom0)->handle()},
  };
  EXPECT_EQ(*peers, expected);
}

TEST(Attach, LastDetachDestroysAndTheNextAttachCreatesAFreshRegion) {
  FakeXenSystem system;
  Client& a_client = system.NewClient(kGuestA);
  Client& b_client = system.NewClient(kGuestB);
  {
    auto a = a_client.Attach("moo", 2 * kPageSize);
    auto b = b_client.Attach("moo", 2 * kPageSize);
    ASSERT_TRUE(a && b);
    std::memset((*a)->data(), 0xab, (*a)->size());
    EXPECT_EQ(system.counts().regions, 1u + 2u);  // region + 2 directories
    ASSERT_TRUE((*a)->Detach().ok());
    EXPECT_TRUE((*a)->Detach().ok());  // idempotent
    // B still sees the bytes after A left.
    EXPECT_EQ(static_cast<unsigned char*>((*b)->data())[100], 0xab);
  }
  ASSERT_TRUE(Eventually([&] { return system.counts().regions == 0; }));
  EXPECT_EQ(system.counts().grants, 0u);
  EXPECT_EQ(system.counts().pages, 0u);

  auto fresh = b_client.Attach("moo", 5 * kPageSize);
  ASSERT_TRUE(fresh) << fresh.error().ToString();
  EXPECT_EQ((*fresh)->size(), 5 * kPageSize);
  EXPECT_EQ((*fresh)->peer_index(), 0u);
  auto* bytes = static_cast<unsigned char*>((*fresh)->data());
  for (size_t i = 0; i < (*fresh)->size(); ++i) ASSERT_EQ(bytes[i], 0) << i;
}

TEST(Attach, ANameWithDotsIsRegisteredAndListsItsPeers) {
  // xenstored allows no '.' in a node name: the registry writes it '@'.
  FakeXenSystem system;
  auto a = system.NewClient(kGuestA).Attach("cam.0.raw", kPageSize);
  ASSERT_TRUE(a) << a.error().ToString();
  auto b = system.NewClient(kGuestB).Attach("cam.0.raw", kPageSize);
  ASSERT_TRUE(b) << b.error().ToString();
  auto peers = (*a)->Peers();
  ASSERT_TRUE(peers) << peers.error().ToString();
  EXPECT_EQ(peers->size(), 2u);
  auto size = system.OpenProcess(kGuestA).xenstore->Read(
      kNoTransaction, "/local/domain/0/xenshm/regions/cam@0@raw/size");
  ASSERT_TRUE(size) << size.error().ToString();
  EXPECT_EQ(*size, std::to_string(kPageSize));
}

TEST(Attach, AttachOnlyModeGivesDoesNotExist) {
  FakeXenSystem system;
  AttachOptions options;
  options.mode = AttachMode::kAttachOnly;
  auto missing = system.NewClient(kGuestA).Attach("nope", kPageSize, options);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code(), Code::kDoesNotExist);
  EXPECT_NE(missing.error().message().find("nope"), std::string::npos);
}

TEST(Attach, IllegalNameIsRefusedByTheLibraryAndTheDaemon) {
  FakeXenSystem system;
  auto refused = system.NewClient(kGuestA).Attach("bad/name", kPageSize);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kIllegalName);
}

TEST(Attach, ClientMaxAfterSixtyFourPeers) {
  FakeXenSystem system;
  std::vector<std::unique_ptr<Region>> regions;
  for (DomainId d = 1; d <= schema::kMaxPeers; ++d) {
    auto region = system.NewClient(d).Attach("crowd", kPageSize);
    ASSERT_TRUE(region) << d << ": " << region.error().ToString();
    regions.push_back(std::move(*region));
  }
  auto one_more =
      system.NewClient(schema::kMaxPeers + 1).Attach("crowd", kPageSize);
  ASSERT_FALSE(one_more);
  EXPECT_EQ(one_more.error().code(), Code::kClientMax);
}

TEST(Attach, NoMemoryWhenRegionPagesCannotBeHad) {
  FakeXenSystem system;
  system.hypervisor().FailNext(fake::Op::kRegionAllocate, Code::kNoMemory);
  auto refused = system.NewClient(kGuestA).Attach("moo", kPageSize);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kNoMemory);
  EXPECT_EQ(system.counts().regions, 0u);
}

TEST(Attach, GrantBudgetRefusalNamesTheNumbersAndLeavesNothingGranted) {
  FakeXenSystem system;
  system.hypervisor().SetGrantTableSize(1024 + 40);  // reserve + 40 entries
  auto a = system.NewClient(kGuestA).Attach("moo", 30 * kPageSize);
  ASSERT_TRUE(a) << a.error().ToString();
  const uint64_t grants_before = system.counts().grants;
  auto b = system.NewClient(kGuestB).Attach("moo", 30 * kPageSize);
  ASSERT_FALSE(b);
  EXPECT_EQ(b.error().code(), Code::kGrantBudget);
  EXPECT_NE(b.error().message().find("gnttab_max_frames"), std::string::npos);
  EXPECT_EQ(system.counts().grants, grants_before);
  // A's attachment keeps working.
  static_cast<char*>((*a)->data())[0] = 1;
  auto peers = (*a)->Peers();
  ASSERT_TRUE(peers);
  EXPECT_EQ(peers->size(), 1u);
}

TEST(Attach, ExplicitHandleInUseIsAlreadyAttached) {
  FakeXenSystem system;
  Client& client = system.NewClient(kGuestA);
  AttachOptions options;
  options.handle = 5;
  auto first = client.Attach("moo", kPageSize, options);
  ASSERT_TRUE(first) << first.error().ToString();
  EXPECT_EQ((*first)->handle(), 5u);
  auto second = client.Attach("cow", kPageSize, options);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), Code::kAlreadyAttached);
}

TEST(Attach, SameGuestAttachingARegionTwiceIsRefused) {
  FakeXenSystem system;
  Client& client = system.NewClient(kGuestA);
  auto first = client.Attach("moo", kPageSize);
  ASSERT_TRUE(first);
  auto second = client.Attach("moo", kPageSize);
  ASSERT_FALSE(second);
  EXPECT_EQ(second.error().code(), Code::kAlreadyAttached);
  // The refused request left nothing behind: detaching the first destroys.
  ASSERT_TRUE((*first)->Detach().ok());
  ASSERT_TRUE(Eventually([&] { return system.counts().regions == 0; }));
}

TEST(Attach, DetachReportsThatXenshmdNeverConfirmed) {
  FakeXenSystem system;
  auto a = system.NewClient(kGuestA).Attach("moo", kPageSize);
  ASSERT_TRUE(a) << a.error().ToString();
  const uint32_t handle = (*a)->handle();
  system.StopDaemon();  // nobody will answer Closing

  Status detached = (*a)->Detach();
  EXPECT_EQ(detached.code(), Code::kBackendUnavailable) << detached.ToString();
  EXPECT_NE(detached.message().find("'moo'"), std::string::npos)
      << detached.message();
  EXPECT_NE(detached.message().find("did not confirm"), std::string::npos)
      << detached.message();
  // Left all the same: unmapped, and the request withdrawn.
  EXPECT_EQ((*a)->data(), nullptr);
  Platform& look = system.OpenProcess(kGuestA);
  EXPECT_FALSE(look.xenstore->Read(kNoTransaction,
                                   schema::FrontendPath(kGuestA, handle)));
  // Only the first call reports.
  EXPECT_TRUE((*a)->Detach().ok());
}

TEST(Attach, DetachReportsAFailedWithdrawal) {
  FakeXenSystem system;
  auto a = system.NewClient(kGuestA).Attach("moo", kPageSize);
  ASSERT_TRUE(a) << a.error().ToString();
  const uint32_t handle = (*a)->handle();
  system.hypervisor().FailNext(fake::Op::kXsRemove, Code::kIoError, kGuestA);

  Status detached = (*a)->Detach();
  EXPECT_EQ(detached.code(), Code::kIoError) << detached.ToString();
  EXPECT_NE(detached.message().find("withdraw"), std::string::npos)
      << detached.message();
  // xenshmd did detach: only the request is left behind.
  Platform& look = system.OpenProcess(kGuestA);
  EXPECT_EQ(look.xenstore
                ->Read(kNoTransaction,
                       schema::BackendNode(kGuestA, handle, schema::kNodeState))
                .value_or(""),
            "6");
  EXPECT_TRUE(look.xenstore->Read(kNoTransaction,
                                  schema::FrontendPath(kGuestA, handle)));
  EXPECT_TRUE((*a)->Detach().ok());
}

TEST(Attach, DetachReportsAFailedClosingWriteButStillLeaves) {
  FakeXenSystem system;
  auto a = system.NewClient(kGuestA).Attach("moo", kPageSize);
  ASSERT_TRUE(a) << a.error().ToString();
  const uint32_t handle = (*a)->handle();
  system.hypervisor().FailNext(fake::Op::kXsWrite, Code::kQuotaExceeded,
                               kGuestA);

  // The unmap-notify still tells xenshmd, which confirms; the request is
  // withdrawn; the write's failure is what Detach reports.
  Status detached = (*a)->Detach();
  EXPECT_EQ(detached.code(), Code::kQuotaExceeded) << detached.ToString();
  EXPECT_NE(detached.message().find("Closing"), std::string::npos)
      << detached.message();
  Platform& look = system.OpenProcess(kGuestA);
  EXPECT_TRUE(
      Eventually([&] { return RequestGone(*look.xenstore, kGuestA, handle); }));
  EXPECT_TRUE(Eventually([&] { return system.counts().regions == 0; }));
}

TEST(Attach, ConflictingRequestTransactionsAreRetriedThenReportedAsAgain) {
  FakeXenSystem system;
  Client& client = system.NewClient(kGuestA);
  // Conflicts short of the limit are retried unseen.
  for (int nth = 1; nth < kTransactionAttempts; ++nth) {
    system.hypervisor().FailNth(fake::Op::kXsTransactionEnd, nth, Code::kAgain,
                                kGuestA);
  }
  auto retried = client.Attach("moo", kPageSize);
  ASSERT_TRUE(retried) << retried.error().ToString();
  ASSERT_TRUE((*retried)->Detach().ok());
  // One more, and the attach says so; nothing was requested.
  for (int nth = 1; nth <= kTransactionAttempts; ++nth) {
    system.hypervisor().FailNth(fake::Op::kXsTransactionEnd, nth, Code::kAgain,
                                kGuestA);
  }
  auto refused = client.Attach("moo", kPageSize);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kAgain);
  EXPECT_NE(refused.error().message().find("conflicting"), std::string::npos)
      << refused.error().message();
  Platform& look = system.OpenProcess(kGuestA);
  auto requests =
      look.xenstore->List(kNoTransaction, schema::FrontendRoot(kGuestA));
  ASSERT_TRUE(requests);
  EXPECT_TRUE(requests->empty());
}

TEST(Attach, NoBackendIsReportedClearly) {
  fake::FakeHypervisor hypervisor;
  hypervisor.CreateDomain(kGuestA);
  auto platform = hypervisor.OpenPlatform(kGuestA);
  ASSERT_TRUE(platform);
  Client client = ClientOn(*platform);
  AttachOptions options;
  options.timeout = std::chrono::milliseconds(200);
  auto refused = client.Attach("moo", kPageSize, options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kBackendUnavailable);
}

// Allows everything at the highest request rate a policy can give: the
// cycles below run as fast as the fake goes, far above the default rate.
class Unhurried : public backend::AllowAllPolicy {
 public:
  backend::DomainQuota QuotaOf(DomainId) const override {
    backend::DomainQuota quota;
    quota.request_rate = 4096;
    return quota;
  }
};

TEST(Attach, HundredsOfCyclesLeakNothing) {
  Unhurried policy;
  FakeXenSystem system(&policy);
  Client& a = system.NewClient(kGuestA);
  Client& b = system.NewClient(kGuestB);
  for (int cycle = 0; cycle < 300; ++cycle) {
    auto first = a.Attach("cycle", 2 * kPageSize);
    ASSERT_TRUE(first) << cycle << ": " << first.error().ToString();
    auto second = b.Attach("cycle", kPageSize);
    ASSERT_TRUE(second) << cycle << ": " << second.error().ToString();
    EXPECT_LT((*first)->handle(), 4u) << "handles are reused, not leaked";
    Status first_left = (*first)->Detach();
    ASSERT_TRUE(first_left.ok()) << cycle << ": " << first_left.ToString();
    Status second_left = (*second)->Detach();
    ASSERT_TRUE(second_left.ok()) << cycle << ": " << second_left.ToString();
  }
  ASSERT_TRUE(Eventually([&] {
    GranterCounts counts = system.counts();
    return counts.regions == 0 && counts.grants == 0 && counts.pages == 0;
  }));
}

// Writes a whole request the way libxenshm does (after xenshmd set up the
// domain), for tests that speak the protocol raw.
void SubmitRawRequest(XenStore& xs, DomainId domain, uint32_t handle,
                      const schema::AttachRequest& request) {
  ASSERT_TRUE(Eventually(
      [&] { return xs.Read(kNoTransaction, schema::FrontendRoot(domain)); }));
  ASSERT_TRUE(
      schema::WriteAttachRequest(xs, kNoTransaction, domain, handle, request)
          .ok());
  ASSERT_TRUE(xs.Write(kNoTransaction,
                       schema::FrontendNode(domain, handle, schema::kNodeState),
                       "3")
                  .ok());
}

// A process that dies holding a mapping never writes Closing; gntdev's
// unmap-notify on the control channel is how xenshmd learns of it. This
// "process" speaks the protocol raw and then just drops its mapping.
TEST(Attach, ProcessDeathDetachesThroughUnmapNotify) {
  FakeXenSystem system;
  auto a = system.NewClient(kGuestA).Attach("moo", kPageSize);
  ASSERT_TRUE(a);
  Platform& raw = system.OpenProcess(kGuestB);
  XenStore& xs = *raw.xenstore;
  RawAttachment attached = AttachRaw(raw, "moo", 0);
  ASSERT_TRUE(attached.mapping);
  auto backend = [&](std::string_view node) {
    return xs.Read(kNoTransaction, schema::BackendNode(kGuestB, 0, node))
        .value_or("");
  };
  auto peers = (*a)->Peers();
  ASSERT_TRUE(peers);
  ASSERT_EQ(peers->size(), 2u);

  attached.mapping.reset();  // the process dies: the kernel unmaps and
                             // notifies
  // The registry shrinks first, then the backend says Closed.
  EXPECT_TRUE(Eventually([&] {
    auto now = (*a)->Peers();
    return now && now->size() == 1 && backend(schema::kNodeState) == "6";
  })) << "state "
      << backend(schema::kNodeState);
  // Nobody says Closing: after the grace xenshmd withdraws the request, so
  // the handle and the guest's xenstore quota come back.
  EXPECT_TRUE(Eventually([&] { return RequestGone(xs, kGuestB, 0); }));
  EXPECT_TRUE(DaemonLogged(system, "died attached"));
}

TEST(Attach, AHandleReusedRightAfterADetachIsNotTakenForAnOrphan) {
  FakeXenSystem system;
  Client& client = system.NewClient(kGuestA);
  auto first = client.Attach("moo", kPageSize);
  ASSERT_TRUE(first);
  const uint32_t handle = (*first)->handle();
  ASSERT_TRUE((*first)->Detach().ok());  // unmap-notify, then Closing
  Platform& look = system.OpenProcess(kGuestA);
  ASSERT_TRUE(Eventually([&] {  // the handle is free once both sides are gone
    return !look.xenstore->Read(kNoTransaction,
                                schema::BackendPath(kGuestA, handle));
  }));
  auto second = client.Attach("moo", kPageSize);
  ASSERT_TRUE(second);
  ASSERT_EQ((*second)->handle(), handle);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // > grace
  auto state = look.xenstore->Read(
      kNoTransaction,
      schema::FrontendNode(kGuestA, handle, schema::kNodeState));
  ASSERT_TRUE(state);
  EXPECT_EQ(*state, "4");
  auto peers = (*second)->Peers();
  ASSERT_TRUE(peers);
  EXPECT_EQ(peers->size(), 1u);
}

// A child process standing in for a dom0 program; killed and reaped by
// Kill().
class Dom0Program {
 public:
  Dom0Program() {
    char sleep[] = "sleep";
    char seconds[] = "60";
    char* argv[] = {sleep, seconds, nullptr};
    EXPECT_EQ(posix_spawnp(&pid_, "sleep", nullptr, nullptr, argv, environ), 0);
  }
  ~Dom0Program() { Kill(); }
  pid_t pid() const { return pid_; }
  void Kill() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

 private:
  pid_t pid_ = 0;
};

// The pid of a process that has exited and been reaped.
int ExitedPid() {
  Dom0Program program;
  const int pid = program.pid();
  program.Kill();
  return pid;
}

// dom0 programs map through the kernel module, which sends no unmap-notify:
// xenshmd watches the pid the request names.
void RequestAsDom0Program(Platform& dom0, uint32_t handle, int pid) {
  schema::AttachRequest request{"moo", kPageSize,
                                schema::AttachMode::kCreateOrAttach,
                                schema::Access::kReadWrite, pid};
  SubmitRawRequest(*dom0.xenstore, kDom0, handle, request);
}

TEST(Attach, Dom0ProgramExitDetachesAndWithdrawsItsRequest) {
  FakeXenSystem system;
  auto a = system.NewClient(kGuestA).Attach("moo", kPageSize);
  ASSERT_TRUE(a);
  Platform& dom0 = system.OpenProcess(kDom0);
  XenStore& xs = *dom0.xenstore;
  Dom0Program program;
  RequestAsDom0Program(dom0, 7, program.pid());
  auto backend_state = [&] {
    return xs
        .Read(kNoTransaction, schema::BackendNode(kDom0, 7, schema::kNodeState))
        .value_or("");
  };
  ASSERT_TRUE(Eventually([&] { return backend_state() == "4"; }));
  ASSERT_EQ((*a)->Peers()->size(), 2u);

  program.Kill();  // dies holding its attachment, never writes Closing
  EXPECT_TRUE(Eventually([&] {
    auto peers = (*a)->Peers();
    return peers && peers->size() == 1 && RequestGone(xs, kDom0, 7);
  }));
  EXPECT_TRUE(DaemonLogged(system, "exited"));
}

TEST(Attach, Dom0ProgramThatExitedBeforeItsAnswerIsWithdrawn) {
  FakeXenSystem system;
  Platform& dom0 = system.OpenProcess(kDom0);
  XenStore& xs = *dom0.xenstore;
  RequestAsDom0Program(dom0, 3, ExitedPid());
  EXPECT_TRUE(Eventually([&] { return RequestGone(xs, kDom0, 3); }));
  EXPECT_EQ(system.counts().regions, 0u);  // nothing was created for it
}

TEST(Attach, AGuestsPidNodeIsIgnored) {
  FakeXenSystem system;
  Platform& guest = system.OpenProcess(kGuestA);
  XenStore& xs = *guest.xenstore;
  schema::AttachRequest request{
      "moo", kPageSize, schema::AttachMode::kCreateOrAttach,
      schema::Access::kReadWrite, ExitedPid()};  // dom0 would withdraw it
  SubmitRawRequest(xs, kGuestA, 0, request);
  EXPECT_TRUE(Eventually([&] {
    return xs.Read(kNoTransaction,
                   schema::BackendNode(kGuestA, 0, schema::kNodeState))
               .value_or("") == "4";
  }));
}

// Without its journal a restarted xenshmd cannot know what the module's
// regions are: it refuses to start rather than give new peers other memory
// than the old ones share (restart_test.cc: with it, it adopts them).
TEST(Attach, ARestartedDaemonWithoutAJournalRefusesLeftoverRegions) {
  FakeXenSystem system;
  auto a = system.NewClient(kGuestA).Attach("moo", kPageSize);
  ASSERT_TRUE(a);
  system.StopDaemon();
  system.journal().set_text(std::nullopt);
  Status restarted = system.RestartDaemon(/*reset=*/false);
  EXPECT_EQ(restarted.code(), Code::kBusy);
  EXPECT_NE(restarted.message().find("--reset"), std::string::npos)
      << restarted.message();
  EXPECT_NE(restarted.message().find("no journal"), std::string::npos)
      << restarted.message();
  ASSERT_TRUE(system.RestartDaemon(/*reset=*/true).ok());
}

TEST(Attach, ResetReleasesLeftoversAndClosesTheirAttachments) {
  FakeXenSystem system;
  auto a = system.NewClient(kGuestA).Attach("moo", kPageSize);
  ASSERT_TRUE(a);
  static_cast<char*>((*a)->data())[0] = 'A';
  ASSERT_TRUE(system.RestartDaemon(/*reset=*/true).ok());

  Platform& look = system.OpenProcess(kGuestA);
  auto a_backend = [&](std::string_view node) {
    return look.xenstore
        ->Read(kNoTransaction,
               schema::BackendNode(kGuestA, (*a)->handle(), node))
        .value_or("");
  };
  EXPECT_TRUE(Eventually([&] {
    return a_backend(schema::kNodeState) == "6" &&
           a_backend(schema::kNodeStatus) == "backend-unavailable";
  }));
  // The old peer learns it when it looks.
  auto gone = (*a)->Peers();
  ASSERT_FALSE(gone);
  EXPECT_EQ(gone.error().code(), Code::kBackendUnavailable);
  EXPECT_NE(gone.error().message().find("restarted"), std::string::npos);
  // The name is free again: a new attach creates a fresh, zeroed region.
  auto b = system.NewClient(kGuestB).Attach("moo", kPageSize);
  ASSERT_TRUE(b) << b.error().ToString();
  EXPECT_EQ((*b)->peer_index(), 0u);
  EXPECT_EQ(static_cast<char*>((*b)->data())[0], 0);
  // The old peer still detaches cleanly, and nothing is left behind.
  EXPECT_TRUE((*a)->Detach().ok());
  EXPECT_TRUE((*b)->Detach().ok());
  EXPECT_TRUE(Eventually([&] {
    GranterCounts counts = system.counts();
    return counts.regions == 0 && counts.grants == 0 && counts.pages == 0;
  }));
  EXPECT_TRUE(
      Eventually([&] { return RequestGone(*look.xenstore, kGuestA, 0); }));
}

TEST(Attach, AStartingDaemonClearsARegistryItDoesNotBack) {
  FakeXenSystem system;
  Platform& dom0 = system.OpenProcess(kDom0);
  const std::string ghost = schema::RegistryPath("ghost") + "/size";
  ASSERT_TRUE(dom0.xenstore->Write(kNoTransaction, ghost, "4096").ok());
  ASSERT_TRUE(system.RestartDaemon(/*reset=*/false).ok());  // module empty
  EXPECT_FALSE(dom0.xenstore->Read(kNoTransaction, ghost));
}

TEST(Attach, DomainDeathDetachesItsPeers) {
  FakeXenSystem system;
  auto a = system.NewClient(kGuestA).Attach("moo", kPageSize);
  auto b = system.NewClient(kGuestB).Attach("moo", kPageSize);
  ASSERT_TRUE(a && b);
  system.hypervisor().DestroyDomain(kGuestB);
  ASSERT_TRUE(Eventually([&] {
    auto peers = (*a)->Peers();
    return peers && peers->size() == 1;
  }));
  EXPECT_EQ((*(*a)->Peers())[0].domain, kGuestA);
}

}  // namespace
}  // namespace xenshm::testing
