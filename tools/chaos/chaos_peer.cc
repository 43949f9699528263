// xenshm_chaos_peer: an honest peer for the lab's chaos scenario. Several
// of them (guests and a dom0 program) attach one region and, while a
// hostile guest floods xenstore beside them, share and signal through it:
//
//   xenshm_chaos_peer NAME --peers=N --seconds=S [--min-rounds=R]
//                     [--min-answers=A] [--period-ms=MS] [--ping-ms=MS]
//
// The region has one 4 KiB stripe per peer index. Each round a peer writes
// its own stripe under a sequence lock (a counter and words derived from
// it) and reads every other peer's stripe: a read the lock says is whole
// must hold one counter's words exactly (not torn) and a counter no lower
// than the last one seen (monotonic). Each peer also pings every other one
// (a number in its stripe, then a signal to that peer only) at most every
// --ping-ms; the pinged peer answers (copies the number into its stripe,
// signals back). A ping counts as answered when the answer is in memory
// and a signal from that peer has arrived since; one unanswered after 30 s
// is a failure.
//
// The window: once all N peers are attached, reachable and ready, each runs
// --seconds, then stops pinging, waits for its own pings, marks its stripe
// done and keeps answering until every peer is done. Prints
//   PASS/FAIL honest-sharing-throughout   (no torn or backward read, no
//       error, >= R rounds of its own and every peer's counter advanced
//       by >= R)
//   PASS/FAIL honest-signals-answered     (every ping answered, >= A per
//       peer, every signal reached its target)
// Runs in guests and in dom0 (libxenshm over the guest platform; in dom0
// the kernel module maps the region).
#include <algorithm>
#include <atomic>
#include <bit>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/numbers.h"
#include "base/types.h"
#include "frontend/lib/platform_client.h"
#include "frontend/lib/platform_opener.h"
#include "xenshm/client.h"

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr uint32_t kMaxPeers = 64;
constexpr size_t kStripeBytes = 4096;

struct Stripe {
  std::atomic<uint64_t> seq;    // odd while the words are being written
  std::atomic<uint64_t> ready;  // 1 once this peer settled
  std::atomic<uint64_t> done;   // 1 once this peer's window is over
  std::atomic<uint64_t> ping[kMaxPeers];  // pings sent to peer i
  std::atomic<uint64_t> pong[kMaxPeers];  // highest ping of peer i answered
  std::atomic<uint64_t> words[(kStripeBytes - 8 * (3 + 2 * kMaxPeers)) / 8];
};
static_assert(sizeof(Stripe) == kStripeBytes);
static_assert(std::atomic<uint64_t>::is_always_lock_free);
constexpr size_t kWords = sizeof(Stripe::words) / 8;

uint64_t Word(uint64_t counter, size_t k) {
  if (k == 0) return counter;
  return (counter * 0x9E3779B97F4A7C15ull) ^ (k * 0xD6E8FEB86659FD93ull);
}

struct PeerState {
  bool present = false;
  // Reads of its stripe.
  uint64_t first = 0, last = 0, reads = 0, retried = 0, torn = 0, backward = 0;
  bool seen = false;
  // My pings to it.
  bool outstanding = false;
  uint64_t sent_value = 0;
  Clock::time_point sent_at, answered_at;
  bool signal_since_ping = false;
  uint64_t answered = 0, unanswered = 0;
  double max_latency_ms = 0, total_latency_ms = 0;
  // Its signals to me, and its pings I answered.
  uint64_t signals_from = 0, answers_given = 0;
};

class Peer {
 public:
  Peer(xenshm::Region& region, uint32_t peers) : region_(region), n_(peers) {
    me_ = region.peer_index();
    stripes_ = static_cast<Stripe*>(region.data());
  }

  bool Settle(milliseconds limit);
  void Run(milliseconds window, milliseconds period, milliseconds ping_every);
  int Report(uint64_t min_rounds, uint64_t min_answers);

 private:
  Stripe& Mine() { return stripes_[me_]; }
  void WriteMine() {
    Stripe& s = Mine();
    const uint64_t seq = s.seq.load(std::memory_order_relaxed);
    s.seq.store(seq + 1, std::memory_order_relaxed);
    std::atomic_thread_fence(std::memory_order_release);
    const uint64_t counter = (seq + 2) / 2;
    for (size_t k = 0; k < kWords; ++k) {
      s.words[k].store(Word(counter, k), std::memory_order_relaxed);
    }
    s.seq.store(seq + 2, std::memory_order_release);
    ++rounds_;
  }
  void ReadPeer(uint32_t j);
  // Answers pings, sends new ones, checks answers; the peers to signal.
  xenshm::PeerSet Exchange(bool pinging, milliseconds ping_every);
  void SignalAndWait(xenshm::PeerSet targets, milliseconds period);
  bool AllDone() {
    for (uint32_t j : others_) {
      if (stripes_[j].done.load(std::memory_order_acquire) == 0) return false;
    }
    return true;
  }
  void Error(const std::string& what) {
    ++errors_;
    if (error_examples_.size() < 4) error_examples_.push_back(what);
  }

