// A reload (xenshmd's SIGHUP) re-reads dom0's policy file without touching
// attachments (docs/policy.md, "Reloading"): new attaches follow the new
// file, a peer it no longer allows keeps what it holds until it detaches,
// and names the new file reserves are taken back at once.
#include <gtest/gtest.h>

#include <string>

#include "backend/policy/evaluator.h"
#include "backend/policy/xl_config.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kGuest = 1;  // no stanza: the file's `default` governs it

policy::Dom0Policy File(const std::string& text) {
  auto parsed = policy::ParseDom0PolicyFile(text, "policy.cfg");
  EXPECT_TRUE(parsed) << parsed.error().ToString();
  return *parsed;
}

class Reload : public ::testing::Test {
 protected:
  Reload()
      : policy_(File(R"(default = [ "allow=old*" ])")),
        system_(&policy_, [this](backend::DaemonOptions& options) {
          options.reload = [this] { policy_.SetDom0Policy(File(next_file_)); };
        }) {}

  // Reloads with `text` and waits until the daemon says it did.
  void ReloadWith(const std::string& text) {
    next_file_ = text;
    const size_t before = Reloads();
    system_.ReloadDaemon();
    ASSERT_TRUE(Eventually([&] { return Reloads() > before; }));
  }
  size_t Reloads() {
    size_t n = 0;
    for (const std::string& line : system_.log()) {
      if (line.find("reloaded; attachments unchanged") != std::string::npos) {
        ++n;
      }
    }
    return n;
  }

  std::string next_file_;
  policy::Evaluator policy_;
  FakeXenSystem system_;
};

TEST_F(Reload, NewAttachesFollowTheNewFileAndOldAttachmentsStay) {
  auto kept = system_.NewClient(kGuest).Attach("old-a", kPageSize);
  ASSERT_TRUE(kept) << kept.error().ToString();
  ReloadWith(R"(default = [ "allow=new*" ])");
  // Not allowed any more, but attached: it stays until it detaches.
  auto peers = (*kept)->Peers();
  ASSERT_TRUE(peers) << peers.error().ToString();
  EXPECT_EQ(peers->size(), 1u);
  EXPECT_NE(system_.DaemonRegions().Find("old-a"), nullptr);
  auto refused = system_.NewClient(kGuest).Attach("old-b", kPageSize);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code(), Code::kNoPermission);
  auto allowed = system_.NewClient(kGuest).Attach("new-a", kPageSize);
  EXPECT_TRUE(allowed) << allowed.error().ToString();
  EXPECT_TRUE((*kept)->Detach().ok());
  // Its region goes at its last detach, as ever.
  EXPECT_TRUE(Eventually(
      [&] { return system_.DaemonRegions().Find("old-a") == nullptr; }));
}

TEST_F(Reload, ANameTheNewFileDeclaresIsTakenBackAndMade) {
  ReloadWith(R"(default = [ "allow=*" ])");
  auto squat = system_.NewClient(kGuest).Attach("console0", kPageSize);
  ASSERT_TRUE(squat) << squat.error().ToString();
  const RegionId squatted = system_.DaemonRegions().Find("console0")->id;
  ReloadWith(R"(default = [ "allow=*" ]
xenshm = [ "allow=console*", "create=console0,size=16K,mode=0600" ])");
  ASSERT_TRUE(Eventually([&] {
    const backend::RegionTable regions = system_.DaemonRegions();
    const backend::Region* region = regions.Find("console0");
    return region != nullptr && region->id != squatted;
  }));
  EXPECT_EQ(system_.DaemonRegions().Find("console0")->size, 16u * 1024);
  auto again = system_.NewClient(kGuest).Attach("console0", kPageSize);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code(), Code::kNoPermission);
  auto dom0 = system_.NewClient(kDom0).Attach("console0", kPageSize);
  EXPECT_TRUE(dom0) << dom0.error().ToString();
}

}  // namespace
}  // namespace xenshm::testing
