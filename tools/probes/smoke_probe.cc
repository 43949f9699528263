// smoke_probe: checks, on real Xen, the platform pieces xenshm builds on:
// xenstore, a grant shared dom0 -> guest and mapped by gntdev, and an
// interdomain event channel in both directions.
//
//   smoke_probe dom0 [--timeout-ms=N] <guest-domid>...   (in dom0)
//   smoke_probe guest [--timeout-ms=N]                    (in each guest)
//
// Run the dom0 side and the guest sides concurrently; each waits up to the
// timeout (default 60000 ms) for the other. The handshake, per guest <g>,
// under /local/domain/<g>/data/xenshm-smoke/ (owned by <g>):
//   1. dom0 removes any stale directory, recreates it, writes `gref` (one
//      page granted read-only to <g>, filled with PatternByte(<g>, i)),
//      `port` (an unbound event-channel port for <g>), then `ready` = "1".
//   2. The guest waits for `ready`, maps `gref` read-only and checks the
//      pattern, binds to `port`, consumes the spurious event the bind
//      raises, and notifies dom0.
//   3. dom0 takes the event and notifies back; the guest waits for it.
//   4. The guest does a xenstore round trip and writes `result`: "ok", or
//      "fail: <checks>" naming its failed checks.
//   5. dom0 removes the directory once every guest has answered (or the
//      timeout passed), so a later run in the same boot starts clean.
//
// Output: one line per check on stdout, flushed, `PASS <check>` or
// `FAIL <check>: <why>`. A check that cannot run because one it depends on
// failed is reported as FAIL ("skipped: ..."), so every expected check
// appears. Exit
// status 0 iff every check passed; 2 for a usage error. Diagnostics go to
// stderr.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/numbers.h"
#include "base/status.h"
#include "base/types.h"
#include "platform/platform.h"
#include "platform/real/real_guest_platform.h"
#include "platform/real/real_page_sharer.h"

namespace xenshm {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kDefaultTimeoutMs = 60000;
// Binding raises its spurious event at once; this only bounds the wait when
// a kernel does not deliver one.
constexpr int kSpuriousWaitMs = 1000;

std::string SmokeDir(DomainId domain) {
  return "/local/domain/" + std::to_string(domain) + "/data/xenshm-smoke";
}

// The byte at offset `i` of the page dom0 shares with `guest`: differs per
// guest and per offset, so a wrong page or a shifted mapping shows.
uint8_t PatternByte(DomainId guest, size_t i) {
  return static_cast<uint8_t>((i * 131u) ^ (i >> 8) ^ (guest * 37u) ^ 0x5au);
}

// Prints check lines and remembers whether all passed.
class Reporter {
 public:
  void Pass(const std::string& check) {
    std::printf("PASS %s\n", check.c_str());
    std::fflush(stdout);
  }
  void Fail(const std::string& check, const std::string& why) {
    all_passed_ = false;
    failed_.push_back(check);
    std::printf("FAIL %s: %s\n", check.c_str(), why.c_str());
    std::fflush(stdout);
  }
  // PASS if `status` is ok, else FAIL with its text. Returns status.ok().
  bool Check(const std::string& check, const Status& status) {
    if (status.ok()) {
      Pass(check);
    } else {
      Fail(check, status.ToString());
    }
    return status.ok();
  }
  bool all_passed() const { return all_passed_; }
  const std::vector<std::string>& failed() const { return failed_; }

 private:
  bool all_passed_ = true;
  std::vector<std::string> failed_;
};

class Deadline {
 public:
  explicit Deadline(int timeout_ms)
      : end_(Clock::now() + std::chrono::milliseconds(timeout_ms)) {}
  int RemainingMs() const {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        end_ - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
  }
  bool Expired() const { return RemainingMs() == 0; }
  Deadline Sooner(int timeout_ms) const {
    Deadline other(timeout_ms);
    return other.end_ < end_ ? other : *this;
  }

 private:
  Clock::time_point end_;
};

// Waits until one of `fds` is readable or the deadline passes. Returns true
// if something is readable. EINTR just retries.
bool WaitReadable(const std::vector<int>& fds, const Deadline& deadline) {
  std::vector<pollfd> pfds;
  for (int fd : fds) pfds.push_back({fd, POLLIN, 0});
  while (true) {
    const int n = poll(pfds.data(), pfds.size(), deadline.RemainingMs());
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) {
      std::fprintf(stderr, "smoke_probe: poll: %s\n", std::strerror(errno));
      return false;
    }
  }
}

