// xenshm: attach to a region from the shell, for people and lab scenarios.
//
//   xenshm attach NAME [--size SIZE] [--ro] [--existing] [--handle N]
//                      [--timeout-ms MS] [--retry-ms MS]
//                      [--expect-status CODE] [ACTION...]
//
// SIZE: bytes (65536), hex bytes (0x10000) or K/M/G (64K, 128M, 1G); other
// numbers strict decimal. A malformed number is a usage error (exit 1).
// --retry-ms: retry a does-not-exist refusal until MS have passed.
// --expect-status: the attach is expected to be refused with CODE (e.g.
// grant-budget); prints PASS/FAIL refused-CODE and exits accordingly.
//
// ACTIONs run in order while attached:
//   fill=SEED        write the page pattern for SEED over the whole region
//   check-zero       verify every byte is zero (a fresh region)
//   check=SEED       verify the pattern (prints PASS/FAIL lines)
//   await=SEED[:MS]  wait until the pattern appears (default 30000 ms)
//   sleep=MS         stay attached for a while
//   until=FILE[:MS]  stay attached until FILE exists (default 600000 ms)
//   peers            list the attached peers
//   write-probe      try one write (shows the fault on a read-only mapping)
//   settle=N[:MS]    wait until N peers are attached and all reachable
//   signal=SPEC      signal peers: all | dom:D,... | peer:I,...
//   expect-reached=SPEC / expect-missed=SPEC   check the last signal's report
//   expect-signal=SPEC[:MS]   wake up signaled by exactly SPEC
//   expect-quiet=MS  no signal arrives for MS
//   expect-leave=SPEC[:MS]    wake up and see SPEC's peers gone
// Exit status: 0 all good, 1 usage, 2 attach refused, 3 a check failed,
// 4 the detach failed (e.g. xenshmd did not confirm it; the region is
// unmapped all the same). A failed check wins over a failed detach.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/types.h"
#include "frontend/cli/cli_number.h"
#include "frontend/cli/page_pattern.h"
#include "frontend/cli/signal_actions.h"
#include "frontend/lib/platform_client.h"
#include "frontend/lib/platform_opener.h"
#include "xenshm/client.h"
#include "xenstore-schema/limits.h"

