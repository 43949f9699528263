// The policy follows the domain, and reserved names stay their declarer's
// (docs/policy.md, "How a domain gets its policy" and "Reserved names"):
// xenshmd's core with the policy Evaluator and the FilePolicyResolver over
// the fake hypervisor and a temporary pin and config directory. A reboot
// or restore is a new domid with the old name and UUID, as xl makes it.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "backend/policy/evaluator.h"
#include "backend/policy/file_policy_resolver.h"
#include "backend/policy/policy_codec.h"
#include "backend/policy/xl_config.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "tests/integration/raw_request.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

constexpr char kCameraUuid[] = "6d1a3c9e-0b6f-4c47-9a0e-5f2b1d7c8e90";
constexpr char kSquatterUuid[] = "0f0f0f0f-1111-4222-8333-444455556666";

std::string MakeTempDir() {
  std::string pattern =
      (std::filesystem::temp_directory_path() / "xenshm-follow-XXXXXX")
          .string();
  EXPECT_NE(mkdtemp(pattern.data()), nullptr);
  return pattern;
}

class PolicyFollows : public ::testing::Test {
 protected:
  PolicyFollows()
      : root_(MakeTempDir()),
        resolver_(
            policy::PinStore(root_ + "/pins"),
            policy::ConfigScan({root_ + "/auto", root_ + "/xen"}, {},
                               [this](const std::string& line) {
                                 std::lock_guard<std::mutex> lock(log_mu_);
                                 log_.push_back(line);
                               })),
        policy_(policy::Dom0Policy{},
                [this](std::string_view line) {
                  std::lock_guard<std::mutex> lock(log_mu_);
                  log_.emplace_back(line);
                }),
        configured_(
            (policy_.SetResolver(&resolver_, std::chrono::milliseconds(1500)),
             true)),
        system_(&policy_) {
    std::filesystem::create_directories(root_ + "/auto");
    std::filesystem::create_directories(root_ + "/xen");
  }
  ~PolicyFollows() override { std::filesystem::remove_all(root_); }

  // An xl config file in dir (auto or xen) for domain `name`.
  void WriteConfig(const std::string& dir, const std::string& file,
                   const std::string& name, const std::string& items) {
    const std::string path = root_ + "/" + dir + "/" + file;
    std::ofstream(path) << "name = \"" << name << "\"\nmemory = 128\n"
                        << (items.empty() ? ""
                                          : "xenshm = [ " + items + " ]\n");
    chmod(path.c_str(), 0644);
  }

  // What xenshm-xl-create does: pins the policy to the UUID it gives xl.
  void PinLikeTheWrapper(const std::string& name, const std::string& uuid,
                         const std::string& items) {
    auto parsed =
        policy::ParseGuestConfig("xenshm = [ " + items + " ]\n", name + ".cfg");
    ASSERT_TRUE(parsed && *parsed);
    ASSERT_TRUE(policy::PinStore(root_ + "/pins")
                    .Write({name, uuid, {**parsed, "xenshm-xl-create", false}})
                    .ok());
  }

  void Boot(DomainId domain, const std::string& name, const std::string& uuid) {
    system_.hypervisor().CreateDomain(domain, {name, uuid});
  }

  Answer Ask(DomainId domain, const std::string& name,
             schema::AttachMode mode = schema::AttachMode::kCreateOrAttach,
             schema::Access access = schema::Access::kReadWrite,
             bool withdraw = true) {
    return AskRaw(*system_.OpenProcess(domain).xenstore, domain,
                  next_handle_[domain]++, {name, 4 * kPageSize, mode, access},
                  !withdraw);
  }

  bool Logged(const std::string& part) {
    std::lock_guard<std::mutex> lock(log_mu_);
    for (const std::string& line : log_) {
      if (line.find(part) != std::string::npos) return true;
    }
    for (const std::string& line : system_.log()) {
      if (line.find(part) != std::string::npos) return true;
    }
    return false;
  }

