// A malicious guest writes garbage into its request nodes. Each hostile value
// class gets the right status, and other guests' attachments keep working.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kGuestA = 1;
constexpr DomainId kGuestB = 2;
constexpr DomainId kAttacker = 3;

struct HostileRequest {
  std::string what;
  std::map<std::string, std::string> nodes;  // written before state
  std::string state = "3";
  Code expected;
};

std::map<std::string, std::string> Valid() {
  return {{"name", "moo"},
          {"size", "4096"},
          {"mode", "create-or-attach"},
          {"access", "rw"}};
}

std::map<std::string, std::string> With(std::string node, std::string value) {
  auto nodes = Valid();
  nodes[node] = std::move(value);
  return nodes;
}

std::map<std::string, std::string> Without(const std::string& node) {
  auto nodes = Valid();
  nodes.erase(node);
  return nodes;
}

class HostileGuest : public ::testing::Test {
 protected:
  void SetUp() override {
    a_ = std::move(*system_.NewClient(kGuestA).Attach("moo", 2 * kPageSize));
    b_ = std::move(*system_.NewClient(kGuestB).Attach("moo", 2 * kPageSize));
    attacker_ = &system_.OpenProcess(kAttacker);
    // xenshmd hands the attacker its request directory asynchronously.
    ASSERT_TRUE(Eventually([&] {
      return attacker_->xenstore
          ->Read(kNoTransaction, schema::FrontendRoot(kAttacker))
          .has_value();
    }));
  }

  // Writes the request raw and returns the backend's answer.
  std::pair<std::string, std::string> Submit(uint32_t handle,
                                             const HostileRequest& request) {
    XenStore& xs = *attacker_->xenstore;
    for (const auto& [node, value] : request.nodes) {
      EXPECT_TRUE(xs.Write(kNoTransaction,
                           schema::FrontendNode(kAttacker, handle, node), value)
                      .ok())
          << request.what;
    }
    EXPECT_TRUE(xs.Write(kNoTransaction,
                         schema::FrontendNode(kAttacker, handle, "state"),
                         request.state)
                    .ok());
    std::string state;
    EXPECT_TRUE(Eventually([&] {
      auto read = xs.Read(kNoTransaction,
                          schema::BackendNode(kAttacker, handle, "state"));
      state = read.value_or("");
      return state == "6" || state == "4";
    })) << request.what;
    return {xs.Read(kNoTransaction,
                    schema::BackendNode(kAttacker, handle, "status"))
                .value_or("(none)"),
            xs.Read(kNoTransaction,
                    schema::BackendNode(kAttacker, handle, "message"))
                .value_or("")};
  }

  void ExpectVictimsStillShare(size_t peers_expected = 2) {
    auto* a = static_cast<char*>(a_->data());
    auto* b = static_cast<char*>(b_->data());
    std::strcpy(a + kPageSize, "still here");
    EXPECT_STREQ(b + kPageSize, "still here");
    auto peers = a_->Peers();
    ASSERT_TRUE(peers);
    EXPECT_EQ(peers->size(), peers_expected);
  }

  FakeXenSystem system_;
  std::unique_ptr<Region> a_, b_;
  Platform* attacker_ = nullptr;
};

TEST_F(HostileGuest, EachHostileValueClassGetsItsStatus) {
  const std::string long_name(schema::kMaxNameLength + 1, 'n');
  const HostileRequest cases[] = {
      {"overlong name", With("name", long_name), "3", Code::kIllegalName},
      {"huge name", With("name", std::string(2000, 'n')), "3",
       Code::kIllegalName},
      {"separator in name", With("name", "a/b"), "3", Code::kIllegalName},
      {"non-printable name", With("name", std::string("m\x01o", 3)), "3",
       Code::kIllegalName},
      {"empty name", With("name", ""), "3", Code::kIllegalName},
      {"negative size", With("size", "-1"), "3", Code::kInvalidArgument},
      {"hex size", With("size", "0x1000"), "3", Code::kInvalidArgument},
      {"zero size", With("size", "0"), "3", Code::kInvalidArgument},
      {"oversize", With("size", "99999999999999999999"), "3",
       Code::kInvalidArgument},
      {"size with space", With("size", "4096 "), "3", Code::kInvalidArgument},
      {"unknown mode", With("mode", "steal"), "3", Code::kInvalidArgument},
      {"unknown access", With("access", "rwx"), "3", Code::kInvalidArgument},
      {"missing name", Without("name"), "3", Code::kInvalidArgument},
      {"missing size", Without("size"), "3", Code::kInvalidArgument},
      {"garbage state", Valid(), "three", Code::kInvalidArgument},
      {"state out of range", Valid(), "9", Code::kInvalidArgument},
      {"backward state", Valid(), "2", Code::kInvalidArgument},
  };
  uint32_t handle = 0;
  for (const auto& request : cases) {
    auto [status, message] = Submit(handle, request);
    EXPECT_EQ(status, CodeName(request.expected))
        << request.what << ": " << message;
    EXPECT_FALSE(message.empty()) << request.what;
    // Withdrawn as a library does, so the attacker stays within its quota
    // of pending requests (tests/integration/quota_test.cc has that one).
    (void)attacker_->xenstore->Remove(kNoTransaction,
                                      schema::FrontendPath(kAttacker, handle));
    ++handle;
  }
  ExpectVictimsStillShare();
  // The daemon still serves everyone, the attacker included.
  auto again = system_.NewClient(kAttacker).Attach("moo", kPageSize);
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ((*again)->size(), 2 * kPageSize);
}

TEST_F(HostileGuest, BackwardMoveAfterAttachIsAnErrorAndChangesNothing) {
  auto [status, message] = Submit(7, {"valid", Valid(), "3", Code::kOk});
  ASSERT_EQ(status, "ok") << message;
  XenStore& xs = *attacker_->xenstore;
  ASSERT_TRUE(
      xs.Write(kNoTransaction, schema::FrontendNode(kAttacker, 7, "state"), "1")
          .ok());
  EXPECT_TRUE(Eventually([&] {
    return xs.Read(kNoTransaction, schema::BackendNode(kAttacker, 7, "error"))
        .has_value();
  }));
  auto peers = a_->Peers();
  ASSERT_TRUE(peers);
  EXPECT_EQ(peers->size(), 3u);  // the attacker is still attached
  ExpectVictimsStillShare(3);
}

TEST_F(HostileGuest, CannotWriteAnotherGuestsRequestsOrTheBackendNodes) {
  XenStore& xs = *attacker_->xenstore;
  EXPECT_EQ(
      xs.Write(kNoTransaction, schema::FrontendNode(kGuestA, 0, "state"), "5")
          .code(),
      Code::kNoPermission);
  EXPECT_EQ(xs.Write(kNoTransaction,
                     schema::BackendNode(kAttacker, 0, "status"), "ok")
                .code(),
            Code::kNoPermission);
  EXPECT_FALSE(xs.Read(kNoTransaction, schema::RegistryPath("moo") + "/size"));
  ExpectVictimsStillShare();
}

TEST_F(HostileGuest, FloodOfHandlesIsBoundedByItsOwnQuota) {
  XenStore& xs = *attacker_->xenstore;
  Status last;
  for (uint32_t handle = 0; handle <= schema::kMaxHandle; ++handle) {
    last = xs.Write(kNoTransaction,
                    schema::FrontendNode(kAttacker, handle, "name"), "x");
    if (!last.ok()) break;
  }
  EXPECT_EQ(last.code(), Code::kQuotaExceeded);
  ExpectVictimsStillShare();
}

}  // namespace
}  // namespace xenshm::testing