namespace xenshm::cli {
namespace {

constexpr char kUsage[] =
    "usage: xenshm attach NAME [--size SIZE] [--ro] [--existing] [--handle N]\n"
    "                   [--timeout-ms MS] [--retry-ms MS] [--expect-status "
    "CODE]\n"
    "                   [ACTION...]\n"
    "       xenshm --help\n"
    "SIZE: bytes (65536), hex bytes (0x10000) or a number with a binary K, M "
    "or G\n"
    "(64K, 128M, 1G), at most 1G; every other number strict decimal.\n"
    "ACTIONs: fill=SEED check-zero check=SEED await=SEED[:MS] sleep=MS\n"
    "  until=FILE[:MS] peers write-probe settle=N[:MS] signal=SPEC\n"
    "  expect-reached=SPEC expect-missed=SPEC expect-signal=SPEC[:MS]\n"
    "  expect-quiet=MS expect-leave=SPEC[:MS]   (SPEC: all | dom:D,... | "
    "peer:I,...)\n"
    "exit status: 0 ok, 1 usage, 2 attach refused, 3 a check failed, 4 the "
    "detach failed\n";

void Usage() { std::fputs(kUsage, stderr); }

void Say(const std::string& line) {
  std::printf("%s\n", line.c_str());
  std::fflush(stdout);
}

// Runs one action; false if it failed.
bool RunAction(Region& region, std::string_view action) {
  static SignalReport last_report;
  if (auto done = RunSignalAction(region, action, last_report)) return *done;
  const std::string label =
      "'" + region.name() + "' peer " + std::to_string(region.peer_index());
  auto value_of = [&](std::string_view key) -> std::optional<std::string_view> {
    if (!action.starts_with(key)) return std::nullopt;
    return action.substr(key.size());
  };
  if (auto seed = value_of("fill=")) {
    auto number = CliNumber(*seed, "fill seed");
    if (!number) return false;
    FillPattern(region.data(), region.size(), *number);
    Say("filled " + label + " with pattern " + std::string(*seed) + " (" +
        std::to_string(region.size()) + " bytes)");
    return true;
  }
  if (auto seed = value_of("check=")) {
    auto number = CliNumber(*seed, "check seed");
    if (!number) return false;
    auto mismatch = FindPatternMismatch(region.data(), region.size(), *number);
    if (mismatch) {
      Say("FAIL check-" + region.name() + "-" + std::string(*seed) + ": byte " +
          std::to_string(*mismatch) + " differs");
      return false;
    }
    Say("PASS check-" + region.name() + "-" + std::string(*seed) + ": " +
        std::to_string(region.size()) + " bytes match");
    return true;
  }
  if (auto spec = value_of("await=")) {
    size_t colon = spec->find(':');
    auto number = CliNumber(spec->substr(0, colon), "await seed");
    auto wait_ms =
        colon == std::string_view::npos
            ? std::optional<uint64_t>(30000)
            : CliNumber(spec->substr(colon + 1), "await ms", kMaxCliMs);
    if (!number || !wait_ms) return false;
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(*wait_ms);
    while (FindPatternMismatch(region.data(), region.size(), *number)) {
      if (std::chrono::steady_clock::now() > deadline) {
        Say("FAIL await-" + region.name() + "-" + std::to_string(*number) +
            ": pattern did not appear");
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    Say("PASS await-" + region.name() + "-" + std::to_string(*number) +
        ": pattern seen");
    return true;
  }
  if (auto spec = value_of("until=")) {
    // Stay attached until a file appears: how a lab step holds a region
    // until another step (or the operator) says when to let go.
    const size_t colon = spec->rfind(':');
    const std::string path(spec->substr(0, colon));
    std::optional<uint64_t> ms = 600000;
    if (colon != std::string_view::npos) {
      ms = CliNumber(spec->substr(colon + 1), "until ms", kMaxCliMs);
    }
    if (!ms || path.empty()) return false;
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::milliseconds(*ms);
    while (access(path.c_str(), F_OK) != 0) {
      if (std::chrono::steady_clock::now() >= deadline) {
        Say("FAIL until-" + region.name() + ": " + path +
            " did not appear in " + std::to_string(*ms) + " ms");
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    Say(label + ": " + path + " appeared; detaching");
    return true;
  }
  if (auto ms = value_of("sleep=")) {
    auto number = CliNumber(*ms, "sleep ms", kMaxCliMs);
    if (!number) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(*number));
    return true;
  }
  if (action == "check-zero") {
    const auto* bytes = static_cast<const unsigned char*>(region.data());
    for (size_t i = 0; i < region.size(); ++i) {
      if (bytes[i] != 0) {
        Say("FAIL zeroed-" + region.name() + ": byte " + std::to_string(i) +
            " is " + std::to_string(bytes[i]));
        return false;
      }
    }
    Say("PASS zeroed-" + region.name() + ": all " +
        std::to_string(region.size()) + " bytes are zero");
    return true;
  }
  if (action == "peers") {
    auto peers = region.Peers();
    if (!peers) {
      Say("peers of " + label + ": " + peers.error().ToString());
      return false;
    }
    std::string line = "peers of '" + region.name() + "':";
    for (const PeerInfo& peer : *peers) {
      line += " " + std::to_string(peer.index) + "=dom" +
              std::to_string(peer.domain) + "/" + std::to_string(peer.handle);
    }
    Say(line);
    return true;
  }
  if (action == "write-probe") {
    Say("writing one byte to " + label + " (" +
        (region.writable() ? "read-write" : "read-only") + " mapping)");
    static_cast<volatile unsigned char*>(region.data())[0] = 0x5a;
    Say("write to " + label + " succeeded");
    return true;
  }
  return false;
}

int Attach(int argc, char** argv) {
  if (argc < 3) {
    Usage();
    return 1;
  }
  std::string name = argv[2];
  uint64_t size = kPageSize;
  AttachOptions options;
  std::vector<std::string_view> actions;
  std::chrono::milliseconds retry{0};
  std::string expect_status;
  for (int i = 3; i < argc; ++i) {
    std::string_view arg = argv[i];
    // The value after an option, or nullopt (reported) if there is none.
    auto next = [&]() -> std::optional<std::string_view> {
      if (i + 1 < argc) return argv[++i];
      std::fprintf(stderr, "xenshm: %.*s needs a value\n",
                   static_cast<int>(arg.size()), arg.data());
      return std::nullopt;
    };
    auto next_number = [&](uint64_t max) -> std::optional<uint64_t> {
      auto value = next();
      return value ? CliNumber(*value, arg, max) : std::nullopt;
    };
    if (arg == "--size") {
      auto value = next();
      auto n = value ? CliSize(*value, arg) : std::nullopt;
      if (!n) return Usage(), 1;
      size = *n;
    } else if (arg == "--ro") {
      options.access = Access::kReadOnly;
    } else if (arg == "--existing") {
      options.mode = AttachMode::kAttachOnly;
    } else if (arg == "--handle") {
      auto n = next_number(schema::kMaxHandle);
      if (!n) return Usage(), 1;
      options.handle = static_cast<uint32_t>(*n);
    } else if (arg == "--retry-ms") {
      auto n = next_number(kMaxCliMs);
      if (!n) return Usage(), 1;
      retry = std::chrono::milliseconds(*n);
    } else if (arg == "--expect-status") {
      if (i + 1 >= argc) return Usage(), 1;
      expect_status = argv[++i];
    } else if (arg == "--timeout-ms") {
      auto n = next_number(kMaxCliMs);
      if (!n) return Usage(), 1;
      options.timeout = std::chrono::milliseconds(*n);
    } else {
      actions.push_back(arg);
    }
  }
  auto platform = OpenPlatformForThisDomain();
  if (!platform) {
    std::fprintf(stderr, "xenshm: %s\n", platform.error().ToString().c_str());
    return 2;
  }
  Client client = ClientOn(*platform);
  auto region = client.Attach(name, size, options);
  const auto retry_until = std::chrono::steady_clock::now() + retry;
  while (!region && region.error().code() == Code::kDoesNotExist &&
         std::chrono::steady_clock::now() < retry_until) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    region = client.Attach(name, size, options);
  }
  if (!expect_status.empty()) {
    if (!region && CodeName(region.error().code()) == expect_status) {
      Say("PASS refused-" + expect_status + ": " + region.error().ToString());
      return 0;
    }
    Say("FAIL refused-" + expect_status + ": " +
        (region ? std::string("attach succeeded") : region.error().ToString()));
    return 3;
  }
  if (!region) {
    Say("xenshm: attach '" + name + "' refused: " + region.error().ToString());
    return 2;
  }
  Say("attached '" + name + "' in domain " + std::to_string(client.domain()) +
      ": size=" + std::to_string((*region)->size()) +
      " peer=" + std::to_string((*region)->peer_index()) +
      " handle=" + std::to_string((*region)->handle()) +
      " access=" + ((*region)->writable() ? "rw" : "ro"));
  int status = 0;
  for (std::string_view action : actions) {
    if (!RunAction(**region, action)) {
      status = 3;
      break;
    }
  }
  if (Status detached = (*region)->Detach(); !detached.ok()) {
    Say("xenshm: " + detached.ToString());
    return status != 0 ? status : 4;
  }
  Say("detached '" + name + "'");
  return status;
}

}  // namespace
}  // namespace xenshm::cli

int main(int argc, char** argv) {
  if (argc == 2 && (std::string_view(argv[1]) == "--help" ||
                    std::string_view(argv[1]) == "-h")) {
    std::fputs(xenshm::cli::kUsage, stdout);
    return 0;
  }
  if (argc >= 2 && std::string_view(argv[1]) == "attach") {
    return xenshm::cli::Attach(argc, argv);
  }
  xenshm::cli::Usage();
  return 1;
}
