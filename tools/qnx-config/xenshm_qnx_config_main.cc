// xenshm-qnx-config: converts the `vdev shmem` block of a QNX guest's qvm
// configuration into the guest's xenshm stanza and dom0's policy lines.
// Thin: the conversion is shmem_conversion.h; this reads, checks the result
// with xenshm's own stanza parser and prints.
#include <cstdio>
#include <iostream>
#include <string>
#include <string_view>

#include "backend/policy/xl_config.h"
#include "tools/qnx-config/qvm_config.h"
#include "tools/qnx-config/shmem_conversion.h"

namespace {

constexpr std::string_view kUsage = R"(usage: xenshm-qnx-config QVMCONF

Converts the `vdev shmem` block of a QNX guest's qvm configuration into
the guest's xenshm stanza (`xenshm = [...]`, for its xl config) and the
lines dom0's /etc/xenshm/policy.cfg needs (groups; dom0 programs' access).

  allow/deny PATTERN       allow=/deny=, in order; the implicit final
                           deny * (or allow *) is xenshm's rule too
  create N,SIZE[,MODE[,G]] create=N,size=SIZE[,mode=][,gid=] (hex sizes
                           kept as written; execute bits dropped)
  gid G, umask U           gid=G (and groups=), umask=U
  loc, intr, sched, name   nothing to convert (said so on stderr)
  subst, numeric groups, names over 32 bytes, a second gid/umask/block,
  and order-dependent creates are refused.

Notes and refusals go to stderr as FILE:LINE: message. Exit status: 0
converted (the stanza on stdout), 1 something was refused (nothing on
stdout), 2 usage or the file could not be read.
)";

void Print(std::string_view file, int line, std::string_view kind,
           const std::string& text) {
  std::cerr << file;
  if (line > 0) std::cerr << ":" << line;
  std::cerr << ": " << kind << text << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  using namespace xenshm;
  if (argc == 2 && (std::string_view(argv[1]) == "--help" ||
                    std::string_view(argv[1]) == "-h")) {
    std::cout << kUsage;
    return 0;
  }
  if (argc != 2 || argv[1][0] == '-') {
    std::cerr << kUsage;
    return 2;
  }
  const std::string file = argv[1];
  auto text = policy::ReadConfigText(file);
  if (!text) {
    std::cerr << "xenshm-qnx-config: " << text.error().ToString() << "\n";
    return 2;
  }
  const qnx_config::QvmConfig config = qnx_config::ParseQvmConfig(*text);
  const qnx_config::Conversion conversion = qnx_config::ConvertShmem(config);
  for (const auto& note : conversion.notes) {
    Print(file, note.line, "note: ", note.text);
  }
  for (const auto& refusal : conversion.refusals) {
    Print(file, refusal.line, "cannot convert: ", refusal.text);
  }
  if (!conversion.has_shmem) {
    Print(file, 0, "note: ",
          "no vdev shmem block: the guest shares no memory, so it needs no "
          "stanza (xenshm gives a domain without one nothing)");
    return 0;
  }
  if (!conversion.refusals.empty()) {
    std::cerr << "xenshm-qnx-config: " << conversion.refusals.size()
              << " line(s) cannot be converted; no stanza written\n";
    return 1;
  }
  const std::string stanza =
      qnx_config::RenderStanza(conversion, file, config.system);
  // The result must be what xenshm-xl-create accepts.
  if (auto parsed = policy::ParseGuestConfig(stanza, "the converted stanza");
      !parsed) {
    std::cerr << "xenshm-qnx-config: the converted stanza does not parse ("
              << parsed.error().ToString() << "); please report this\n";
    return 1;
  }
  std::cout << stanza;
  return 0;
}