// Writes `value`, reads it back and removes the node.
Status XenStoreRoundTrip(XenStore& xs, const std::string& path) {
  const std::string value =
      "smoke-" + std::to_string(getpid()) + "-" +
      std::to_string(Clock::now().time_since_epoch().count());
  XENSHM_RETURN_IF_ERROR(xs.Write(kNoTransaction, path, value));
  Result<std::string> read = xs.Read(kNoTransaction, path);
  if (!read) return read.error();
  if (*read != value) {
    return Status(Code::kIoError, "read back '" + *read + "' from " + path +
                                      ", wrote '" + value + "'");
  }
  return xs.Remove(kNoTransaction, path);
}

// ----------------------------------------------------------------- dom0 side

struct GuestPeer {
  DomainId id = 0;
  std::string dir;
  std::string setup_error;  // empty when set up
  std::unique_ptr<SharedPages> page;
  EventPort port = 0;
  bool got_event = false;
  std::optional<std::string> result;
};

std::string EventCheck(DomainId g) {
  return "dom0-evtchn-from-" + std::to_string(g);
}
std::string ResultCheck(DomainId g) {
  return "dom0-guest-" + std::to_string(g) + "-result";
}

Status SetUpGuest(XenStore& xs, RealPageSharer& sharer, EventChannels& channels,
                  GuestPeer& peer) {
  Status removed = xs.Remove(kNoTransaction, peer.dir);
  if (!removed.ok() && removed.code() != Code::kNotFound) return removed;
  XENSHM_RETURN_IF_ERROR(xs.Mkdir(kNoTransaction, peer.dir));
  // Owned by the guest (so it can write `result`), invisible to others.
  // Nodes dom0 creates below inherit this list unchanged.
  XENSHM_RETURN_IF_ERROR(xs.SetPermissions(kNoTransaction, peer.dir,
                                           {{peer.id, XsAccess::kNone}}));

  Result<std::unique_ptr<SharedPages>> page =
      sharer.Share(peer.id, 1, /*writable=*/false);
  if (!page) return page.error();
  peer.page = std::move(*page);
  auto* bytes = static_cast<uint8_t*>(peer.page->data());
  for (size_t i = 0; i < peer.page->size(); ++i) {
    bytes[i] = PatternByte(peer.id, i);
  }

  Result<EventPort> port = channels.AllocateUnbound(peer.id);
  if (!port) return port.error();
  peer.port = *port;

  XENSHM_RETURN_IF_ERROR(
      xs.Watch(peer.dir + "/result", "result-" + std::to_string(peer.id)));
  XENSHM_RETURN_IF_ERROR(xs.Write(kNoTransaction, peer.dir + "/gref",
                                  std::to_string(peer.page->refs()[0])));
  XENSHM_RETURN_IF_ERROR(
      xs.Write(kNoTransaction, peer.dir + "/port", std::to_string(peer.port)));
  return xs.Write(kNoTransaction, peer.dir + "/ready", "1");
}

bool Finished(const GuestPeer& peer) {
  return !peer.setup_error.empty() || peer.result.has_value();
}

void HandleDom0Events(EventChannels& channels, std::vector<GuestPeer>& peers,
                      Reporter& report) {
  while (true) {
    Result<std::optional<EventPort>> pending = channels.TakePending();
    if (!pending) {
      std::fprintf(stderr, "smoke_probe: %s\n",
                   pending.error().ToString().c_str());
      return;
    }
    if (!pending->has_value()) return;
    const EventPort port = **pending;
    GuestPeer* from = nullptr;
    for (GuestPeer& peer : peers) {
      if (peer.setup_error.empty() && peer.port == port) from = &peer;
    }
    if (from == nullptr) {
      std::fprintf(stderr, "smoke_probe: event on unknown port %u\n", port);
    } else if (!from->got_event) {
      from->got_event = true;
      // The check covers the round: the guest's event in, ours back out.
      Status back = channels.Notify(port);
      if (back.ok()) {
        report.Pass(EventCheck(from->id));
      } else {
        report.Fail(EventCheck(from->id),
                    "event received, notify back failed: " + back.ToString());
      }
    }
    Status unmasked = channels.Unmask(port);
    if (!unmasked.ok()) {
      std::fprintf(stderr, "smoke_probe: %s\n", unmasked.ToString().c_str());
    }
  }
}

