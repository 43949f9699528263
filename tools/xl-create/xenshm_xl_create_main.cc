// xenshm-xl-create: `xl create` with the guest's xenshm stanza in force
// before the guest runs its first instruction, and on every later start of
// the same domain (reboot, restore, migration).
//
// How this works:
//  1. Parse and validate the stanza (`xenshm = [...]` in CONFIG plus any
//     KEY=VALUE overrides) against dom0's policy file. A bad stanza is
//     printed as FILE:LINE: reason and nothing is started.
//  2. Choose the domain's UUID (the config's `uuid`, else a fresh one) and
//     pin the policy to it (backend/policy/pin_store.h), before the domain
//     exists: xenshmd reads the pin when the domain appears, so there is no
//     moment at which the guest runs without its rules. With no stanza, the
//     pins of this name are removed (their create= reservations go too).
//  3. `xl create CONFIG KEY=VALUE... uuid="UUID"`. If it fails, the pin is
//     removed again.
// The xl binary is $XENSHM_XL if set (tests use a stand-in), else "xl".
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "backend/policy/pin_store.h"
#include "backend/policy/policy_codec.h"
#include "backend/policy/xl_config.h"
#include "base/uuid.h"
#include "tools/xl-create/xl_create_args.h"

namespace xenshm::tools {
namespace {

constexpr int kExitBadStanza = 2;
constexpr int kExitFailed = 1;

std::string XlBinary() {
  const char* xl = std::getenv("XENSHM_XL");
  return xl != nullptr && *xl != '\0' ? xl : "xl";
}

// Runs xl with `args`; its stdout is returned when `capture`, else
// inherited. kUnknownFailure naming the command when it does not exit 0.
Result<std::string> RunXl(const std::vector<std::string>& args, bool capture) {
  std::vector<std::string> command = {XlBinary()};
  command.insert(command.end(), args.begin(), args.end());
  std::string shown;
  for (const std::string& word : command)
    shown += (shown.empty() ? "" : " ") + word;

  int pipe_fds[2] = {-1, -1};
  if (capture && pipe(pipe_fds) != 0)
    return Error(StatusFromErrno(errno, "pipe"));
  const pid_t pid = fork();
  if (pid < 0) return Error(StatusFromErrno(errno, "fork"));
  if (pid == 0) {
    if (capture) {
      dup2(pipe_fds[1], STDOUT_FILENO);
      close(pipe_fds[0]);
      close(pipe_fds[1]);
    }
    std::vector<char*> argv;
    for (std::string& word : command) argv.push_back(word.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    std::perror(("xenshm-xl-create: exec " + command[0]).c_str());
    _exit(127);
  }
  std::string out;
  if (capture) {
    close(pipe_fds[1]);
    char buffer[512];
    ssize_t n;
    while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) > 0 ||
           (n < 0 && errno == EINTR)) {
      if (n > 0) out.append(buffer, static_cast<size_t>(n));
    }
    close(pipe_fds[0]);
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Error(StatusFromErrno(errno, "waitpid"));
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return Error(
        Code::kUnknownFailure,
        "'" + shown + "' failed (" +
            (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                               : "signal " + std::to_string(WTERMSIG(status))) +
            ")");
  }
  return out;
}

// A random (version 4) UUID.
std::string NewUuid() {
  std::random_device random;
  UuidBytes bytes;
  for (uint8_t& byte : bytes) byte = static_cast<uint8_t>(random());
  bytes[6] = static_cast<uint8_t>((bytes[6] & 0x0f) | 0x40);
  bytes[8] = static_cast<uint8_t>((bytes[8] & 0x3f) | 0x80);
  return FormatUuid(bytes);
}

int Fail(int code, const std::string& message) {
  std::cerr << "xenshm-xl-create: " << message << std::endl;
  return code;
}

int Run(const XlCreateArgs& args) {
  // 1. Validate before anything starts.
  policy::StanzaLimits limits;
  std::optional<policy::Dom0Policy> dom0;
  if (access(args.policy_file.c_str(), F_OK) == 0) {
    auto read = policy::ReadDom0PolicyFile(args.policy_file);
    if (!read) return Fail(kExitBadStanza, read.error().message());
    dom0 = std::move(*read);
    if (dom0->groups) limits.known_groups = &*dom0->groups;
  }
  auto text = policy::ReadConfigText(args.config);
  if (!text) return Fail(kExitBadStanza, text.error().ToString());
  auto stanza =
      policy::ParseGuestConfig(*text, args.config, limits, args.overrides);
  if (!stanza) return Fail(kExitBadStanza, stanza.error().message());
  std::optional<std::string> serialized;
  if (*stanza) {
    auto encoded = policy::SerializePolicy(**stanza);
    if (!encoded) {
      return Fail(kExitBadStanza,
                  args.config + ": " + encoded.error().message());
    }
    serialized = *encoded;
  }
  // Without a stanza the policy file's `default` governs the domain, and
  // without one it may attach nothing (xenshmd fails closed).
  const bool has_default = dom0 && dom0->fallback;
  const char* without_stanza =
      has_default ? "no xenshm stanza: the policy file's default applies"
                  : "no xenshm stanza and no default in the policy file: the "
                    "domain may attach no xenshm region";
  if (args.check_only) {
    std::cout << (serialized ? *serialized
                             : std::string(without_stanza) + "\n");
    return 0;
  }
  auto name =
      policy::ParseConfigString(*text, args.config, "name", args.overrides);
  if (!name) return Fail(kExitBadStanza, name.error().message());
  if (!*name) return Fail(kExitBadStanza, args.config + ": no name = \"...\"");

  auto uuid =
      policy::ParseConfigString(*text, args.config, "uuid", args.overrides);
  if (!uuid) return Fail(kExitBadStanza, uuid.error().message());
  std::string chosen = *uuid ? **uuid : NewUuid();
  for (char& c : chosen) c = static_cast<char>(std::tolower(c));
  if (!IsUuid(chosen)) {
    return Fail(kExitBadStanza,
                args.config + ": uuid '" + chosen + "' is not a UUID");
  }

  // 2. The pin, before the domain exists.
  policy::PinStore pins(args.pin_dir);
  if (*stanza) {
    Status pinned = pins.Write(
        {**name, chosen, {**stanza, "xenshm-xl-create " + args.config, false}});
    if (!pinned.ok()) {
      return Fail(kExitFailed, "cannot pin the policy in " + args.pin_dir +
                                   ": " + pinned.ToString());
    }
  } else {
    for (const policy::PinnedPolicy& old : pins.List()) {
      if (old.name == **name || old.uuid == chosen) (void)pins.Remove(old.uuid);
    }
  }

  // 3. Create.
  std::vector<std::string> create = {"create"};
  create.insert(create.end(), args.xl_options.begin(), args.xl_options.end());
  create.push_back(args.config);
  create.insert(create.end(), args.overrides.begin(), args.overrides.end());
  create.push_back("uuid=\"" + chosen + "\"");
  if (auto created = RunXl(create, false); !created) {
    if (*stanza) (void)pins.Remove(chosen);
    return Fail(kExitFailed, created.error().message());
  }
  std::cerr << "xenshm-xl-create: domain '" << **name << "' (" << chosen
            << ") started with "
            << (*stanza       ? "its xenshm stanza"
                : has_default ? "the policy file's default xenshm policy"
                              : "no xenshm policy (it may attach nothing)")
            << std::endl;
  return 0;
}

}  // namespace
}  // namespace xenshm::tools

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = xenshm::tools::ParseXlCreateArgs(args);
  if (!parsed) {
    std::cerr << "xenshm-xl-create: " << parsed.error().message() << std::endl;
    return xenshm::tools::kExitBadStanza;
  }
  if (parsed->help) {
    std::cout << xenshm::tools::XlCreateUsage() << std::endl;
    return 0;
  }
  return xenshm::tools::Run(*parsed);
}
