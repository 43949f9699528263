// guest_shm.h over the fake hypervisor: discovery, the control page before
// the data, notify and status words, the 16-client limit, native peers
// above 15, and every GSS_* code.
#include "xenshm/guest_shm.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "tests/integration/eventually.h"
#include "tests/integration/qnx_system.h"

namespace xenshm::testing {
namespace {

constexpr DomainId kA = 1, kB = 2;

class GuestShm : public QnxSystemTest {
 protected:
  ~GuestShm() override {
    for (guest_shm_factory* factory : factories_) {
      guest_shm_factory_close(factory);
    }
  }
  guest_shm_factory* Factory(DomainId domain) {
    guest_shm_factory* factory = guest_shm_factory_open_on(NewClient(domain));
    EXPECT_NE(factory, nullptr);
    factories_.push_back(factory);
    return factory;
  }
  static void Name(guest_shm_factory* factory, const char* name) {
    std::memset(factory->name, 0, sizeof factory->name);
    std::memcpy(factory->name, name,
                std::min(std::strlen(name), sizeof factory->name));
  }
  // QNX's create: name, then size; the control page or null.
  guest_shm_control* Create(DomainId domain, const char* name,
                            uint32_t pages = 1) {
    guest_shm_factory* factory = Factory(domain);
    Name(factory, name);
    if (guest_shm_create(factory, pages) != GSS_OK) {
      ADD_FAILURE() << name << ": " << guest_shm_last_error();
      return nullptr;
    }
    return reinterpret_cast<guest_shm_control*>(factory->shmem);
  }
  static uint32_t CreateStatus(guest_shm_factory* factory, const char* name,
                               uint32_t pages) {
    Name(factory, name);
    return guest_shm_create(factory, pages);
  }