void HandleDom0Watches(XenStore& xs, std::vector<GuestPeer>& peers,
                       Reporter& report) {
  while (std::optional<XsWatchEvent> event = xs.TakeWatchEvent()) {
    for (GuestPeer& peer : peers) {
      if (Finished(peer) ||
          event->token != "result-" + std::to_string(peer.id)) {
        continue;
      }
      Result<std::string> result =
          xs.Read(kNoTransaction, peer.dir + "/result");
      if (!result) continue;  // the watch fires once when set, or on removal
      peer.result = *result;
      if (!peer.got_event) {
        report.Fail(EventCheck(peer.id),
                    "guest finished without an event reaching dom0");
      }
      if (*result == "ok") {
        report.Pass(ResultCheck(peer.id));
      } else {
        report.Fail(ResultCheck(peer.id), "guest wrote '" + *result + "'");
      }
    }
  }
}

int RunDom0(const std::vector<DomainId>& guests, int timeout_ms) {
  Reporter report;
  const Deadline deadline(timeout_ms);
  // The guest-side platform: the probe needs no domain information, and
  // the same binary runs in the guests, which have no libxenctrl to link.
  Result<Platform> platform = OpenRealGuestPlatform();
  if (platform && platform->self != kDom0) {
    platform =
        Error(Code::kNoPermission, "dom0 role asked for, but this is domain " +
                                       std::to_string(platform->self));
  }
  if (!report.Check("dom0-open-platform",
                    platform ? Status::Ok() : platform.error())) {
    return 1;
  }
  XenStore& xs = *platform->xenstore;
  report.Check("dom0-xenstore-roundtrip",
               XenStoreRoundTrip(xs, SmokeDir(kDom0) + "/roundtrip"));

  std::vector<GuestPeer> peers;
  for (DomainId g : guests) {
    GuestPeer peer;
    peer.id = g;
    peer.dir = SmokeDir(g);
    peers.push_back(std::move(peer));
  }

  Result<std::unique_ptr<RealPageSharer>> sharer = RealPageSharer::Open();
  Result<std::unique_ptr<EventChannels>> channels =
      platform->open_event_channels();
  for (GuestPeer& peer : peers) {
    Status setup = !sharer     ? sharer.error()
                   : !channels ? channels.error()
                               : SetUpGuest(xs, **sharer, **channels, peer);
    if (!report.Check("dom0-setup-" + std::to_string(peer.id), setup)) {
      peer.setup_error = "skipped: setup failed";
      report.Fail(EventCheck(peer.id), peer.setup_error);
      report.Fail(ResultCheck(peer.id), peer.setup_error);
    }
  }

  auto all_finished = [&peers] {
    for (const GuestPeer& peer : peers) {
      if (!Finished(peer)) return false;
    }
    return true;
  };
  while (channels && !all_finished() && !deadline.Expired()) {
    if (!WaitReadable({(*channels)->fd(), xs.watch_fd()}, deadline)) continue;
    HandleDom0Events(**channels, peers, report);
    HandleDom0Watches(xs, peers, report);
  }

  const std::string late =
      "timed out after " + std::to_string(timeout_ms) + " ms";
  for (const GuestPeer& peer : peers) {
    if (Finished(peer)) continue;
    if (!peer.got_event) report.Fail(EventCheck(peer.id), late);
    report.Fail(ResultCheck(peer.id), late + " waiting for the guest's result");
  }
  // Leave no state a later run (in the same boot) could mistake for its
  // own: a guest started before dom0 would otherwise find a stale `ready`.
  // The shared pages are unshared on return; gntalloc defers the free while
  // a guest still maps one.
  for (const GuestPeer& peer : peers) {
    Status removed = xs.Remove(kNoTransaction, peer.dir);
    if (!removed.ok() && removed.code() != Code::kNotFound) {
      std::fprintf(stderr, "smoke_probe: %s\n", removed.ToString().c_str());
    }
  }
  (void)xs.Remove(kNoTransaction, SmokeDir(kDom0));
  return report.all_passed() ? 0 : 1;
}

