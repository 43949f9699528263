// libxenshm's C API (xenshm/xenshm.h) over the fake hypervisor: every call,
// its error paths (NULL arguments, bad names and options, a buffer too
// small, a detached region) and the status vocabulary.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <set>
#include <string>

#include "base/types.h"
#include "frontend/lib/platform_client.h"
#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenshm/xenshm.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kA = 1, kB = 2, kAbsent = 9;

// The status a call returned, with errno and the message it left.
struct Outcome {
  int status;
  int err;
  std::string message;
};

template <typename F>
Outcome Observe(F&& call) {
  errno = 0;
  int status = call();
  int err = errno;
  return {status, err, xenshm_last_error()};
}

class CApi : public ::testing::Test {
 protected:
  xenshm_client* NewClient(DomainId domain) {
    xenshm_client* client = OpenClientOn(system_.OpenProcess(domain));
    clients_.push_back(client);
    return client;
  }
  xenshm_region* MustAttach(xenshm_client* client, const char* name,
                            const xenshm_attach_options* options = nullptr) {
    xenshm_region* region = nullptr;
    int status = xenshm_attach(client, name, kPageSize, options, &region);
    EXPECT_EQ(status, XENSHM_OK) << xenshm_last_error();
    regions_.push_back(region);
    return region;
  }
  // Both sides' libraries run until a can signal b and b can signal a.
  void Settle(xenshm_region* a, xenshm_region* b) {
    ASSERT_TRUE(Eventually([&] {
      xenshm_peer_set from_a = 0, from_b = 0;
      return xenshm_reachable_peers(a, &from_a) == XENSHM_OK &&
             xenshm_reachable_peers(b, &from_b) == XENSHM_OK &&
             (from_a & (1ull << xenshm_region_peer_index(b))) != 0 &&
             (from_b & (1ull << xenshm_region_peer_index(a))) != 0;
    }));
    xenshm_signal_status ignored;
    ASSERT_EQ(xenshm_take_status(a, &ignored), XENSHM_OK);
    ASSERT_EQ(xenshm_take_status(b, &ignored), XENSHM_OK);
  }
  void TearDown() override {
    for (xenshm_region* region : regions_) xenshm_region_free(region);
    for (xenshm_client* client : clients_) xenshm_close(client);
  }

  FakeXenSystem system_;
  std::vector<xenshm_client*> clients_;
  std::vector<xenshm_region*> regions_;
};

TEST(CApiStatus, EveryCodeHasItsStableNameAndASentence) {
  std::set<std::string> sentences;
  for (int status = XENSHM_OK; status <= XENSHM_RATE_LIMITED; ++status) {
    EXPECT_EQ(std::string(xenshm_status_name(status)),
              CodeName(static_cast<Code>(status)));
    sentences.insert(xenshm_strerror(status));
  }
  EXPECT_EQ(sentences.size(), size_t{XENSHM_RATE_LIMITED + 1})
      << "two codes share a sentence";
  EXPECT_STREQ(xenshm_status_name(XENSHM_NO_PERMISSION), "no-permission");
  EXPECT_STREQ(xenshm_status_name(XENSHM_BACKEND_UNAVAILABLE),
               "backend-unavailable");
  for (int unknown : {-1, XENSHM_RATE_LIMITED + 1, 1000}) {
    EXPECT_STREQ(xenshm_status_name(unknown), "unknown-failure");
    EXPECT_NE(xenshm_strerror(unknown), nullptr);
  }
}

TEST_F(CApi, AttachGivesARegionWithItsGeometry) {
  xenshm_client* a = NewClient(kA);
  EXPECT_EQ(xenshm_client_domain(a), kA);
  xenshm_region* region = nullptr;
  ASSERT_EQ(xenshm_attach(a, "moo", 3 * kPageSize, nullptr, &region), XENSHM_OK)
      << xenshm_last_error();
  regions_.push_back(region);
  EXPECT_STREQ(xenshm_region_name(region), "moo");
  EXPECT_EQ(xenshm_region_size(region), 3 * kPageSize);
  EXPECT_EQ(xenshm_region_peer_index(region), 0u);
  EXPECT_EQ(xenshm_region_handle(region), 0u);
  EXPECT_EQ(xenshm_region_writable(region), 1);
  ASSERT_NE(xenshm_region_data(region), nullptr);
  EXPECT_GE(xenshm_event_fd(region), 0);

  // A joiner sees the creator's size and the creator's bytes.
  std::memcpy(xenshm_region_data(region), "hello", 6);
  xenshm_region* joined = nullptr;
  ASSERT_EQ(xenshm_attach(NewClient(kB), "moo", kPageSize, nullptr, &joined),
            XENSHM_OK);
  regions_.push_back(joined);
  EXPECT_EQ(xenshm_region_size(joined), 3 * kPageSize);
  EXPECT_EQ(xenshm_region_peer_index(joined), 1u);
  EXPECT_STREQ(static_cast<const char*>(xenshm_region_data(joined)), "hello");
}