  std::string root_;
  policy::FilePolicyResolver resolver_;
  std::mutex log_mu_;
  std::vector<std::string> log_;
  policy::Evaluator policy_;
  bool configured_;
  FakeXenSystem system_;
  std::map<DomainId, uint32_t> next_handle_;
};

TEST_F(PolicyFollows, PlainXlCreateFindsTheConfigByName) {
  WriteConfig("xen", "camera.cfg", "camera", R"("allow=cam*")");
  Boot(1, "camera", kCameraUuid);
  EXPECT_EQ(Ask(1, "cam-a").status, "ok");
  EXPECT_EQ(Ask(1, "other").status, "no-permission");
  EXPECT_TRUE(Logged("xenshm policy from " + root_ + "/xen/camera.cfg"));
}

TEST_F(PolicyFollows, RebootKeepsTheRulesItStartedWith) {
  PinLikeTheWrapper("camera", kCameraUuid, R"("allow=cam*")");
  // The config on disk says otherwise: a reboot keeps what the domain
  // started with, as xl keeps the config it started it from.
  WriteConfig("xen", "camera.cfg", "camera", R"("allow=*")");
  Boot(1, "camera", kCameraUuid);
  EXPECT_EQ(Ask(1, "cam-a").status, "ok");
  EXPECT_EQ(Ask(1, "other").status, "no-permission");
  system_.hypervisor().DestroyDomain(1);
  Boot(2, "camera", kCameraUuid);  // xl's reboot: new domid, same UUID
  EXPECT_EQ(Ask(2, "cam-b").status, "ok");
  EXPECT_EQ(Ask(2, "other").status, "no-permission");
  // A fresh `xl create` (a new UUID) reads the file as it is now.
  system_.hypervisor().DestroyDomain(2);
  Boot(3, "camera", "");
  EXPECT_EQ(Ask(3, "other").status, "ok");
}

TEST_F(PolicyFollows, ConfigFoundPolicyIsPinnedForTheRestore) {
  WriteConfig("auto", "camera", "camera", R"("allow=cam*")");  // xendomains
  Boot(1, "camera", kCameraUuid);
  EXPECT_EQ(Ask(1, "cam-a").status, "ok");
  system_.hypervisor().DestroyDomain(1);  // xl save
  std::filesystem::remove(root_ + "/auto/camera");
  Boot(4, "camera", kCameraUuid);  // xl restore: same UUID
  EXPECT_EQ(Ask(4, "cam-a").status, "ok");
  EXPECT_EQ(Ask(4, "other").status, "no-permission");
}

TEST_F(PolicyFollows, NoPolicyFoundMeansNoAccessAndTheLogSaysWhy) {
  Boot(1, "stranger", "");
  const Answer answer = Ask(1, "anything");
  EXPECT_EQ(answer.status, "no-permission");
  EXPECT_NE(answer.message.find("it has no xenshm policy"), std::string::npos)
      << answer;
  EXPECT_TRUE(Logged("('stranger', 00000000-"));
  EXPECT_TRUE(Logged("it may attach nothing"));
}

TEST_F(PolicyFollows, ConfigsThatDisagreeGiveNoAccess) {
  WriteConfig("auto", "camera", "camera", R"("allow=cam*")");
  WriteConfig("xen", "camera.cfg", "camera", R"("allow=*")");
  Boot(1, "camera", "");
  EXPECT_EQ(Ask(1, "cam-a").status, "no-permission");
  EXPECT_TRUE(Logged("two xl configs name domain 'camera'"));
}

TEST_F(PolicyFollows, AConfigOthersMayWriteIsNotUsed) {
  WriteConfig("xen", "camera.cfg", "camera", R"("allow=*")");
  chmod((root_ + "/xen/camera.cfg").c_str(), 0666);
  Boot(1, "camera", "");
  EXPECT_EQ(Ask(1, "cam-a").status, "no-permission");
  EXPECT_TRUE(Logged("others may write it"));
}