// ---------------------------------------------------------------- guest side

// Waits for an event on `local` (others are unmasked and ignored).
// Returns true if it came before the deadline; leaves `local` unmasked.
Result<bool> WaitForEvent(EventChannels& channels, EventPort local,
                          const Deadline& deadline) {
  while (true) {
    Result<std::optional<EventPort>> pending = channels.TakePending();
    if (!pending) return Error(pending.error());
    if (pending->has_value()) {
      const EventPort port = **pending;
      Status unmasked = channels.Unmask(port);
      if (!unmasked.ok()) return Error(std::move(unmasked));
      if (port == local) return true;
      continue;
    }
    if (deadline.Expired()) return false;
    WaitReadable({channels.fd()}, deadline);
  }
}

// Waits for `dir`/ready == "1".
Status WaitForReady(XenStore& xs, const std::string& dir,
                    const Deadline& deadline) {
  const std::string ready = dir + "/ready";
  XENSHM_RETURN_IF_ERROR(xs.Watch(ready, "ready"));
  while (true) {
    Result<std::string> value = xs.Read(kNoTransaction, ready);
    if (value && *value == "1") break;
    if (!value && value.error().code() != Code::kNotFound) {
      return value.error();
    }
    if (deadline.Expired()) {
      return Status(Code::kTimedOut, "no " + ready +
                                         " = 1 from dom0 in time (is "
                                         "`smoke_probe dom0` running?)");
    }
    if (WaitReadable({xs.watch_fd()}, deadline)) {
      while (xs.TakeWatchEvent()) {
      }
    }
  }
  return xs.Unwatch(ready, "ready");
}

Result<uint64_t> ReadNumber(XenStore& xs, const std::string& path,
                            uint64_t max) {
  Result<std::string> text = xs.Read(kNoTransaction, path);
  if (!text) return Error(text.error());
  auto value = ParseDecimal(*text, max, path);
  if (!value) return Error(value.error());
  return *value;
}

Status CheckPattern(const GrantMapping& mapping, DomainId self) {
  const auto* bytes = static_cast<const uint8_t*>(mapping.data());
  for (size_t i = 0; i < kPageSize; ++i) {
    if (bytes[i] != PatternByte(self, i)) {
      return Status(Code::kIoError, "byte " + std::to_string(i) + " is " +
                                        std::to_string(bytes[i]) +
                                        ", expected " +
                                        std::to_string(PatternByte(self, i)));
    }
  }
  return Status::Ok();
}