  xenshm::Region& region_;
  uint32_t n_;
  uint32_t me_ = 0;
  Stripe* stripes_ = nullptr;
  std::vector<uint32_t> others_;
  xenshm::PeerSet expected_ = 0;
  PeerState peer_[kMaxPeers];
  uint64_t rounds_ = 0;
  uint64_t errors_ = 0;
  uint64_t signals_sent_ = 0, signals_missed_ = 0, peer_set_changes_ = 0;
  std::vector<std::string> error_examples_;
  double window_s_ = 0;
};

bool Peer::Settle(milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  bool marked = false;
  while (Clock::now() < deadline) {
    auto status = region_.PeekStatus();
    auto reachable = region_.ReachablePeers();
    if (status && reachable) {
      const xenshm::PeerSet others = status->attached & ~xenshm::PeerBit(me_);
      if (std::popcount(status->attached) == static_cast<int>(n_) &&
          (*reachable & others) == others) {
        expected_ = status->attached;
        others_.clear();
        for (uint32_t j = 0; j < kMaxPeers; ++j) {
          if (others & xenshm::PeerBit(j)) others_.push_back(j);
        }
        if (!marked) {
          Mine().ready.store(1, std::memory_order_release);
          marked = true;
        }
        bool all_ready = true;
        for (uint32_t j : others_) {
          if (stripes_[j].ready.load(std::memory_order_acquire) == 0) {
            all_ready = false;
          }
        }
        if (all_ready) return true;
      }
    }
    auto woke = region_.Wait(milliseconds(100));
    (void)woke;  // a signal now would be a peer's early ping: seen later
  }
  return false;
}

void Peer::ReadPeer(uint32_t j) {
  PeerState& p = peer_[j];
  const Stripe& s = stripes_[j];
  for (int attempt = 0; attempt < 50; ++attempt) {
    const uint64_t s1 = s.seq.load(std::memory_order_acquire);
    if (s1 & 1) {
      ++p.retried;
      std::this_thread::yield();
      continue;
    }
    uint64_t copy[kWords];
    for (size_t k = 0; k < kWords; ++k) {
      copy[k] = s.words[k].load(std::memory_order_relaxed);
    }
    std::atomic_thread_fence(std::memory_order_acquire);
    if (s.seq.load(std::memory_order_relaxed) != s1) {
      ++p.retried;
      continue;
    }
    ++p.reads;
    const uint64_t counter = s1 / 2;
    if (counter == 0) return;  // not written yet
    for (size_t k = 0; k < kWords; ++k) {
      if (copy[k] != Word(counter, k)) {
        ++p.torn;
        Error("peer " + std::to_string(j) + " counter " +
              std::to_string(counter) + ": word " + std::to_string(k) +
              " torn");
        return;
      }
    }
    if (p.seen && counter < p.last) {
      ++p.backward;
      Error("peer " + std::to_string(j) + " counter went back from " +
            std::to_string(p.last) + " to " + std::to_string(counter));
    }
    if (!p.seen) p.first = counter;
    p.seen = true;
    p.last = std::max(p.last, counter);
    return;
  }
}

xenshm::PeerSet Peer::Exchange(bool pinging, milliseconds ping_every) {
  xenshm::PeerSet targets = 0;
  const auto now = Clock::now();
  for (uint32_t j : others_) {
    PeerState& p = peer_[j];
    // Answer its pings.
    const uint64_t ping = stripes_[j].ping[me_].load(std::memory_order_acquire);
    if (ping > Mine().pong[j].load(std::memory_order_relaxed)) {
      Mine().pong[j].store(ping, std::memory_order_release);
      ++p.answers_given;
      targets |= xenshm::PeerBit(j);
    }
    // My ping to it.
    if (p.outstanding) {
      const uint64_t pong =
          stripes_[j].pong[me_].load(std::memory_order_acquire);
      if (pong >= p.sent_value && p.signal_since_ping) {
        const double ms =
            std::chrono::duration<double, std::milli>(now - p.sent_at).count();
        ++p.answered;
        p.total_latency_ms += ms;
        p.max_latency_ms = std::max(p.max_latency_ms, ms);
        p.outstanding = false;
        p.answered_at = now;
      } else if (now - p.sent_at > std::chrono::seconds(30)) {
        ++p.unanswered;
        Error("ping " + std::to_string(p.sent_value) + " to peer " +
              std::to_string(j) + " unanswered for 30 s (answer in memory: " +
              (pong >= p.sent_value ? "yes" : "no") + ")");
        p.outstanding = false;
        p.answered_at = now;
      }
    } else if (pinging && now - p.answered_at >= ping_every) {
      p.sent_value = Mine().ping[j].load(std::memory_order_relaxed) + 1;
      Mine().ping[j].store(p.sent_value, std::memory_order_release);
      p.sent_at = now;
      p.signal_since_ping = false;
      p.outstanding = true;
      targets |= xenshm::PeerBit(j);
    }
  }
  return targets;
}

