// signal_bench: ping-pong between two guests through xenshm signals beside a
// raw libxenevtchn ping-pong between the same two guests, same run.
//
//   signal_bench ping ROUNDS   (the first to attach region "pingpong")
//   signal_bench pong ROUNDS
// The ping side prints
//   bench signal-rtt: xenshm=<us> raw=<us> ratio=<r>   (medians)
//   bench signal-rtt-p99: xenshm=<us> raw=<us>
// The raw channel's port travels through the shared page, so the raw path
// needs nothing from xenshm beyond that.
#include <poll.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "platform/real/real_platform.h"
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

void WaitRaw(xenevtchn_handle* evtchn) {
  pollfd fd{xenevtchn_fd(evtchn), POLLIN, 0};
  while (true) {
    xenevtchn_port_or_error_t port = xenevtchn_pending(evtchn);
    if (port >= 0) {
      xenevtchn_unmask(evtchn, port);
      return;
    }
    poll(&fd, 1, 1000);
  }
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
  const int rounds = std::atoi(argv[2]);
  auto platform = xenshm::OpenRealPlatform(xenshm::PlatformRole::kGuest);
  if (!platform) return Fail(platform.error().ToString());
  xenshm::Client client(*platform);
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

  // Raw and xenshm round trips alternate in blocks, so drift in the
  // emulator or dom0's background work weighs on both alike.
  constexpr int kBlock = 500;
  std::vector<double> raw_us, xenshm_us;
  for (int done = 0; done < rounds; done += kBlock) {
    const int block = std::min(kBlock, rounds - done);
    for (int i = 0; i < block; ++i) {
      auto start = Clock::now();
      if (ping) {
        xenevtchn_notify(evtchn, raw_port);
        WaitRaw(evtchn);
        raw_us.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - start)
                .count());
      } else {
        WaitRaw(evtchn);
        xenevtchn_notify(evtchn, raw_port);
      }
    }
    for (int i = 0; i < block; ++i) {
      auto start = Clock::now();
      if (ping) {
        if (!(*region)->Signal(other)) return Fail("signal");
        xenshm::PeerSet from = 0;
        while (from == 0) {  // skip membership news
          auto status = (*region)->Wait(milliseconds(10000));
          if (!status) return Fail("no pong");
          from = status->signaled_by;
        }
        xenshm_us.push_back(
            std::chrono::duration<double, std::micro>(Clock::now() - start)
                .count());
      } else {
        auto status = (*region)->Wait(milliseconds(10000));
        if (!status) return Fail("no ping");
        if (status->signaled_by == 0) {
          --i;  // a membership change, not a ping
          continue;
        }
        if (!(*region)->Signal(other)) return Fail("signal");
      }
    }
  }
  xenevtchn_close(evtchn);
  if (ping) {
    double raw_median = xenshm::bench::Percentile(raw_us, 50);
    double ours_median = xenshm::bench::Percentile(xenshm_us, 50);
    std::printf("bench signal-rtt: xenshm=%.1f raw=%.1f ratio=%.2f\n",
                ours_median, raw_median, ours_median / raw_median);
    std::printf(
        "bench signal-rtt-p99: xenshm=%.1f raw=%.1f (%d round trips "
        "each)\n",
        xenshm::bench::Percentile(xenshm_us, 99),
        xenshm::bench::Percentile(raw_us, 99), rounds);
  }
  std::printf("PASS bench-signal-%s: %d round trips each way\n", argv[1],
              rounds);
  return 0;
}