int RunGuest(int timeout_ms) {
  Reporter report;
  const Deadline deadline(timeout_ms);
  Result<Platform> platform = OpenRealGuestPlatform();
  if (!report.Check("guest-open-platform",
                    platform ? Status::Ok() : platform.error())) {
    return 1;
  }
  XenStore& xs = *platform->xenstore;
  const DomainId self = platform->self;
  const std::string prefix = "guest-" + std::to_string(self) + "-";
  const std::string dir = SmokeDir(self);

  if (!report.Check(prefix + "ready", WaitForReady(xs, dir, deadline))) {
    // dom0 never set up: there is nobody to tell. Report the rest.
    for (const char* name :
         {"map-page", "evtchn-notify", "evtchn-wake", "xenstore-roundtrip"}) {
      report.Fail(prefix + name, "skipped: " + prefix + "ready failed");
    }
    return 1;
  }

  // Map the page dom0 granted us.
  std::unique_ptr<GrantMapping> mapping;
  Status mapped = [&]() -> Status {
    Result<uint64_t> gref = ReadNumber(xs, dir + "/gref", UINT32_MAX);
    if (!gref) return gref.error();
    const GrantRef ref = static_cast<GrantRef>(*gref);
    Result<std::unique_ptr<GrantMapping>> map = platform->grant_mapper->Map(
        kDom0, std::span<const GrantRef>(&ref, 1), /*writable=*/false);
    if (!map) return map.error();
    mapping = std::move(*map);
    return CheckPattern(*mapping, self);
  }();
  report.Check(prefix + "map-page", mapped);

  // Bind to dom0's port, consume the bind's spurious event, notify dom0.
  std::unique_ptr<EventChannels> channels;
  EventPort local = 0;
  Status notified = [&]() -> Status {
    Result<uint64_t> port = ReadNumber(xs, dir + "/port", UINT32_MAX);
    if (!port) return port.error();
    Result<std::unique_ptr<EventChannels>> opened =
        platform->open_event_channels();
    if (!opened) return opened.error();
    channels = std::move(*opened);
    Result<EventPort> bound =
        channels->BindInterdomain(kDom0, static_cast<EventPort>(*port));
    if (!bound) return bound.error();
    local = *bound;
    Result<bool> spurious =
        WaitForEvent(*channels, local, deadline.Sooner(kSpuriousWaitMs));
    if (!spurious) return spurious.error();
    if (!*spurious) {
      std::fprintf(stderr,
                   "smoke_probe: no spurious event after binding port %u; "
                   "the next event is taken as dom0's\n",
                   local);
    }
    return channels->Notify(local);
  }();
  report.Check(prefix + "evtchn-notify", notified);

  Status woken = [&]() -> Status {
    if (!notified.ok()) {
      return Status(Code::kUnknownFailure,
                    "skipped: " + prefix + "evtchn-notify failed");
    }
    Result<bool> woke = WaitForEvent(*channels, local, deadline);
    if (!woke) return woke.error();
    if (!*woke) {
      return Status(Code::kTimedOut, "no event from dom0 on local port " +
                                         std::to_string(local) + " within " +
                                         std::to_string(timeout_ms) + " ms");
    }
    return Status::Ok();
  }();
  report.Check(prefix + "evtchn-wake", woken);

  report.Check(prefix + "xenstore-roundtrip",
               XenStoreRoundTrip(xs, dir + "/roundtrip"));

  std::string result = "ok";
  if (!report.all_passed()) {
    result = "fail:";
    for (const std::string& failed : report.failed()) result += " " + failed;
  }
  Status written = xs.Write(kNoTransaction, dir + "/result", result);
  if (!written.ok()) {
    report.Fail(prefix + "write-result", written.ToString());
  }
  return report.all_passed() ? 0 : 1;
}

// ---------------------------------------------------------------------- main

int Usage() {
  std::fprintf(stderr,
               "usage: smoke_probe dom0 [--timeout-ms=N] <guest-domid>...\n"
               "       smoke_probe guest [--timeout-ms=N]\n");
  return 2;
}

int BadNumber(const Status& status) {
  std::fprintf(stderr, "smoke_probe: %s\n", status.message().c_str());
  return Usage();
}

int Main(int argc, char** argv) {
  if (argc < 2) return Usage();
  const std::string_view mode = argv[1];
  int timeout_ms = kDefaultTimeoutMs;
  std::vector<DomainId> guests;
  for (int i = 2; i < argc; ++i) {
    std::string_view arg = argv[i];
    std::optional<std::string_view> timeout;
    if (arg.starts_with("--timeout-ms=")) {
      timeout = arg.substr(std::strlen("--timeout-ms="));
    } else if (arg == "--timeout-ms" && i + 1 < argc) {
      timeout = argv[++i];
    }
    if (timeout) {
      auto ms = ParseDecimal(*timeout, 24 * 3600 * 1000, "--timeout-ms");
      if (!ms) return BadNumber(ms.error());
      timeout_ms = static_cast<int>(*ms);
      continue;
    }
    if (mode != "dom0") return Usage();
    // Guest domain ids: 1 .. DOMID_FIRST_RESERVED - 1.
    auto domid = ParseDecimal(arg, 0x7FEF, "guest domain id");
    if (domid && *domid == 0) {
      domid = Error(Code::kInvalidArgument, "guest domain id 0 is dom0");
    }
    if (!domid) return BadNumber(domid.error());
    guests.push_back(static_cast<DomainId>(*domid));
  }
  if (mode == "dom0") {
    if (guests.empty()) return Usage();
    return RunDom0(guests, timeout_ms);
  }
  if (mode == "guest") return RunGuest(timeout_ms);
  return Usage();
}

}  // namespace
}  // namespace xenshm

int main(int argc, char** argv) { return xenshm::Main(argc, argv); }