void Peer::SignalAndWait(xenshm::PeerSet targets, milliseconds period) {
  if (targets != 0) {
    ++signals_sent_;
    auto report = region_.Signal(targets);
    if (!report) {
      Error("signal: " + report.error().ToString());
    } else if ((report->missed & targets) != 0 ||
               (report->reached & targets) != targets) {
      ++signals_missed_;
      Error("signal to peer set " + std::to_string(targets) + " missed set " +
            std::to_string(report->missed));
    }
  }
  auto status = region_.Wait(period);
  if (!status) {
    if (status.error().code() != xenshm::Code::kTimedOut) {
      Error("wait: " + status.error().ToString());
      std::this_thread::sleep_for(period);
    }
    return;
  }
  for (uint32_t j : others_) {
    if (status->signaled_by & xenshm::PeerBit(j)) {
      ++peer_[j].signals_from;
      peer_[j].signal_since_ping = true;
    }
  }
  if (status->attached != expected_ && !AllDone()) {
    ++peer_set_changes_;
    Error("attached peer set changed to " + std::to_string(status->attached));
    expected_ = status->attached;
  }
}

void Peer::Run(milliseconds window, milliseconds period,
               milliseconds ping_every) {
  const auto t0 = Clock::now();
  const auto end = t0 + window;
  for (uint32_t j : others_) peer_[j].answered_at = t0 - ping_every;
  // The window.
  while (Clock::now() < end) {
    WriteMine();
    for (uint32_t j : others_) ReadPeer(j);
    SignalAndWait(Exchange(true, ping_every), period);
  }
  window_s_ = std::chrono::duration<double>(Clock::now() - t0).count();
  // Wind down: my pings answered (or timed out), then done; keep answering
  // until every peer is done.
  const auto give_up = Clock::now() + std::chrono::seconds(60);
  bool marked = false;
  while (Clock::now() < give_up) {
    bool waiting = false;
    for (uint32_t j : others_) waiting |= peer_[j].outstanding;
    if (!waiting && !marked) {
      Mine().done.store(1, std::memory_order_release);
      marked = true;
    }
    if (marked && AllDone()) return;
    WriteMine();
    for (uint32_t j : others_) ReadPeer(j);
    SignalAndWait(Exchange(false, ping_every), period);
  }
  Error("peers not done 60 s after the window");
}

int Peer::Report(uint64_t min_rounds, uint64_t min_answers) {
  std::printf("honest peer %u: %llu rounds in %.1f s, %llu signals sent\n", me_,
              static_cast<unsigned long long>(rounds_), window_s_,
              static_cast<unsigned long long>(signals_sent_));
  bool sharing = errors_ == 0 && rounds_ >= min_rounds;
  bool signals = errors_ == 0 && signals_missed_ == 0;
  std::string sharing_note, signal_note;
  for (uint32_t j : others_) {
    const PeerState& p = peer_[j];
    const uint64_t advanced = p.seen ? p.last - p.first : 0;
    std::printf(
        "  peer %u: counter %llu..%llu (%llu whole reads, %llu retried, %llu "
        "torn, %llu backward); my pings answered %llu (mean %.1f ms, max "
        "%.1f ms), unanswered %llu; its pings answered %llu; signals from it "
        "%llu\n",
        j, static_cast<unsigned long long>(p.first),
        static_cast<unsigned long long>(p.last),
        static_cast<unsigned long long>(p.reads),
        static_cast<unsigned long long>(p.retried),
        static_cast<unsigned long long>(p.torn),
        static_cast<unsigned long long>(p.backward),
        static_cast<unsigned long long>(p.answered),
        p.answered ? p.total_latency_ms / static_cast<double>(p.answered) : 0,
        p.max_latency_ms, static_cast<unsigned long long>(p.unanswered),
        static_cast<unsigned long long>(p.answers_given),
        static_cast<unsigned long long>(p.signals_from));
    if (advanced < min_rounds) sharing = false;
    if (p.unanswered != 0 || p.answered < min_answers) signals = false;
    sharing_note +=
        " peer " + std::to_string(j) + " +" + std::to_string(advanced);
    signal_note += " peer " + std::to_string(j) + " " +
                   std::to_string(p.answered) + " (max " +
                   std::to_string(static_cast<int>(p.max_latency_ms)) + " ms)";
  }
  for (const std::string& e : error_examples_) {
    std::printf("  error: %s\n", e.c_str());
  }
  const std::string errors = std::to_string(errors_) + " errors";
  std::printf("%s honest-sharing-throughout: %llu rounds (min %llu),%s; %s\n",
              sharing ? "PASS" : "FAIL",
              static_cast<unsigned long long>(rounds_),
              static_cast<unsigned long long>(min_rounds), sharing_note.c_str(),
              errors.c_str());
  std::printf(
      "%s honest-signals-answered: pings answered%s (min %llu); %llu "
      "signals missed; %s\n",
      signals ? "PASS" : "FAIL", signal_note.c_str(),
      static_cast<unsigned long long>(min_answers),
      static_cast<unsigned long long>(signals_missed_), errors.c_str());
  std::fflush(stdout);
  return sharing && signals ? 0 : 3;
}

