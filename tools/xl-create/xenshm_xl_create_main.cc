// xenshm-xl-create: `xl create` with the guest's xenshm stanza in force
// before the guest runs its first instruction.
//
// How this works:
//  1. Parse and validate the stanza (`xenshm = [...]` in CONFIG plus any
//     KEY=VALUE overrides) against dom0's policy file. A bad stanza is
//     printed as FILE:LINE: reason and nothing is started.
//  2. `xl create -p` creates the domain paused.
//  3. The normalized policy is written to /local/domain/0/xenshm/policy/<d>
//     (dom0-only); with no stanza, a stale node of an earlier domain with
//     that id is removed. xenshmd watches that directory, so it applies the
//     policy before it can see any request from the (still paused) guest.
//  4. `xl unpause`. If step 3 or 4 fails, the domain is destroyed, so a
//     domain never runs half-configured.
// The xl binary is $XENSHM_XL if set (tests use a stand-in), else "xl".
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "backend/policy/policy_codec.h"
#include "backend/policy/xl_config.h"
#include "platform/real/real_xenstore.h"
#include "tools/xl-create/xl_create_args.h"
#include "xenstore-schema/schema.h"

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

  auto xenstore = RealXenStore::Open();
  if (!xenstore) return Fail(kExitFailed, xenstore.error().ToString());

  // 2. Create paused.
  std::vector<std::string> create = {"create", "-p"};
  create.insert(create.end(), args.xl_options.begin(), args.xl_options.end());
  create.push_back(args.config);
  create.insert(create.end(), args.overrides.begin(), args.overrides.end());
  if (auto created = RunXl(create, false); !created) {
    return Fail(kExitFailed, created.error().message());
  }
  auto domid_text = RunXl({"domid", **name}, true);
  if (!domid_text) {
    return Fail(kExitFailed, domid_text.error().message() + "; domain '" +
                                 **name + "' may be left paused");
  }
  while (!domid_text->empty() &&
         (domid_text->back() == '\n' || domid_text->back() == ' ')) {
    domid_text->pop_back();
  }
  auto domid = schema::ParseDomainId(*domid_text);
  if (!domid) {
    return Fail(kExitFailed, "xl domid " + **name + " printed '" + *domid_text +
                                 "'; domain may be left paused");
  }
  auto destroy = [&](const std::string& why) {
    auto destroyed = RunXl({"destroy", std::to_string(*domid)}, false);
    return Fail(kExitFailed, why + "; domain " + std::to_string(*domid) +
                                 (destroyed ? " destroyed"
                                            : " NOT destroyed: " +
                                                  destroyed.error().message()));
  };

  // 3. The policy, while the guest cannot run.
  Status written = *stanza
                       ? policy::WriteDomainPolicy(**xenstore, *domid, **stanza)
                       : policy::RemoveDomainPolicy(**xenstore, *domid);
  if (!written.ok()) {
    return destroy("cannot write " + policy::PolicyPath(*domid) + ": " +
                   written.ToString());
  }

  // 4. Run.
  if (auto unpaused = RunXl({"unpause", std::to_string(*domid)}, false);
      !unpaused) {
    return destroy(unpaused.error().message());
  }
  std::cerr << "xenshm-xl-create: domain " << *domid << " ('" << **name
            << "') started with "
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
  return xenshm::tools::Run(*parsed);
}