TEST_F(CApi, NullArgumentsAreInvalid) {
  xenshm_client* a = NewClient(kA);
  xenshm_region* region = nullptr;
  for (auto call : {+[](xenshm_client*, xenshm_region**r) {
                      return xenshm_attach(nullptr, "moo", 4096, nullptr, r);
                    },
                    +[](xenshm_client*c, xenshm_region**r) {
                      return xenshm_attach(c, nullptr, 4096, nullptr, r);
                    },
                    +[](xenshm_client*c, xenshm_region**) {
                      return xenshm_attach(c, "moo", 4096, nullptr, nullptr);
                    }}) {
    Outcome out = Observe([&] { return call(a, &region); });
    EXPECT_EQ(out.status, XENSHM_INVALID_ARGUMENT);
    EXPECT_EQ(out.err, EINVAL);
    EXPECT_NE(out.message.find("NULL"), std::string::npos) << out.message;
  }
  EXPECT_EQ(region, nullptr);

  xenshm_signal_status status;
  xenshm_signal_report report;
  xenshm_peer_set set;
  size_t count;
  xenshm_peer_info info[1];
  for (int result : {
           xenshm_detach(nullptr),
           xenshm_peers(nullptr, info, 1, &count),
           xenshm_signal(nullptr, 1, &report),
           xenshm_signal_domain(nullptr, kB, &report),
           xenshm_take_status(nullptr, &status),
           xenshm_peek_status(nullptr, &status),
           xenshm_wait(nullptr, 0, &status),
           xenshm_reachable_peers(nullptr, &set),
       }) {
    EXPECT_EQ(result, XENSHM_INVALID_ARGUMENT);
  }
  xenshm_region* live = MustAttach(a, "moo");
  for (int result : {
           xenshm_peers(live, info, 1, nullptr),
           xenshm_peers(live, nullptr, 1, &count),
           xenshm_take_status(live, nullptr),
           xenshm_peek_status(live, nullptr),
           xenshm_wait(live, 0, nullptr),
           xenshm_reachable_peers(live, nullptr),
       }) {
    EXPECT_EQ(result, XENSHM_INVALID_ARGUMENT);
  }
  // A report is optional.
  EXPECT_EQ(xenshm_signal(live, 1, nullptr), XENSHM_OK);

  errno = 0;
  EXPECT_EQ(xenshm_event_fd(nullptr), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(xenshm_region_name(nullptr), nullptr);
  EXPECT_EQ(xenshm_region_size(nullptr), 0u);
  EXPECT_EQ(xenshm_region_data(nullptr), nullptr);
  EXPECT_EQ(xenshm_region_writable(nullptr), 0);
  EXPECT_EQ(xenshm_client_domain(nullptr), 0);
  xenshm_close(nullptr);
  xenshm_region_free(nullptr);
  xenshm_attach_options_init(nullptr);
}

TEST_F(CApi, OpenRefusesUnknownFlagsAndANullOut) {
  xenshm_client* client = nullptr;
  Outcome flags = Observe([&] { return xenshm_open(1, &client); });
  EXPECT_EQ(flags.status, XENSHM_INVALID_ARGUMENT);
  EXPECT_NE(flags.message.find("flags"), std::string::npos) << flags.message;
  EXPECT_EQ(client, nullptr);
  EXPECT_EQ(xenshm_open(0, nullptr), XENSHM_INVALID_ARGUMENT);
}

TEST_F(CApi, BadNamesAndSizesLeaveNothingBehind) {
  xenshm_client* a = NewClient(kA);
  xenshm_region* region = nullptr;
  Outcome bad = Observe(
      [&] { return xenshm_attach(a, "Bad/Name", 4096, nullptr, &region); });
  EXPECT_EQ(bad.status, XENSHM_ILLEGAL_NAME);
  EXPECT_EQ(bad.err, EINVAL);
  EXPECT_FALSE(bad.message.empty());
  EXPECT_EQ(xenshm_attach(a, "", 4096, nullptr, &region), XENSHM_ILLEGAL_NAME);
  Outcome size =
      Observe([&] { return xenshm_attach(a, "moo", 0, nullptr, &region); });
  EXPECT_EQ(size.status, XENSHM_INVALID_ARGUMENT);
  EXPECT_NE(size.message.find("size 0"), std::string::npos) << size.message;
  EXPECT_EQ(region, nullptr);
  // Nothing was requested: the next attach gets handle 0.
  EXPECT_EQ(xenshm_region_handle(MustAttach(a, "moo")), 0u);
}

TEST_F(CApi, OptionsAreCheckedAndHonoured) {
  xenshm_client* a = NewClient(kA);
  xenshm_region* region = nullptr;
  xenshm_attach_options options;
  xenshm_attach_options_init(&options);
  EXPECT_EQ(options.struct_size, sizeof(options));
  EXPECT_EQ(options.timeout_ms, 10000);

  auto refused = [&](xenshm_attach_options bad, const char* why) {
    Outcome out =
        Observe([&] { return xenshm_attach(a, "moo", 4096, &bad, &region); });
    EXPECT_EQ(out.status, XENSHM_INVALID_ARGUMENT) << why;
    EXPECT_NE(out.message.find(why), std::string::npos) << out.message;
  };
  xenshm_attach_options small = options;
  small.struct_size = sizeof(size_t);
  refused(small, "struct_size");
  xenshm_attach_options mode = options;
  mode.mode = 7;
  refused(mode, "unknown mode 7");
  xenshm_attach_options access = options;
  access.access = 9;
  refused(access, "unknown access 9");
  xenshm_attach_options timeout = options;
  timeout.timeout_ms = -1;
  refused(timeout, "negative timeout_ms");
  EXPECT_EQ(region, nullptr);

  xenshm_attach_options only = options;
  only.mode = XENSHM_ATTACH_ONLY;
  EXPECT_EQ(xenshm_attach(a, "absent", 4096, &only, &region),
            XENSHM_DOES_NOT_EXIST);

  xenshm_attach_options handle = options;
  handle.use_handle = 1;
  handle.handle = 5;
  xenshm_region* at5 = MustAttach(a, "moo", &handle);
  EXPECT_EQ(xenshm_region_handle(at5), 5u);
  Outcome taken =
      Observe([&] { return xenshm_attach(a, "moo", 4096, &handle, &region); });
  EXPECT_EQ(taken.status, XENSHM_ALREADY_ATTACHED);
  EXPECT_EQ(taken.err, EEXIST);
  EXPECT_NE(taken.message.find("handle 5"), std::string::npos);

  xenshm_attach_options read_only = options;
  read_only.access = XENSHM_READ_ONLY;
  xenshm_region* ro = MustAttach(NewClient(kB), "moo", &read_only);
  EXPECT_EQ(xenshm_region_writable(ro), 0);
}

TEST_F(CApi, PeersFillTheCallersBufferOrSayHowMuchIsNeeded) {
  xenshm_region* a = MustAttach(NewClient(kA), "moo");
  xenshm_region* b = MustAttach(NewClient(kB), "moo");
  ASSERT_TRUE(Eventually([&] {
    size_t count = 0;
    return xenshm_peers(a, nullptr, 0, &count) == XENSHM_INVALID_ARGUMENT &&
           count == 2;
  }));

  xenshm_peer_info one[1] = {{77, 77, 77}};
  size_t count = 0;
  Outcome small = Observe([&] { return xenshm_peers(a, one, 1, &count); });
  EXPECT_EQ(small.status, XENSHM_INVALID_ARGUMENT);
  EXPECT_EQ(small.err, ERANGE);
  EXPECT_EQ(count, 2u);
  EXPECT_EQ(one[0].index, 77u) << "a buffer too small is not written";
  EXPECT_NE(small.message.find("room for 1"), std::string::npos);

  xenshm_peer_info all[XENSHM_MAX_PEERS];
  ASSERT_EQ(xenshm_peers(b, all, XENSHM_MAX_PEERS, &count), XENSHM_OK);
  ASSERT_EQ(count, 2u);
  EXPECT_EQ(all[0].index, 0u);
  EXPECT_EQ(all[0].domain, kA);
  EXPECT_EQ(all[1].index, 1u);
  EXPECT_EQ(all[1].domain, kB);
  EXPECT_EQ(all[1].handle, xenshm_region_handle(b));
}

TEST_F(CApi, SignalsReachTheChosenPeerAndItsStatusSaysWho) {
  xenshm_region* a = MustAttach(NewClient(kA), "moo");
  xenshm_region* b = MustAttach(NewClient(kB), "moo");
  Settle(a, b);
  const xenshm_peer_set a_bit = 1ull << xenshm_region_peer_index(a);
  const xenshm_peer_set b_bit = 1ull << xenshm_region_peer_index(b);
  xenshm_peer_set reachable = 0;
  ASSERT_EQ(xenshm_reachable_peers(a, &reachable), XENSHM_OK);
  EXPECT_EQ(reachable, b_bit);

  xenshm_signal_status status;
  Outcome quiet = Observe([&] { return xenshm_wait(b, 0, &status); });
  EXPECT_EQ(quiet.status, XENSHM_TIMED_OUT);
  EXPECT_EQ(quiet.err, ETIMEDOUT);

  xenshm_signal_report report{};
  ASSERT_EQ(xenshm_signal(a, b_bit | (1ull << 40), &report), XENSHM_OK);
  EXPECT_EQ(report.reached, b_bit);
  EXPECT_EQ(report.missed, 1ull << 40);
  ASSERT_EQ(xenshm_wait(b, 5000, &status), XENSHM_OK) << xenshm_last_error();
  EXPECT_EQ(status.signaled_by, a_bit);
  EXPECT_EQ(status.attached, a_bit | b_bit);

  // Peek keeps the signal, take clears it.
  ASSERT_EQ(xenshm_signal_domain(a, kB, &report), XENSHM_OK);
  EXPECT_EQ(report.reached, b_bit);
  ASSERT_TRUE(Eventually([&] {
    return xenshm_peek_status(b, &status) == XENSHM_OK &&
           status.signaled_by == a_bit;
  }));
  ASSERT_EQ(xenshm_peek_status(b, &status), XENSHM_OK);
  EXPECT_EQ(status.signaled_by, a_bit);
  ASSERT_EQ(xenshm_take_status(b, &status), XENSHM_OK);
  EXPECT_EQ(status.signaled_by, a_bit);
  ASSERT_EQ(xenshm_take_status(b, &status), XENSHM_OK);
  EXPECT_EQ(status.signaled_by, 0u);

  // Forever (-1) returns with news.
  ASSERT_EQ(xenshm_signal(b, XENSHM_ALL_PEERS, &report), XENSHM_OK);
  EXPECT_EQ(report.reached, a_bit);
  EXPECT_EQ(report.missed, 0u);
  ASSERT_EQ(xenshm_wait(a, -1, &status), XENSHM_OK);
  EXPECT_EQ(status.signaled_by, b_bit);

  Outcome nobody =
      Observe([&] { return xenshm_signal_domain(a, kAbsent, &report); });
  EXPECT_EQ(nobody.status, XENSHM_DOES_NOT_EXIST);
  EXPECT_EQ(nobody.err, ENOENT);
  EXPECT_NE(nobody.message.find("domain 9"), std::string::npos);
}

TEST_F(CApi, ADetachedRegionKeepsItsNameAndRefusesEveryCall) {
  xenshm_region* a = MustAttach(NewClient(kA), "moo");
  ASSERT_EQ(xenshm_detach(a), XENSHM_OK) << xenshm_last_error();
  EXPECT_EQ(xenshm_region_data(a), nullptr);
  EXPECT_STREQ(xenshm_region_name(a), "moo");
  EXPECT_EQ(xenshm_detach(a), XENSHM_OK) << "a second detach does nothing";

  xenshm_signal_status status;
  xenshm_peer_set set;
  size_t count;
  xenshm_peer_info info[XENSHM_MAX_PEERS];
  for (auto call :
       {+[](xenshm_region* r) { return xenshm_signal(r, 1, nullptr); },
        +[](xenshm_region* r) {
          return xenshm_signal_domain(r, kA, nullptr);
        }}) {
    Outcome out = Observe([&] { return call(a); });
    EXPECT_EQ(out.status, XENSHM_INVALID_ARGUMENT);
    EXPECT_NE(out.message.find("'moo' (handle 0) is detached"),
              std::string::npos)
        << out.message;
  }
  EXPECT_EQ(xenshm_take_status(a, &status), XENSHM_INVALID_ARGUMENT);
  EXPECT_EQ(xenshm_peek_status(a, &status), XENSHM_INVALID_ARGUMENT);
  EXPECT_EQ(xenshm_wait(a, 0, &status), XENSHM_INVALID_ARGUMENT);
  EXPECT_EQ(xenshm_wait(a, -1, &status), XENSHM_INVALID_ARGUMENT);
  EXPECT_EQ(xenshm_reachable_peers(a, &set), XENSHM_INVALID_ARGUMENT);
  EXPECT_EQ(xenshm_peers(a, info, XENSHM_MAX_PEERS, &count),
            XENSHM_INVALID_ARGUMENT);
  errno = 0;
  EXPECT_EQ(xenshm_event_fd(a), -1);
  EXPECT_EQ(errno, EINVAL);
}

TEST_F(CApi, DetachWithoutXenshmdSaysSoAndStillLeaves) {
  xenshm_region* a = MustAttach(NewClient(kA), "moo");
  system_.StopDaemon();
  Outcome out = Observe([&] { return xenshm_detach(a); });
  EXPECT_EQ(out.status, XENSHM_BACKEND_UNAVAILABLE);
  EXPECT_EQ(out.err, ECONNREFUSED);
  EXPECT_NE(out.message.find("did not confirm"), std::string::npos);
  EXPECT_EQ(xenshm_region_data(a), nullptr);
}

TEST_F(CApi, RegionsOutliveTheirClosedClient) {
  xenshm_client* a = OpenClientOn(system_.OpenProcess(kA));
  xenshm_region* region = nullptr;
  ASSERT_EQ(xenshm_attach(a, "moo", kPageSize, nullptr, &region), XENSHM_OK);
  xenshm_close(a);
  xenshm_signal_status status;
  EXPECT_EQ(xenshm_take_status(region, &status), XENSHM_OK);
  EXPECT_EQ(xenshm_detach(region), XENSHM_OK);
  xenshm_region_free(region);
}

TEST_F(CApi, TheLastErrorBelongsToTheFailingThreadAndSurvivesSuccess) {
  xenshm_client* a = NewClient(kA);
  xenshm_region* region = nullptr;
  ASSERT_EQ(xenshm_attach(a, "ba/d", 4096, nullptr, &region),
            XENSHM_ILLEGAL_NAME);
  const std::string message = xenshm_last_error();
  EXPECT_FALSE(message.empty());
  MustAttach(a, "moo");
  EXPECT_EQ(xenshm_last_error(), message);
  std::string other_thread;
  std::thread([&] { other_thread = xenshm_last_error(); }).join();
  EXPECT_EQ(other_thread, "");
}

// The header-only C++ layer keeps today's shape over the C calls.
TEST_F(CApi, TheCxxLayerRebuildsStatusesFromTheCCalls) {
  Client client = ClientOn(system_.OpenProcess(kA));
  EXPECT_EQ(client.domain(), kA);
  auto nul = client.Attach(std::string_view("mo\0o", 4), kPageSize);
  ASSERT_FALSE(nul);
  EXPECT_EQ(nul.error().code(), Code::kIllegalName);
  auto bad = client.Attach("ba/d", kPageSize);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), Code::kIllegalName);
  EXPECT_NE(bad.error().ToString().find("illegal-name: region name"),
            std::string::npos)
      << bad.error().ToString();
  auto region = client.Attach("moo", kPageSize);
  ASSERT_TRUE(region) << region.error().ToString();
  EXPECT_EQ((*region)->name(), "moo");
  ASSERT_TRUE((*region)->Detach().ok());
  EXPECT_EQ((*region)->data(), nullptr);
  EXPECT_EQ((*region)->name(), "moo");
  auto after = (*region)->Signal(kAllPeers);
  ASSERT_FALSE(after);
  EXPECT_EQ(after.error().code(), Code::kInvalidArgument);
  EXPECT_NE(after.error().message().find("detached"), std::string::npos);
}

}  // namespace
}  // namespace xenshm::testing
