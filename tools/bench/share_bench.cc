// share_bench: in a guest, the cost of attaching a region through xenshm
// beside mapping the same number of dom0 grants with raw libxengnttab, and
// memcpy bandwidth into the mapped region beside private memory. Same guest,
// same run. Prints:
//   bench attach-<N>MiB: xenshm=<ms> raw=<ms> ratio=<r>
//   bench copy-bandwidth: xenshm=<MB/s> private=<MB/s> ratio=<r>
//
//   share_bench [--mib N] [--name NAME] [--label LABEL] [--rounds R]
// N: 1..1024 MiB (default 128); R: rounds (default 3, at most 1000). A
// malformed number or an unknown flag is a usage error (exit 2).
//
// Attaching a region someone already holds (a join) is the fair comparison
// with mapping the same grants raw; the first attach also allocates and
// zeroes the region in dom0. --label names the line (default
// attach-<N>MiB); the lab runs both cases.
#include <sys/mman.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
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
#include "xenstore-schema/grant_directory.h"
#include "xenstore-schema/schema.h"

extern "C" {
#include <xengnttab.h>
}

namespace {

using Clock = std::chrono::steady_clock;

double MsSince(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start)
      .count();
}

// The copy benchmark moves this much per memcpy; a guest maps the region
// twice during the run, so the buffers stay small.
constexpr size_t kChunk = 32u << 20;

// MB/s of copying `total` bytes from `src` into `dst` in kChunk pieces;
// `dst_size` bytes at `dst` are reused from the start when exhausted. Best
// of three rounds.
double CopyBandwidth(char* dst, size_t dst_size, const char* src,
                     size_t total) {
  double best = 0;
  for (int round = 0; round < 3; ++round) {
    auto start = Clock::now();
    for (size_t done = 0; done < total; done += kChunk) {
      std::memcpy(dst + done % dst_size, src, kChunk);
    }
    double seconds = MsSince(start) / 1000.0;
    best = std::max(best, total / seconds / 1e6);
  }
  return best;
}

// The grant refs xenshmd made for `region`, read from its grant directory.
xenshm::Result<std::vector<xenshm::GrantRef>> GrantRefsOf(
    xenshm::Platform& platform, const xenshm::Region& region,
    xengnttab_handle* gnttab) {
  auto raw_directory = platform.xenstore->Read(
      xenshm::kNoTransaction,
      xenshm::schema::BackendNode(platform.self, region.handle(),
                                  xenshm::schema::kNodeGrantDirectory));
  if (!raw_directory) return std::unexpected(raw_directory.error());
  const size_t pages = region.size() / xenshm::kPageSize;
  auto directory_refs = xenshm::schema::ParseRefList(
      *raw_directory, xenshm::schema::GrantDirectoryPages(pages));
  if (!directory_refs) return std::unexpected(directory_refs.error());
  void* directory = xengnttab_map_domain_grant_refs(
      gnttab, directory_refs->size(), 0, directory_refs->data(), PROT_READ);
  if (directory == nullptr) {
    return xenshm::Error(xenshm::StatusFromErrno(errno, "map directory"));
  }
  auto refs = xenshm::schema::ReadGrantDirectory(
      std::span(static_cast<const std::byte*>(directory),
                directory_refs->size() * xenshm::kPageSize),
      pages);
  xengnttab_unmap(gnttab, directory, directory_refs->size());
  return refs;
}

constexpr uint64_t kMaxRounds = 1000;