TEST_F(PolicyFollows, ARequestWaitsUntilTheDomainCanBeNamed) {
  WriteConfig("xen", "camera.cfg", "camera", R"("allow=cam*")");
  // The toolstack has not written the name yet when the request comes.
  system_.hypervisor().CreateDomain(1, {"camera", "", /*write_name=*/false});
  auto answer = std::async(std::launch::async, [&] { return Ask(1, "cam-a"); });
  EXPECT_EQ(answer.wait_for(std::chrono::milliseconds(300)),
            std::future_status::timeout)
      << "judged before its policy was known: " << answer.get();
  XenStore& dom0 = *system_.OpenProcess(kDom0).xenstore;
  ASSERT_TRUE(
      dom0.Write(kNoTransaction, "/local/domain/1/name", "camera").ok());
  // Judged by its config's rules, not by "no policy".
  EXPECT_EQ(answer.get().status, "ok");
}

TEST_F(PolicyFollows, ADomainThatCannotBeNamedIsRefusedAfterTheWait) {
  WriteConfig("xen", "ghost.cfg", "ghost", R"("allow=*")");
  system_.hypervisor().CreateDomain(1, {"ghost", "", /*write_name=*/false});
  const auto started = std::chrono::steady_clock::now();
  const Answer answer = Ask(1, "x");
  EXPECT_EQ(answer.status, "no-permission") << answer;
  EXPECT_GE(std::chrono::steady_clock::now() - started,
            std::chrono::milliseconds(1500));
  EXPECT_TRUE(Logged("its name cannot be read"));
}

// Squatting: a domain outside a declaration's terms never sees the
// declared region's data under its name, before or after the declarer
// starts, and cannot stop the declarer from starting.
TEST_F(PolicyFollows, SquatterLosesTheNameWhenTheDeclarerStarts) {
  PinLikeTheWrapper("squatter", kSquatterUuid, R"("allow=*")");
  Boot(1, "squatter", kSquatterUuid);
  // Before anyone declares cam0, the squatter creates it and stays on it.
  ASSERT_EQ(Ask(1, "cam0", schema::AttachMode::kCreateOrAttach,
                schema::Access::kReadWrite, /*withdraw=*/false)
                .status,
            "ok");
  const RegionId squatted = system_.DaemonRegions().Find("cam0")->id;

  PinLikeTheWrapper("camera", kCameraUuid,
                    R"("allow=cam*", "create=cam0,size=64K,mode=0600")");
  Boot(2, "camera", kCameraUuid);
  ASSERT_TRUE(Eventually([&] {
    const backend::RegionTable regions = system_.DaemonRegions();
    const backend::Region* region = regions.Find("cam0");
    return region != nullptr && region->id != squatted;
  }));
  backend::RegionTable regions = system_.DaemonRegions();
  const backend::Region* declared = regions.Find("cam0");
  EXPECT_EQ(declared->size, 64u * 1024);
  EXPECT_TRUE(declared->peers.empty());
  // The squatter keeps its memory, under a name no request can ask for.
  const std::string hidden = "@" + std::to_string(squatted) + "-cam0";
  ASSERT_NE(regions.Find(hidden), nullptr);
  EXPECT_EQ(regions.Find(hidden)->peers.size(), 1u);
  EXPECT_TRUE(Logged("region 'cam0' of domain 1 loses its name"));
  EXPECT_TRUE(Logged("reserved by domain 'camera'"));

  // The squatter may not join the declared region (mode 0600)...
  const Answer joined = Ask(1, "cam0");
  EXPECT_EQ(joined.status, "no-permission") << joined;
  EXPECT_EQ(joined.message.find("0600"), std::string::npos);
  EXPECT_EQ(joined.message.find("camera"), std::string::npos);
  // ... and its answer is the same once the declarer is gone.
  system_.hypervisor().DestroyDomain(2);
  ASSERT_TRUE(Eventually(
      [&] { return system_.DaemonRegions().Find("cam0") == nullptr; }));
  EXPECT_EQ(Ask(1, "cam0"), joined);
  EXPECT_EQ(
      Ask(1, "cam0", schema::AttachMode::kAttachOnly, schema::Access::kReadOnly)
          .status,
      "no-permission");

  // The declarer reboots: its region is fresh memory, owned by it again.
  Boot(3, "camera", kCameraUuid);
  ASSERT_TRUE(Eventually(
      [&] { return system_.DaemonRegions().Find("cam0") != nullptr; }));
  EXPECT_EQ(Ask(3, "cam0").status, "ok");
}

