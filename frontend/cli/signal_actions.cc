#include "frontend/cli/signal_actions.h"

#include <bit>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "base/numbers.h"
#include "frontend/cli/cli_number.h"
#include "xenstore-schema/limits.h"

namespace xenshm::cli {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

void Say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// "all", or a comma list of dom:D / peer:I, as a peer set.
std::optional<PeerSet> ParsePeers(Region& region, std::string_view spec) {
  if (spec == "all") return kAllPeers;
  auto peers = region.Peers();
  PeerSet set = 0;
  while (!spec.empty()) {
    size_t comma = spec.find(',');
    std::string_view item = spec.substr(0, comma);
    if (item.starts_with("peer:")) {
      auto index = CliNumber(item.substr(5), "peer index", 63);
      if (!index) return std::nullopt;
      set |= PeerBit(static_cast<uint32_t>(*index));
    } else if (item.starts_with("dom:")) {
      auto domain = CliNumber(item.substr(4), "domain id", 0x7fef);
      if (!domain) return std::nullopt;
      // A domain with no peer attached adds nothing to the set.
      for (const PeerInfo& peer : peers.value_or(std::vector<PeerInfo>{})) {
        if (peer.domain == *domain) set |= PeerBit(peer.index);
      }
    } else {
      return std::nullopt;
    }
    if (comma == std::string_view::npos) break;
    spec.remove_prefix(comma + 1);
  }
  return set;
}

// "dom1/peer0,dom2/peer1" for a peer set, by the region's membership.
std::string Describe(Region& region, PeerSet set) {
  auto peers = region.Peers();
  std::string out;
  for (uint32_t index = 0; index < 64; ++index) {
    if ((set & PeerBit(index)) == 0) continue;
    std::string name = "peer" + std::to_string(index);
    for (const PeerInfo& peer : peers.value_or(std::vector<PeerInfo>{})) {
      if (peer.index == index) {
        name = "dom" + std::to_string(peer.domain) + "/" + name;
      }
    }
    out += (out.empty() ? "" : ",") + name;
  }
  return out.empty() ? "nobody" : out;
}

std::optional<std::string_view> After(std::string_view action,
                                      std::string_view key) {
  if (!action.starts_with(key)) return std::nullopt;
  return action.substr(key.size());
}

// Splits "SPEC:MS" at the last colon.
std::pair<std::string_view, std::optional<uint64_t>> SpecAndMs(
    std::string_view value) {
  size_t colon = value.rfind(':');
  if (colon == std::string_view::npos) return {value, std::nullopt};
  // Not a number after the last colon: no MS given (the spec is then read
  // whole, and a bad one is reported there).
  auto ms = ParseDecimal(value.substr(colon + 1), kMaxCliMs, "ms");
  if (!ms) return {value, std::nullopt};
  return {value.substr(0, colon), *ms};
}

}  // namespace

std::optional<bool> RunSignalAction(Region& region, std::string_view action,
                                    SignalReport& last_report) {
  if (auto value = After(action, "settle=")) {
    // settle=N[:MS]: wait until N peers (me included) are attached and every
    // other one is reachable.
    auto [count_text, ms] = SpecAndMs(*value);
    auto count = CliNumber(count_text, "settle count", schema::kMaxPeers);
    if (!count) return false;
    auto deadline = Clock::now() + milliseconds(ms.value_or(30000));
    while (true) {
      auto status = region.PeekStatus();  // keep early signals for later
      auto reachable = region.ReachablePeers();
      if (status && reachable) {
        PeerSet others = status->attached & ~PeerBit(region.peer_index());
        if (std::popcount(status->attached) >= static_cast<int>(*count) &&
            (*reachable & others) == others) {
          Say("PASS settle-" + std::to_string(*count) + ": " +
              Describe(region, status->attached) + " attached, all reachable");
          return true;
        }
      }
      if (Clock::now() > deadline) {
        Say("FAIL settle-" + std::to_string(*count) +
            ": peers not all attached and reachable in time");
        return false;
      }
      std::this_thread::sleep_for(milliseconds(20));
    }
  }
  if (auto value = After(action, "signal=")) {
    auto targets = ParsePeers(region, *value);
    if (!targets) return false;
    auto report = region.Signal(*targets);
    if (!report) {
      Say("FAIL signal-" + std::string(*value) + ": " +
          report.error().ToString());
      return false;
    }
    last_report = *report;
    Say("signaled " + std::string(*value) + ": reached " +
        Describe(region, report->reached) + "; missed " +
        Describe(region, report->missed));
    return true;
  }
  for (bool reached : {true, false}) {
    auto value = After(action, reached ? "expect-reached=" : "expect-missed=");
    if (!value) continue;
    auto expected = ParsePeers(region, *value);
    if (!expected) return false;
    PeerSet got = reached ? last_report.reached : last_report.missed;
    std::string check =
        std::string(reached ? "reached-" : "missed-") + std::string(*value);
    if (got == *expected && *expected != 0) {
      Say("PASS " + check + ": " + Describe(region, got));
      return true;
    }
    Say("FAIL " + check + ": got " + Describe(region, got) + ", expected " +
        Describe(region, *expected));
    return false;
  }
  if (auto value = After(action, "expect-signal=")) {
    // expect-signal=SPEC[:MS]: wake up, and the signalers are exactly SPEC.
    auto [spec, ms] = SpecAndMs(*value);
    auto expected = ParsePeers(region, spec);
    if (!expected) return false;
    auto deadline = Clock::now() + milliseconds(ms.value_or(5000));
    PeerSet seen = 0;
    while (seen == 0) {
      auto left =
          std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      auto status = region.Wait(left);
      if (!status) break;
      seen |= status->signaled_by;
    }
    const std::string check = "signaled-by-" + std::string(spec);
    if (seen == *expected && seen != 0) {
      Say("PASS " + check + ": woke, signaled by " + Describe(region, seen));
      return true;
    }
    Say("FAIL " + check + ": signaled by " + Describe(region, seen) +
        ", expected " + Describe(region, *expected));
    return false;
  }
  if (auto value = After(action, "expect-quiet=")) {
    auto ms = CliNumber(*value, "expect-quiet ms", kMaxCliMs);
    if (!ms) return false;
    auto deadline = Clock::now() + milliseconds(*ms);
    PeerSet seen = 0;
    while (true) {
      auto left =
          std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
      if (left.count() <= 0) break;
      auto status = region.Wait(left);
      if (status) seen |= status->signaled_by;
    }
    if (seen == 0) {
      Say("PASS quiet-" + std::string(*value) + "ms: no signal arrived");
      return true;
    }
    Say("FAIL quiet-" + std::string(*value) + "ms: signaled by " +
        Describe(region, seen));
    return false;
  }
  if (auto value = After(action, "expect-leave=")) {
    // expect-leave=dom:D[:MS]: wake up and see domain D's peers gone.
    auto [spec, ms] = SpecAndMs(*value);
    auto watched = ParsePeers(region, spec);
    if (!watched || *watched == 0) return false;
    auto deadline = Clock::now() + milliseconds(ms.value_or(10000));
    while (Clock::now() < deadline) {
      auto status = region.Wait(milliseconds(200));
      if (status && (status->attached & *watched) == 0) {
        Say("PASS left-" + std::string(spec) + ": woke; attached now " +
            Describe(region, status->attached));
        return true;
      }
    }
    Say("FAIL left-" + std::string(spec) + ": still attached");
    return false;
  }
  return std::nullopt;
}

}  // namespace xenshm::cli
