// signal_bench: ping-pong between two guests through xenshm signals beside a
// raw libxenevtchn ping-pong between the same two guests, same run.
//
//   signal_bench ping ROUNDS   (the first to attach region "pingpong")
//   signal_bench pong ROUNDS
// The ping side prints, for waits without and with a deadline,
//   bench signal-rtt: xenshm=<us> raw=<us> ratio=<r>   (medians)
//   bench signal-rtt-p99: xenshm=<us> raw=<us>
//   bench signal-rtt-timeout: ... and signal-rtt-timeout-p99: ...
// The raw channel's port travels through the shared page, so the raw path
// needs nothing from xenshm beyond that.
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/numbers.h"
#include "base/status.h"
#include "base/types.h"
#include "frontend/lib/platform_client.h"
#include "platform/platform.h"
#include "platform/real/real_guest_platform.h"
#include "tools/bench/stats.h"
#include "xenshm/client.h"

extern "C" {
#include <xenevtchn.h>
}

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The shared page's layout for the raw handshake.
struct Rendezvous {
  std::atomic<uint32_t> ping_domain;
  std::atomic<uint32_t> ping_port;  // unbound, for the pong domain
  std::atomic<uint32_t> pong_bound;
};

// The minimal raw loop: the fd is blocking, so pending() is one read that
// sleeps until the event comes.
void WaitRaw(xenevtchn_handle* evtchn) {
  xenevtchn_port_or_error_t port;
  do {
    port = xenevtchn_pending(evtchn);
  } while (port < 0 && errno == EINTR);
  xenevtchn_unmask(evtchn, port);
}

// The raw loop of a program that waits with a deadline: poll, then read.
bool WaitRawWithTimeout(xenevtchn_handle* evtchn, int timeout_ms) {
  pollfd fd{xenevtchn_fd(evtchn), POLLIN, 0};
  if (poll(&fd, 1, timeout_ms) <= 0) return false;
  WaitRaw(evtchn);
  return true;
}