int Usage(const std::string& why) {
  std::fprintf(stderr,
               "share_bench: %s\nusage: share_bench [--mib N] [--name NAME] "
               "[--label LABEL] [--rounds R]\n",
               why.c_str());
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  size_t mib = 128;
  std::string name = "bench";
  std::string label;
  int rounds = 3;
  for (int i = 1; i < argc; i += 2) {
    const std::string_view flag = argv[i];
    if (i + 1 >= argc) return Usage("no value for " + std::string(flag));
    const std::string_view value = argv[i + 1];
    if (flag == "--mib") {
      // MiB, strictly: a region is at most 1 GiB.
      auto n = xenshm::ParseDecimal(
          value, xenshm::schema::kMaxRegionBytes >> 20, "--mib");
      if (n && *n == 0) return Usage("--mib must be at least 1");
      if (!n) return Usage(n.error().message());
      mib = static_cast<size_t>(*n);
    } else if (flag == "--name") {
      name = value;
    } else if (flag == "--label") {
      label = value;
    } else if (flag == "--rounds") {
      auto n = xenshm::ParseDecimal(value, kMaxRounds, "--rounds");
      if (!n) return Usage(n.error().message());
      rounds = static_cast<int>(*n);
    } else {
      return Usage("unknown flag " + std::string(flag));
    }
  }
  const size_t size = mib << 20;
  if (rounds < 1) rounds = 1;
  auto platform = xenshm::OpenRealGuestPlatform();
  if (!platform) {
    std::printf("FAIL bench-open: %s\n", platform.error().ToString().c_str());
    return 1;
  }
  xenshm::Client client = xenshm::ClientOn(*platform);
  xenshm::AttachOptions options;
  options.timeout = std::chrono::milliseconds(120000);
  xengnttab_handle* gnttab = xengnttab_open(nullptr, 0);
  if (gnttab == nullptr) {
    std::printf("FAIL bench-gnttab: cannot open gntdev\n");
    return 1;
  }
  // Each round attaches through xenshm, then maps the grants xenshmd made
  // for that attachment raw (they exist only while we are attached), then
  // detaches; the last round keeps the region for the copy benchmark.
  // Medians over the rounds, so a cold first mapping weighs on neither.
  std::vector<double> xenshm_ms, raw_ms;
  std::unique_ptr<xenshm::Region> region;
  for (int round = 0; round < rounds; ++round) {
    if (region) {
      (void)region->Detach();
      // xenshmd finishes the detach (revoking 32 768 grants, the registry)
      // after answering it: let dom0 go idle, as before a lone attach.
      std::this_thread::sleep_for(std::chrono::seconds(2));
    }
    auto start = Clock::now();
    auto attached = client.Attach(name, size, options);
    xenshm_ms.push_back(MsSince(start));
    if (!attached) {
      std::printf("FAIL bench-attach: %s\n",
                  attached.error().ToString().c_str());
      return 1;
    }
    region = std::move(*attached);
    auto refs = GrantRefsOf(*platform, *region, gnttab);
    if (!refs) {
      std::printf("FAIL bench-refs: %s\n", refs.error().ToString().c_str());
      return 1;
    }
    start = Clock::now();
    void* raw = xengnttab_map_domain_grant_refs(
        gnttab, refs->size(), 0, refs->data(), PROT_READ | PROT_WRITE);
    raw_ms.push_back(MsSince(start));
    if (raw == nullptr) {
      std::printf("FAIL bench-raw-map: %s\n", std::strerror(errno));
      return 1;
    }
    xengnttab_unmap(gnttab, raw, refs->size());
  }
  xengnttab_close(gnttab);
  if (label.empty()) label = "attach-" + std::to_string(mib) + "MiB";
  const double ours = xenshm::bench::Percentile(xenshm_ms, 50);
  const double theirs = xenshm::bench::Percentile(raw_ms, 50);
  std::printf(
      "bench %s: xenshm=%.1f raw=%.1f ratio=%.2f (medians of %d rounds; "
      "first round %.1f vs %.1f)\n",
      label.c_str(), ours, theirs, ours / theirs, rounds, xenshm_ms.front(),
      raw_ms.front());

  std::vector<char> src(kChunk, 7);
  std::vector<char> private_memory(kChunk, 1);  // touched, as the mapping is
  auto* shared = static_cast<char*>(region->data());
  const double shared_mbs = CopyBandwidth(shared, size, src.data(), size);
  const double private_mbs =
      CopyBandwidth(private_memory.data(), kChunk, src.data(), size);
  std::printf("bench copy-bandwidth: xenshm=%.0f private=%.0f ratio=%.2f\n",
              shared_mbs, private_mbs, shared_mbs / private_mbs);
  std::printf("PASS bench-share: measured attach and copy bandwidth\n");
  return 0;
}
