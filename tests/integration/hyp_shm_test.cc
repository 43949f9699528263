// hyp_shm.h over the fake hypervisor: a dom0 program attaches a guest's
// region, pokes everyone but itself, learns of notifications on its fd, and
// is held to the guests' 0..15 index rule.
#include "xenshm/hyp_shm.h"

#include <gtest/gtest.h>
#include <poll.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "tests/integration/eventually.h"
#include "tests/integration/qnx_system.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kGuest = 1;

class HypShm : public QnxSystemTest {
 protected:
  ~HypShm() override {
    hyp_shm_destroy(host_);
    for (guest_shm_factory* factory : factories_) {
      guest_shm_factory_close(factory);
    }
  }
  // A guest's connection to `name` through guest_shm.h.
  guest_shm_control* Guest(DomainId domain, const char* name,
                           uint32_t pages = 1) {
    guest_shm_factory* factory = guest_shm_factory_open_on(NewClient(domain));
    factories_.push_back(factory);
    std::strncpy(factory->name, name, sizeof factory->name);
    EXPECT_EQ(guest_shm_create(factory, pages), GSS_OK)
        << guest_shm_last_error();
    return reinterpret_cast<guest_shm_control*>(factory->shmem);
  }
  int Attach(const char* name, size_t size = 0x1000) {
    return hyp_shm_attach(host_, name, size, HYP_SHM_MODE_DEFAULT,
                          HYP_SHM_GID_DEFAULT);
  }

  hyp_shm* host_ = hyp_shm_create_on(NewClient(kDom0));
  std::vector<guest_shm_factory*> factories_;
};

TEST_F(HypShm, AttachesAGuestsRegionWithItsSizeIndexAndName) {
  guest_shm_control* guest = Guest(kGuest, "moo", 2);
  ASSERT_NE(guest, nullptr);
  std::strcpy(reinterpret_cast<char*>(guest) + 0x1000, "from the guest");

  ASSERT_EQ(Attach("moo", 100), GSS_OK) << guest_shm_last_error();
  EXPECT_EQ(hyp_shm_size(host_), 0x2000u) << "the creator's size wins";
  EXPECT_EQ(hyp_shm_idx(host_), 1u);
  EXPECT_STREQ(hyp_shm_name(host_), "moo");
  auto* data = static_cast<char*>(hyp_shm_data(host_));
  ASSERT_NE(data, nullptr);
  EXPECT_STREQ(data, "from the guest");
  std::strcpy(data + 0x1000, "from dom0");
  EXPECT_STREQ(reinterpret_cast<char*>(guest) + 0x2000, "from dom0");
}

TEST_F(HypShm, PokesEveryoneButItselfAndLearnsOfNotificationsOnItsFd) {
  guest_shm_control* guest = Guest(kGuest, "moo");
  ASSERT_EQ(Attach("moo"), GSS_OK) << guest_shm_last_error();
  // Both libraries look (no short cut) until each can notify the other.
  ASSERT_TRUE(Eventually([&] {
    return (hyp_shm_status(host_) >> 16 == 0x3u) &
           (guest_shm_status(guest) >> 16 == 0x3u);
  }));

  // Once the host sees the guest's bit, one poke reaches it.
  ASSERT_EQ(hyp_shm_poke(host_, ~0u), 0);
  uint32_t seen = 0;
  ASSERT_TRUE(Eventually(
      [&] { return ((seen = guest_shm_status(guest)) & 0xffff) != 0; }));
  EXPECT_EQ(seen & 0xffff, 1u << hyp_shm_idx(host_));
  EXPECT_EQ(hyp_shm_status(host_) & 0xffff, 0u) << "~0 is all but me";

  // And the other way, delivered on the host's fd.
  const int fd = hyp_shm_event_fd(host_);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(guest_shm_notify(guest, 1u << hyp_shm_idx(host_)), 0);
  struct pollfd pfd = {fd, POLLIN, 0};
  ASSERT_EQ(poll(&pfd, 1, 5000), 1);
  EXPECT_EQ(hyp_shm_status(host_) & 0xffff, 1u << guest->idx);
}

TEST_F(HypShm, AModeOrGroupOfItsOwnIsRefusedNotIgnored) {
  errno = 0;
  EXPECT_EQ(hyp_shm_attach(host_, "moo", 0x1000, 0660, HYP_SHM_GID_DEFAULT),
            GSS_UNKNOWN_FAILURE);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_NE(std::string(guest_shm_last_error()).find("policy"),
            std::string::npos);
  EXPECT_EQ(hyp_shm_attach(host_, "moo", 0x1000, HYP_SHM_MODE_DEFAULT, 44),
            GSS_UNKNOWN_FAILURE);
  EXPECT_EQ(hyp_shm_data(host_), nullptr) << "nothing attached";
}

TEST_F(HypShm, SixteenClientsIncludeTheHostAndNamesHaveQnxsLimit) {
  for (DomainId d = 1; d <= GUEST_SHM_MAX_CLIENTS; ++d) {
    ASSERT_NE(Guest(d, "moo"), nullptr);
  }
  EXPECT_EQ(Attach("moo"), GSS_CLIENT_MAX);
  EXPECT_EQ(hyp_shm_data(host_), nullptr);

  EXPECT_EQ(Attach(std::string(GUEST_SHM_MAX_NAME + 1, 'n').c_str()),
            GSS_ILLEGAL_NAME);
  EXPECT_EQ(Attach(std::string(GUEST_SHM_MAX_NAME, 'n').c_str()), GSS_OK)
      << guest_shm_last_error();
}

TEST_F(HypShm, DetachLeavesAndTheHandleAttachesAgain) {
  ASSERT_EQ(Attach("moo"), GSS_OK);
  errno = 0;
  EXPECT_EQ(Attach("cow"), GSS_UNKNOWN_FAILURE);
  EXPECT_EQ(errno, EBUSY);
  ASSERT_EQ(hyp_shm_detach(host_), 0);
  EXPECT_EQ(hyp_shm_data(host_), nullptr);
  EXPECT_EQ(hyp_shm_size(host_), 0u);
  EXPECT_STREQ(hyp_shm_name(host_), "");
  EXPECT_EQ(hyp_shm_detach(host_), -1);
  EXPECT_EQ(hyp_shm_poke(host_, ~0u), -1);
  EXPECT_EQ(hyp_shm_event_fd(host_), -1);
  EXPECT_EQ(hyp_shm_status(host_), 0u);
  EXPECT_EQ(PeersOf(kGuest, "moo"), 0u);
  ASSERT_EQ(Attach("cow"), GSS_OK);
  EXPECT_EQ(PeersOf(kGuest, "cow"), 1u);
}

}  // namespace
}  // namespace xenshm::testing