bool Number(std::string_view arg, std::string_view key, uint64_t& out) {
  if (!arg.starts_with(key)) return false;
  auto parsed =
      xenshm::ParseDecimal(arg.substr(key.size()), 1'000'000'000'000, key);
  if (parsed) out = *parsed;
  return parsed.has_value();
}

int Usage() {
  std::fprintf(stderr,
               "usage: xenshm_chaos_peer NAME --peers=N --seconds=S "
               "[--min-rounds=R] [--min-answers=A] [--period-ms=MS] "
               "[--ping-ms=MS]\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string name = argv[1];
  uint64_t peers = 0, seconds = 0, min_rounds = 100, min_answers = 10;
  uint64_t period_ms = 20, ping_ms = 100;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (!Number(arg, "--peers=", peers) &&
        !Number(arg, "--seconds=", seconds) &&
        !Number(arg, "--min-rounds=", min_rounds) &&
        !Number(arg, "--min-answers=", min_answers) &&
        !Number(arg, "--period-ms=", period_ms) &&
        !Number(arg, "--ping-ms=", ping_ms)) {
      return Usage();
    }
  }
  if (peers < 2 || peers > kMaxPeers || seconds == 0 || period_ms == 0) {
    return Usage();
  }
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  auto platform = xenshm::OpenPlatformForThisDomain();
  if (!platform) {
    std::printf("FAIL honest-sharing-throughout: %s\n",
                platform.error().ToString().c_str());
    return 2;
  }
  xenshm::Client client = xenshm::ClientOn(*platform);
  xenshm::AttachOptions options;
  options.timeout = std::chrono::seconds(60);
  auto region = client.Attach(name, kMaxPeers * kStripeBytes, options);
  if (!region) {
    std::printf("FAIL honest-sharing-throughout: attach '%s': %s\n",
                name.c_str(), region.error().ToString().c_str());
    return 2;
  }
  if ((*region)->size() < kMaxPeers * kStripeBytes) {
    std::printf("FAIL honest-sharing-throughout: region '%s' has %llu bytes\n",
                name.c_str(),
                static_cast<unsigned long long>((*region)->size()));
    return 2;
  }
  std::printf("honest peer %u of '%s' in domain %u (handle %u)\n",
              (*region)->peer_index(), name.c_str(), client.domain(),
              (*region)->handle());
  Peer peer(**region, static_cast<uint32_t>(peers));
  if (!peer.Settle(std::chrono::seconds(120))) {
    std::printf(
        "FAIL honest-sharing-throughout: %llu peers not all attached, "
        "reachable and ready within 120 s\n",
        static_cast<unsigned long long>(peers));
    return 3;
  }
  std::printf("honest peer %u: %llu peers settled; sharing for %llu s\n",
              (*region)->peer_index(), static_cast<unsigned long long>(peers),
              static_cast<unsigned long long>(seconds));
  peer.Run(std::chrono::seconds(seconds), milliseconds(period_ms),
           milliseconds(ping_ms));
  int status = peer.Report(min_rounds, min_answers);
  if (auto detached = (*region)->Detach(); !detached.ok()) {
    std::printf("honest peer: detach: %s\n", detached.ToString().c_str());
    if (status == 0) status = 4;
  }
  return status;
}