TEST_F(PolicyFollows, ReservedBeforeTheDeclarerStartsAndGroupPeersKeepIt) {
  PinLikeTheWrapper(
      "camera", kCameraUuid,
      R"("allow=cam*", "groups=video", "create=cam0,size=16K,mode=0660")");
  PinLikeTheWrapper("viewer", kSquatterUuid, R"("allow=cam*", "groups=video")");
  // xenshmd reads every pin when it starts.
  system_.StopDaemon();
  policy_.SetResolver(&resolver_, std::chrono::milliseconds(1500));
  ASSERT_TRUE(system_.RestartDaemon(/*reset=*/true).ok());
  Boot(1, "viewer", kSquatterUuid);
  // The declarer is not running: the viewer (in its group) may not create
  // the reserved name, and is told it is not made yet.
  const Answer early = Ask(1, "cam0");
  EXPECT_EQ(early.status, "no-permission") << early;
  EXPECT_NE(early.message.find("by creating it: the name is reserved"),
            std::string::npos)
      << early;
  EXPECT_EQ(Ask(1, "cam0", schema::AttachMode::kAttachOnly).status,
            "does-not-exist");
  Boot(2, "camera", kCameraUuid);
  ASSERT_TRUE(Eventually(
      [&] { return system_.DaemonRegions().Find("cam0") != nullptr; }));
  const RegionId declared = system_.DaemonRegions().Find("cam0")->id;
  ASSERT_EQ(Ask(1, "cam0", schema::AttachMode::kAttachOnly,
                schema::Access::kReadWrite, /*withdraw=*/false)
                .status,
            "ok");
  // The declarer reboots while the viewer is attached: same region, and
  // the declarer is its owner again.
  system_.hypervisor().DestroyDomain(2);
  Boot(3, "camera", kCameraUuid);
  EXPECT_EQ(Ask(3, "cam0").status, "ok");
  EXPECT_EQ(system_.DaemonRegions().Find("cam0")->id, declared);
}

TEST_F(PolicyFollows, AFreshStartWithoutAStanzaReleasesTheNames) {
  WriteConfig("xen", "camera.cfg", "camera",
              R"("allow=cam*", "create=cam0,size=16K,mode=0600")");
  Boot(1, "camera", "");
  PinLikeTheWrapper("squatter", kSquatterUuid, R"("allow=*")");
  Boot(2, "squatter", kSquatterUuid);
  EXPECT_EQ(Ask(2, "cam0").status, "no-permission");
  system_.hypervisor().DestroyDomain(1);
  EXPECT_EQ(Ask(2, "cam0").status, "no-permission");  // still camera's
  // The admin starts "camera" afresh from a config without a stanza.
  WriteConfig("xen", "camera.cfg", "camera", "");
  Boot(3, "camera", "");
  ASSERT_TRUE(Eventually([&] { return Logged("('camera', 0"); }));
  EXPECT_EQ(Ask(2, "cam0").status, "ok");
}

TEST_F(PolicyFollows, ASecondDeclarerIsReportedNotSkippedSilently) {
  PinLikeTheWrapper("camera", kCameraUuid,
                    R"("allow=cam*", "create=cam0,size=16K")");
  PinLikeTheWrapper("rival", kSquatterUuid,
                    R"("allow=cam*", "create=cam0,size=32K")");
  Boot(1, "camera", kCameraUuid);
  Boot(2, "rival", kSquatterUuid);
  ASSERT_TRUE(Eventually([&] {
    return Logged("is declared by domain 'rival'") &&
           Logged("reserved already by domain 'camera'");
  }));
  ASSERT_TRUE(Eventually(
      [&] { return system_.DaemonRegions().Find("cam0") != nullptr; }));
  EXPECT_EQ(system_.DaemonRegions().Find("cam0")->size, 16u * 1024);
}

}  // namespace
}  // namespace xenshm::testing
