// Bounded, deterministic fuzzing of everything a guest writes: the schema's
// value parsers, the grant-directory and ref-list readers, and xenshmd's core
// fed random request trees by a hostile guest while two victims share a
// region. Fixed seeds, so a failure reproduces; a few seconds in CI.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "backend/core/region_table.h"
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

// Seeded bytes, so a failure names the same bytes every run.
std::vector<uint8_t> Pattern(size_t bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint8_t> out(bytes);
  for (uint8_t& byte : out) byte = static_cast<uint8_t>(rng());
  return out;
}

// The first page of `data` that differs from `expected`; nullopt if none.
std::optional<size_t> FirstDifferentPage(const void* data,
                                         const std::vector<uint8_t>& expected) {
  const auto* bytes = static_cast<const uint8_t*>(data);
  for (size_t page = 0; page * kPageSize < expected.size(); ++page) {
    if (std::memcmp(bytes + page * kPageSize,
                    expected.data() + page * kPageSize, kPageSize) != 0) {
      return page;
    }
  }
  return std::nullopt;
}

// Maps, from a new process of `domain`, the pages xenshmd granted to its
// attachment `handle`, the way libxenshm does (the grant directory, then the
// refs it lists). Old mappings outlive a revoke or a re-created region;
// only a fresh map shows that the grants themselves still stand.
Result<std::unique_ptr<GrantMapping>> MapGrantsAnew(FakeXenSystem& system,
                                                    DomainId domain,
                                                    uint32_t handle,
                                                    size_t pages) {
  Platform& process = system.OpenProcess(domain);
  auto raw = process.xenstore->Read(
      kNoTransaction,
      schema::BackendNode(domain, handle, schema::kNodeGrantDirectory));
  if (!raw) return std::unexpected(raw.error());
  auto directory_refs =
      schema::ParseRefList(*raw, schema::GrantDirectoryPages(pages));
  if (!directory_refs) return std::unexpected(directory_refs.error());
  auto directory =
      process.grant_mapper->Map(kDom0, *directory_refs, /*writable=*/false);
  if (!directory) return std::unexpected(directory.error());
  auto refs = schema::ReadGrantDirectory(
      std::span(static_cast<const std::byte*>((*directory)->data()),
                (*directory)->size()),
      pages);
  if (!refs) return std::unexpected(refs.error());
  return process.grant_mapper->Map(kDom0, *refs, /*writable=*/true);
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
  const backend::RegionTable before = system.DaemonRegions();
  ASSERT_NE(before.Find("moo"), nullptr);
  const RegionId moo_id = before.Find("moo")->id;
  const size_t pages = before.Find("moo")->pages;
  ASSERT_EQ(pages, 2u);
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

  // The daemon survived and still serves: a well-behaved newcomer joins.
  // Its answer also means xenshmd has read every write above (it takes its
  // watch events in order).
  auto c = system.NewClient(3).Attach("moo", kPageSize);
  ASSERT_TRUE(c) << c.error().ToString();
  EXPECT_EQ((*c)->size(), 2 * kPageSize);

  // Nothing the attacker did reached the victims. Old mappings keep working
  // whatever xenshmd does (Xen defers the free of a page a peer maps), so
  // "A writes, B reads" alone proves nothing: check xenshmd's own view,
  // dom0's memory and fresh maps of the grants too.
  //
  // xenshmd still has the same region (not one re-created under the same
  // name) with the victims in it; the attacker may have joined it
  // legitimately, and may have regions of its own, nobody else may.
  const backend::RegionTable after = system.DaemonRegions();
  const backend::Region* moo = after.Find("moo");
  ASSERT_NE(moo, nullptr);
  EXPECT_EQ(moo->id, moo_id);
  const std::vector<std::pair<DomainId, const Region*>> kVictims = {
      {1, a->get()}, {2, b->get()}, {3, c->get()}};
  std::map<uint32_t, backend::AttachmentKey> victims, expected_victims;
  for (const auto& [index, peer] : moo->peers) {
    if (peer.key.domain != kAttacker) victims[index] = peer.key;
  }
  for (const auto& [domain, region] : kVictims) {
    expected_victims[region->peer_index()] = {domain, region->handle()};
  }
  EXPECT_TRUE(victims == expected_victims)
      << "moo has " << moo->peers.size() << " peers, " << victims.size()
      << " of them not the attacker's";
  for (const auto& [name, region] : after.regions()) {
    if (name == "moo") continue;
    for (const auto& [index, peer] : region.peers) {
      EXPECT_EQ(peer.key.domain, kAttacker) << "region " << name;
    }
  }

  // The same bytes on every page, written by A: in every victim's mapping,
  // in the region dom0 holds under that id, and through fresh maps of every
  // victim's grants.
  const std::vector<uint8_t> pattern = Pattern(pages * kPageSize, 20261126);
  std::memcpy((*a)->data(), pattern.data(), pattern.size());
  auto local = system.OpenProcess(kDom0).region_granter->MapLocal(moo_id);
  if (local) {
    EXPECT_EQ(FirstDifferentPage((*local)->data(), pattern), std::nullopt)
        << "dom0's region " << moo_id;
  } else {
    ADD_FAILURE() << "dom0's region " << moo_id << ": "
                  << local.error().ToString();
  }
  for (const auto& [domain, region] : kVictims) {
    EXPECT_EQ(FirstDifferentPage(region->data(), pattern), std::nullopt)
        << "domain " << domain << "'s mapping";
    auto fresh = MapGrantsAnew(system, domain, region->handle(), pages);
    if (!fresh) {
      ADD_FAILURE() << "domain " << domain
                    << "'s grants: " << fresh.error().ToString();
      continue;
    }
    EXPECT_EQ(FirstDifferentPage((*fresh)->data(), pattern), std::nullopt)
        << "domain " << domain << "'s grants";
  }

  // And the registry shows them to each other.
  auto peers = (*a)->Peers();
  ASSERT_TRUE(peers);
  std::set<DomainId> domains;
  for (const PeerInfo& peer : *peers) {
    EXPECT_TRUE(peer.domain == 1 || peer.domain == 2 || peer.domain == 3 ||
                peer.domain == kAttacker)
        << peer.domain;
    domains.insert(peer.domain);
  }
  EXPECT_TRUE(domains.contains(1) && domains.contains(2) &&
              domains.contains(3));
}

}  // namespace
}  // namespace xenshm::testing