int Fail(const std::string& what) {
  std::printf("FAIL bench-signal: %s\n", what.c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: signal_bench ping|pong ROUNDS\n");
    return 2;
  }
  const bool ping = std::string_view(argv[1]) == "ping";
  auto parsed_rounds = xenshm::ParseDecimal(argv[2], 10000000, "ROUNDS");
  if (!parsed_rounds || *parsed_rounds == 0) {
    std::fprintf(stderr,
                 "signal_bench: %s\nusage: signal_bench ping|pong ROUNDS\n",
                 parsed_rounds ? "ROUNDS must be at least 1"
                               : parsed_rounds.error().message().c_str());
    return 2;
  }
  const int rounds = static_cast<int>(*parsed_rounds);
  auto platform = xenshm::OpenRealGuestPlatform();
  if (!platform) return Fail(platform.error().ToString());
  xenshm::Client client = xenshm::ClientOn(*platform);
  auto region = client.Attach("pingpong", xenshm::kPageSize);
  if (!region) return Fail(region.error().ToString());
  auto* rendezvous = static_cast<Rendezvous*>((*region)->data());

  // Wait for the other peer and a working channel to it.
  xenshm::PeerSet other = 0;
  auto deadline = Clock::now() + milliseconds(60000);
  while (other == 0) {
    if (Clock::now() > deadline) return Fail("no peer came");
    auto status = (*region)->PeekStatus();
    auto reachable = (*region)->ReachablePeers();
    if (status && reachable) {
      xenshm::PeerSet others =
          status->attached & ~xenshm::PeerBit((*region)->peer_index());
      if (others != 0 && (*reachable & others) == others) other = others;
    }
    std::this_thread::sleep_for(milliseconds(10));
  }

  // Raw channel: ping allocates, pong binds, through the shared page.
  xenevtchn_handle* evtchn = xenevtchn_open(nullptr, 0);
  if (evtchn == nullptr) return Fail("cannot open evtchn");
  evtchn_port_t raw_port = 0;
  if (ping) {
    // Learn the pong domain from the membership list.
    auto peers = (*region)->Peers();
    if (!peers) return Fail(peers.error().ToString());
    uint32_t pong_domain = 0;
    for (const auto& peer : *peers) {
      if (peer.index != (*region)->peer_index()) pong_domain = peer.domain;
    }
    int port = xenevtchn_bind_unbound_port(evtchn, pong_domain);
    if (port < 0) return Fail("bind_unbound_port");
    raw_port = port;
    rendezvous->ping_domain = platform->self;
    rendezvous->ping_port = raw_port;
    while (rendezvous->pong_bound.load() == 0) {
      std::this_thread::sleep_for(milliseconds(1));
    }
  } else {
    while (rendezvous->ping_port.load() == 0) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    int port = xenevtchn_bind_interdomain(evtchn, rendezvous->ping_domain,
                                          rendezvous->ping_port);
    if (port < 0) return Fail("bind_interdomain");
    raw_port = port;
    WaitRaw(evtchn);  // the spurious event binding raises
    rendezvous->pong_bound = 1;
  }

  // The four loops alternate in blocks, so drift in the emulator or dom0's
  // background work weighs on all alike. Like is compared with like: the
  // raw blocking read with xenshm's Wait(), and the raw poll-then-read with
  // xenshm's Wait(timeout).
  constexpr int kBlock = 500;
  constexpr milliseconds kTimeout{10000};
  std::vector<double> raw_us, ours_us, raw_timeout_us, ours_timeout_us;
  auto timed = [&](std::vector<double>& samples, auto&& round_trip) {
    auto start = Clock::now();
    if (!round_trip()) return false;
    samples.push_back(
        std::chrono::duration<double, std::micro>(Clock::now() - start)
            .count());
    return true;
  };
  // Waits for the other side's signal, skipping membership news.
  auto await_signal = [&](bool with_deadline) {
    while (true) {
      auto status =
          with_deadline ? (*region)->Wait(kTimeout) : (*region)->Wait();
      if (!status) return false;
      if (status->signaled_by != 0) return true;
    }
  };
  // One side's half of a round trip, raw or through xenshm.
  auto send = [&](bool raw) {
    return raw ? xenevtchn_notify(evtchn, raw_port) == 0
               : (*region)->Signal(other).has_value();
  };
  auto wait = [&](bool raw, bool with_deadline) {
    if (!raw) return await_signal(with_deadline);
    if (with_deadline) return WaitRawWithTimeout(evtchn, kTimeout.count());
    WaitRaw(evtchn);
    return true;
  };
  struct Loop {
    const char* name;
    bool raw;
    bool with_deadline;
    std::vector<double>* samples;
  };
  const Loop loops[] = {{"raw", true, false, &raw_us},
                        {"xenshm", false, false, &ours_us},
                        {"raw-timeout", true, true, &raw_timeout_us},
                        {"xenshm-timeout", false, true, &ours_timeout_us}};
  for (int done = 0; done < rounds; done += kBlock) {
    const int block = std::min(kBlock, rounds - done);
    for (const Loop& loop : loops) {
      for (int i = 0; i < block; ++i) {
        const bool ok =
            ping ? timed(*loop.samples,
                         [&] {
                           return send(loop.raw) &&
                                  wait(loop.raw, loop.with_deadline);
                         })
                 : wait(loop.raw, loop.with_deadline) && send(loop.raw);
        if (!ok) return Fail(std::string(loop.name) + " round trip failed");
      }
    }
  }
  xenevtchn_close(evtchn);
  if (ping) {
    auto report = [&](const char* label, const std::vector<double>& ours,
                      const std::vector<double>& raw) {
      double ours_median = xenshm::bench::Percentile(ours, 50);
      double raw_median = xenshm::bench::Percentile(raw, 50);
      std::printf("bench %s: xenshm=%.1f raw=%.1f ratio=%.2f\n", label,
                  ours_median, raw_median, ours_median / raw_median);
      std::printf("bench %s-p99: xenshm=%.1f raw=%.1f (%d round trips each)\n",
                  label, xenshm::bench::Percentile(ours, 99),
                  xenshm::bench::Percentile(raw, 99), rounds);
    };
    report("signal-rtt", ours_us, raw_us);
    report("signal-rtt-timeout", ours_timeout_us, raw_timeout_us);
  }
  std::printf("PASS bench-signal-%s: %d round trips each way\n", argv[1],
              rounds);
  return 0;
}