  std::vector<guest_shm_factory*> factories_;
};

// The permissions /proc/self/maps lists for the mapping holding `address`.
std::string PermissionsOf(const void* address) {
  std::ifstream maps("/proc/self/maps");
  const auto at = reinterpret_cast<uintptr_t>(address);
  std::string line;
  while (std::getline(maps, line)) {
    uintptr_t start = 0, end = 0;
    char perms[5] = {};
    if (std::sscanf(line.c_str(), "%lx-%lx %4s", &start, &end, perms) == 3 &&
        start <= at && at < end) {
      return perms;
    }
  }
  return "";
}

uint32_t Attached(uint32_t status) { return status >> 16; }
uint32_t NotifiedBy(uint32_t status) { return status & 0xffff; }

TEST_F(GuestShm, CreateGivesAControlPageRightBeforeTheData) {
  guest_shm_factory* factory = Factory(kA);
  EXPECT_EQ(factory->signature, GUEST_SHM_SIGNATURE);
  ASSERT_EQ(CreateStatus(factory, "moo", 2), GSS_OK) << guest_shm_last_error();
  EXPECT_EQ(factory->status, GSS_OK);
  EXPECT_EQ(factory->size, 2u);
  auto* ctrl = reinterpret_cast<guest_shm_control*>(factory->shmem);
  ASSERT_NE(ctrl, nullptr);
  EXPECT_EQ(ctrl->idx, 0u);
  EXPECT_EQ(PermissionsOf(ctrl), "r--p") << "stores must fault, not vanish";
  struct pollfd fd = {static_cast<int>(factory->vector), POLLIN, 0};
  EXPECT_GE(poll(&fd, 1, 0), 0) << "vector is no pollable fd";

  // QNX code's `(char *)ctrl + 0x1000` is the region's data: a joiner
  // reads what it wrote, in both of its pages.
  char* data = reinterpret_cast<char*>(ctrl) + 0x1000;
  std::strcpy(data, "hello");
  std::strcpy(data + 0x1000, "page two");
  guest_shm_control* joined = Create(kB, "moo", 1);
  ASSERT_NE(joined, nullptr);
  EXPECT_EQ(joined->idx, 1u);
  const char* seen = reinterpret_cast<const char*>(joined) + 0x1000;
  EXPECT_STREQ(seen, "hello");
  EXPECT_STREQ(seen + 0x1000, "page two");
  EXPECT_EQ(factories_.back()->size, 2u) << "the creator's size wins";
}

TEST_F(GuestShm, TheControlPageFindsRoomWhenHolesOfTheRegionsSizeAreTight) {
  // Holes of exactly 4 pages with a taken page below each, where the
  // kernel puts the next 4-page mapping: the data may not go there.
  constexpr size_t kPage = 0x1000, kSlot = 5 * kPage, kSlots = 8;
  char* area = static_cast<char*>(mmap(nullptr, kSlots * kSlot, PROT_NONE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(area, MAP_FAILED);
  for (size_t i = 0; i < kSlots; ++i)
    munmap(area + i * kSlot + kPage, 4 * kPage);
  for (DomainId d = 1; d <= 4; ++d) {
    guest_shm_control* ctrl = Create(d, "moo", 4);
    ASSERT_NE(ctrl, nullptr);
    char* data = reinterpret_cast<char*>(ctrl) + 0x1000;
    data[4 * kPage - 1] = static_cast<char>(d);  // the data's last byte
  }
  for (size_t i = 0; i < kSlots; ++i) munmap(area + i * kSlot, kPage);
}

TEST_F(GuestShm, AJoinerOfALargerRegionFindsRoomToo) {
  ASSERT_NE(Create(kA, "big", 8), nullptr);
  // Tight 8-page holes where the kernel puts the next 8-page mapping; the
  // finder asks for one page, so its first probe says nothing about them.
  constexpr size_t kPage = 0x1000, kSlot = 9 * kPage, kSlots = 8;
  char* area = static_cast<char*>(mmap(nullptr, kSlots * kSlot, PROT_NONE,
                                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
  ASSERT_NE(area, MAP_FAILED);
  for (size_t i = 0; i < kSlots; ++i) {
    munmap(area + i * kSlot + kPage, 8 * kPage);
  }
  for (DomainId d = 2; d <= 4; ++d) {
    guest_shm_factory* factory = Factory(d);
    Name(factory, "big");
    ASSERT_EQ(guest_shm_find(factory), GSS_OK) << guest_shm_last_error();
    EXPECT_EQ(factory->size, 8u);
    char* data = reinterpret_cast<char*>(factory->shmem) + 0x1000;
    data[8 * kPage - 1] = static_cast<char>(d);  // the data's last byte
  }
  for (size_t i = 0; i < kSlots; ++i) munmap(area + i * kSlot, kPage);
}

TEST_F(GuestShm, StatusShowsWhoIsAttachedAndWhoNotifiedAndReadingClears) {
  guest_shm_control* a = Create(kA, "moo");
  guest_shm_control* b = Create(kB, "moo");
  ASSERT_TRUE(a && b);
  // A peer's attached bit shows once a notify reaches it: then one
  // notify is enough.
  ASSERT_TRUE(Eventually([&] {
    return (Attached(guest_shm_status(a)) == 3) &
           (Attached(guest_shm_status(b)) == 3);
  }));
  ASSERT_EQ(guest_shm_notify(a, 1u << b->idx), 0);
  uint32_t seen = 0;
  ASSERT_TRUE(
      Eventually([&] { return NotifiedBy(seen = guest_shm_status(b)) != 0; }));
  EXPECT_EQ(NotifiedBy(seen), 1u << a->idx);
  EXPECT_EQ(Attached(seen), 3u);
  EXPECT_EQ(NotifiedBy(guest_shm_status(b)), 0u) << "reading clears";

  // ~0 is everyone but me; the notifier's own bit stays clear.
  ASSERT_EQ(guest_shm_notify(b, ~0u), 0);
  ASSERT_TRUE(
      Eventually([&] { return NotifiedBy(seen = guest_shm_status(a)); }));
  EXPECT_EQ(NotifiedBy(seen), 1u << b->idx);
  EXPECT_EQ(NotifiedBy(guest_shm_status(b)), 0u);

  // The event fd replaces the interrupt: readable once notified.
  guest_shm_factory* fa = factories_.front();
  ASSERT_EQ(guest_shm_notify(b, 1u << a->idx), 0);
  struct pollfd fd = {static_cast<int>(fa->vector), POLLIN, 0};
  EXPECT_EQ(poll(&fd, 1, 5000), 1);
  EXPECT_EQ(NotifiedBy(guest_shm_status(a)), 1u << b->idx);

  ASSERT_EQ(guest_shm_detach(b), 0);
  EXPECT_TRUE(Eventually([&] { return Attached(guest_shm_status(a)) == 1; }));
}

TEST_F(GuestShm, ASenderThatOnlyEverNotifiesIsHeard) {
  // QNX code may notify without ever reading its own status: notify alone
  // must bring its side of the channel up.
  guest_shm_control* a = Create(kA, "moo");
  guest_shm_control* b = Create(kB, "moo");
  ASSERT_TRUE(a && b);
  EXPECT_TRUE(Eventually([&] {
    EXPECT_EQ(guest_shm_notify(a, 1u << b->idx), 0);
    return NotifiedBy(guest_shm_status(b)) == 1u << a->idx;
  }));
}

TEST_F(GuestShm, SixteenClientsAndNoMore) {
  std::vector<guest_shm_control*> ctrls;
  for (DomainId d = 1; d <= GUEST_SHM_MAX_CLIENTS; ++d) {
    ctrls.push_back(Create(d, "moo"));
    ASSERT_NE(ctrls.back(), nullptr);
    EXPECT_EQ(ctrls.back()->idx, d - 1u);
  }
  guest_shm_factory* seventeenth = Factory(17);
  EXPECT_EQ(CreateStatus(seventeenth, "moo", 1), GSS_CLIENT_MAX);
  EXPECT_EQ(seventeenth->status, GSS_CLIENT_MAX);
  EXPECT_EQ(seventeenth->shmem, 0u);
  EXPECT_NE(std::string(guest_shm_last_error()).find("got 16"),
            std::string::npos)
      << guest_shm_last_error();
  // Nothing stays attached from the refused one.
  EXPECT_EQ(PeersOf(18, "moo"), 16u);

  // A freed slot is taken again by the next compatibility peer.
  ASSERT_EQ(guest_shm_detach(ctrls[5]), 0);
  ASSERT_EQ(CreateStatus(seventeenth, "moo", 1), GSS_OK)
      << guest_shm_last_error();
  EXPECT_EQ(reinterpret_cast<guest_shm_control*>(seventeenth->shmem)->idx, 5u);
}

TEST_F(GuestShm, NativePeersAboveFifteenAreNotInTheMasksButOnlyAllReachesThem) {
  guest_shm_control* a = Create(kA, "moo");
  ASSERT_NE(a, nullptr);
  std::vector<xenshm_region*> natives;
  for (DomainId d = 2; d <= 17; ++d) natives.push_back(NativePeer(d, "moo"));
  xenshm_region* high = natives.back();
  ASSERT_EQ(xenshm_region_peer_index(high), 16u);
  // Every peer's library looks until each pair's channel is up.
  uint32_t last = 0;
  ASSERT_TRUE(Eventually(
      [&] {
        xenshm_peer_set reachable = 0;
        for (xenshm_region* native : natives) {
          EXPECT_EQ(xenshm_reachable_peers(native, &reachable), XENSHM_OK);
        }
        last = guest_shm_status(a);
        return (reachable & 1) != 0 && Attached(last) == 0xffff;
      },
      std::chrono::seconds(10)))
      << std::hex << last;

  // A's ~0 reaches index 16, which no mask can name. 16 has no attached
  // bit A could wait for, so A notifies until its channel to 16 is up.
  xenshm_signal_status status{};
  ASSERT_TRUE(Eventually([&] {
    EXPECT_EQ(guest_shm_notify(a, ~0u), 0);
    return xenshm_take_status(high, &status) == XENSHM_OK &&
           status.signaled_by != 0;
  }));
  EXPECT_EQ(status.signaled_by, 1u);

  // Index 16's signal wakes A's fd but names nobody in the word.
  guest_shm_factory* fa = factories_.front();
  ASSERT_EQ(xenshm_signal(high, 1, nullptr), XENSHM_OK);
  struct pollfd fd = {static_cast<int>(fa->vector), POLLIN, 0};
  EXPECT_EQ(poll(&fd, 1, 5000), 1);
  EXPECT_EQ(NotifiedBy(guest_shm_status(a)), 0u);
}

TEST_F(GuestShm, EveryStatusCode) {
  guest_shm_factory* factory = Factory(kA);
  EXPECT_EQ(CreateStatus(factory, "moo", 1), GSS_OK);

  guest_shm_factory* other = Factory(kB);
  Name(other, "absent");
  EXPECT_EQ(guest_shm_find(other), GSS_DOES_NOT_EXIST);
  EXPECT_EQ(other->status, GSS_DOES_NOT_EXIST);
  Name(other, "moo");
  EXPECT_EQ(guest_shm_find(other), GSS_OK);
  EXPECT_EQ(reinterpret_cast<guest_shm_control*>(other->shmem)->idx, 1u);

  EXPECT_EQ(CreateStatus(factory, "bad/name", 1), GSS_ILLEGAL_NAME);
  EXPECT_EQ(CreateStatus(factory, "", 1), GSS_ILLEGAL_NAME);
  EXPECT_EQ(CreateStatus(factory, "secret-key", 1), GSS_NO_PERMISSION);
  EXPECT_NE(std::string(guest_shm_last_error()).find("deny secret*"),
            std::string::npos)
      << guest_shm_last_error();
  // 64 KiB of regions per guest (the default stanza's max-region-memory).
  EXPECT_EQ(CreateStatus(factory, "big", 32), GSS_NOMEM)
      << guest_shm_last_error();
  // What QNX has no code for: a zero size is xenshm's invalid-argument.
  EXPECT_EQ(CreateStatus(factory, "empty", 0), GSS_UNKNOWN_FAILURE);
  EXPECT_EQ(factory->status, GSS_UNKNOWN_FAILURE);
  EXPECT_EQ(factory->shmem, 0u);
}

TEST_F(GuestShm, AThirtyTwoByteNameNeedsNoTerminator) {
  const std::string name(GUEST_SHM_MAX_NAME, 'n');
  guest_shm_factory* factory = Factory(kA);
  std::memcpy(factory->name, name.data(), GUEST_SHM_MAX_NAME);
  ASSERT_EQ(guest_shm_create(factory, 1), GSS_OK) << guest_shm_last_error();
  EXPECT_EQ(PeersOf(kB, name.c_str()), 1u);
}

TEST_F(GuestShm, UnknownPointersAreRefusedAndCloseDetachesTheRest) {
  guest_shm_control bogus{};
  errno = 0;
  EXPECT_EQ(guest_shm_notify(&bogus, 1), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(guest_shm_status(&bogus), 0u);
  EXPECT_EQ(guest_shm_detach(&bogus), -1);
  guest_shm_factory fake{};
  EXPECT_EQ(guest_shm_create(&fake, 1), GSS_UNKNOWN_FAILURE);

  guest_shm_control* a = Create(kA, "moo");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(guest_shm_detach(a), 0);
  EXPECT_EQ(guest_shm_detach(a), -1) << "a detached page is unknown";

  guest_shm_factory* factory = Factory(kA);
  ASSERT_EQ(CreateStatus(factory, "moo", 1), GSS_OK);
  ASSERT_EQ(CreateStatus(factory, "cow", 1), GSS_OK);
  EXPECT_EQ(PeersOf(kB, "moo"), 1u);
  guest_shm_factory_close(factory);
  factories_.pop_back();
  EXPECT_TRUE(Eventually([&] { return PeersOf(kB, "cow") == 0; }));
}

}  // namespace
}  // namespace xenshm::testing
