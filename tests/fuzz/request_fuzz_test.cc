// Bounded, deterministic fuzzing of everything a guest writes: the schema's
// value parsers, the grant-directory and ref-list readers, and xenshmd's core
// fed random request trees by a hostile guest while two victims share a
// region. Fixed seeds, so a failure reproduces; a few seconds in CI.
#include <gtest/gtest.h>

#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "tests/integration/eventually.h"
#include "tests/integration/fake_xen_system.h"
#include "xenstore-schema/grant_directory.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {
namespace {

// Mostly plausible, sometimes garbage: valid values, near-misses, random
// bytes (including NUL and high bytes), and very long strings.
std::string HostileValue(std::mt19937_64& rng) {
  static const std::vector<std::string> kSeeds = {"moo",
                                                  "4096",
                                                  "0",
                                                  "-1",
                                                  "3",
                                                  "4",
                                                  "5",
                                                  "6",
                                                  "rw",
                                                  "ro",
                                                  "attach",
                                                  "create-or-attach",
                                                  "18446744073709551616",
                                                  "00",
                                                  " 1",
                                                  "1 ",
                                                  "a/b",
                                                  ".x",
                                                  "",
                                                  "1073741824",
                                                  "1073741825",
                                                  "63",
                                                  "64",
                                                  "131071"};
  switch (rng() % 4) {
    case 0:
      return kSeeds[rng() % kSeeds.size()];
    case 1: {
      std::string s = kSeeds[rng() % kSeeds.size()];
      if (!s.empty()) s[rng() % s.size()] = static_cast<char>(rng() % 256);
      return s;
    }
    case 2: {
      std::string s(rng() % 40, '\0');
      for (char& c : s) c = static_cast<char>(rng() % 256);
      return s;
    }
    default:
      return std::string(rng() % 3000, static_cast<char>('a' + rng() % 26));
  }
}

TEST(ParserFuzz, NoCrashAndEveryRejectionHasAReason) {
  std::mt19937_64 rng(20261125);
  for (int i = 0; i < 50000; ++i) {
    const std::string value = HostileValue(rng);
    auto check = [&](const auto& result) {
      if (!result) {
        EXPECT_FALSE(result.error().message().empty()) << value;
      }
    };
    check(schema::ParseRegionName(value));
    check(schema::ParseSize(value));
    check(schema::ParseMode(value));
    check(schema::ParseAccess(value));
    check(schema::ParseState(value));
    check(schema::ParseHandle(value));
    check(schema::ParseDomainId(value));
    check(schema::ParsePeerIndex(value));
    check(schema::ParsePort(value));
    check(schema::ParseRefList(value, 64));
    auto path = schema::ParseFrontendPath(value);
    if (path && path->handle) {
      EXPECT_LE(*path->handle, schema::kMaxHandle);
    }
  }
}

TEST(ParserFuzz, GrantDirectoryReaderBoundsEverything) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 5000; ++i) {
    std::vector<std::byte> pages((1 + rng() % 3) * kPageSize);
    for (auto& b : pages) b = static_cast<std::byte>(rng() % 256);
    if (rng() % 2) {  // a plausible header with a hostile count
      uint32_t header[4] = {schema::kGrantDirectoryMagic,
                            schema::kGrantDirectoryVersion,
                            static_cast<uint32_t>(rng()), 0};
      std::memcpy(pages.data(), header, sizeof(header));
    }
    const size_t expected = rng() % 5000;
    auto refs = schema::ReadGrantDirectory(pages, expected);
    if (refs) {
      EXPECT_EQ(refs->size(), expected);
    }
  }
}

TEST(DaemonFuzz, RandomRequestTreesNeverHurtOtherPeers) {
  FakeXenSystem system;
  constexpr DomainId kAttacker = 9;
  auto a = system.NewClient(1).Attach("moo", 2 * kPageSize);
  auto b = system.NewClient(2).Attach("moo", 2 * kPageSize);
  ASSERT_TRUE(a && b);
  Platform& attacker = system.OpenProcess(kAttacker);
  ASSERT_TRUE(Eventually([&] {
    return attacker.xenstore->Read(kNoTransaction,
                                   schema::FrontendRoot(kAttacker));
  }));
  static const std::vector<std::string> kNodes = {
      "name",     "size",    "mode",     "access",    "state", "offers/0",
      "offers/1", "bound/0", "bound/63", "offers/99", "junk",  "state/x"};
  std::mt19937_64 rng(42);
  for (int i = 0; i < 3000; ++i) {
    const uint32_t handle = rng() % 6;
    const std::string node = kNodes[rng() % kNodes.size()];
    const std::string path = schema::FrontendNode(kAttacker, handle, node);
    if (rng() % 10 == 0) {
      (void)attacker.xenstore->Remove(kNoTransaction,
                                      schema::FrontendPath(kAttacker, handle));
    } else {
      (void)attacker.xenstore->Write(kNoTransaction, path, HostileValue(rng));
    }
  }
  // The daemon survived and still serves: victims share, peers are right,
  // and a well-behaved newcomer attaches.
  std::strcpy(static_cast<char*>((*a)->data()), "still shared");
  EXPECT_STREQ(static_cast<char*>((*b)->data()), "still shared");
  auto newcomer = system.NewClient(3).Attach("moo", kPageSize);
  ASSERT_TRUE(newcomer) << newcomer.error().ToString();
  EXPECT_EQ((*newcomer)->size(), 2 * kPageSize);
  auto peers = (*a)->Peers();
  ASSERT_TRUE(peers);
  for (const PeerInfo& peer : *peers) {
    // The attacker may have attached legitimately along the way; no peer
    // may be anyone else.
    EXPECT_TRUE(peer.domain == 1 || peer.domain == 2 || peer.domain == 3 ||
                peer.domain == kAttacker)
        << peer.domain;
  }
}

}  // namespace
}  // namespace xenshm::testing
