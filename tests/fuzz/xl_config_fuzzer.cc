// Fuzz target for xl config files and dom0's policy file
// (backend/policy/xl_config.h), read with Xen's own libxlutil.
//
// Input: the file's text (ParseGuestConfig as guest.cfg,
// ParseDom0PolicyFile as policy.cfg, ParseConfigString, FindSettingLines).
//
// Invariants:
//  - A file libxlutil refuses is refused alike by all three readers; every
//    refusal is kInvalidArgument (kNoMemory aside) with a printable message
//    starting with the file's name, as xl_config.h promises
//    ("FILE:LINE: 'item': reason").
//  - A guest stanza read is within CheckPolicyBounds, its sources are
//    "guest.cfg line N" with N a line of the file (or "guest.cfg" when its
//    lines could not be told), its xenstore form round-trips, and that
//    form's items written back as a fresh `xenshm = [...]` read to the same
//    policy (the codec and the xl path agree on every item).
//  - A dom0 policy file read has valid groups, a `default` without create=,
//    and stanzas within CheckPolicyBounds using only those groups.
//  - FindSettingLines never fails and reports lines of the file, in order.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backend/policy/policy_codec.h"
#include "backend/policy/xl_config.h"
#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/policy_invariants.h"

// libxlutil (Xen 4.17) leaks the strings of a list it was building when a
// syntax error aborts the parse (bison discards them without freeing; see
// backend/policy/policy_fuzz_test.cc), and, found here, the list values
// themselves of a nested list (xlu__cfg_list_mk). Xen's leaks, only on
// refused files; leaks anywhere else still fail. Matching them needs
// symbolized stacks (tools/ci/run-fuzzers sets ASAN_SYMBOLIZER_PATH).
extern "C" const char* __lsan_default_suppressions() {
  return "leak:xlu__cfg_string_mk\n"
         "leak:xlu__cfg_list_mk\n"
         "leak:xlu__cfg_list_append\n"
         "leak:xlu__cfgl_dequote\n"
         "leak:xlu__cfgl_strdup\n";
}

namespace xenshm::fuzz {
namespace {

using namespace xenshm::policy;

int LinesOf(std::string_view text) {
  int lines = 1;
  for (char c : text) lines += c == '\n';
  return lines;
}

void CheckRefusal(const Status& status, std::string_view file,
                  const char* where) {
  CheckRejection(status, {Code::kInvalidArgument, Code::kNoMemory}, where,
                 1 << 20, /*tabs_ok=*/true);
  FUZZ_CHECK(status.message().starts_with(file), status.message());
}

DomainPolicy WithoutSources(DomainPolicy policy) {
  for (NameRule& rule : policy.name_rules) rule.source.clear();
  for (ReadOnlyRule& rule : policy.read_only) rule.source.clear();
  for (RegionSpec& spec : policy.pre_created) spec.source.clear();
  return policy;
}

// The items of the policy's xenstore form as an xl config.
std::optional<std::string> AsXlConfig(const DomainPolicy& policy) {
  auto serialized = SerializePolicy(policy);
  if (!serialized) return std::nullopt;
  std::string_view rows(*serialized);
  rows.remove_prefix(rows.find('\n') + 1);
  std::string config = "xenshm = [\n";
  while (!rows.empty()) {
    std::string_view row = rows.substr(0, rows.find('\n'));
    rows.remove_prefix(row.size() + 1);
    config += "  \"" + std::string(row.substr(0, row.find('\t'))) + "\",\n";
  }
  return config + "]\n";
}

void CheckGuestPolicy(std::string_view text, const DomainPolicy& policy) {
  CheckPolicyBounds(policy);
  const int lines = LinesOf(text);
  auto located = [&](const RuleSource& source) {
    if (source == "guest.cfg") return true;
    if (!source.starts_with("guest.cfg line ")) return false;
    const std::string number = source.substr(15);
    if (number.empty() || number.size() > 9 ||
        number.find_first_not_of("0123456789") != std::string::npos) {
      return false;
    }
    const int line = std::stoi(number);
    return line >= 1 && line <= lines;
  };
  for (const NameRule& rule : policy.name_rules) {
    FUZZ_CHECK(located(rule.source), rule.source);
  }
  for (const ReadOnlyRule& rule : policy.read_only) {
    FUZZ_CHECK(located(rule.source), rule.source);
  }
  for (const RegionSpec& spec : policy.pre_created) {
    FUZZ_CHECK(located(spec.source), spec.source);
  }
  CheckCodecRoundTrip(policy);
  if (auto config = AsXlConfig(policy)) {
    auto again = ParseGuestConfig(*config, "again.cfg");
    FUZZ_CHECK(
        again && *again && WithoutSources(**again) == WithoutSources(policy),
        *config + (again ? "" : again.error().message()));
  }
}

void CheckDom0Policy(const Dom0Policy& dom0) {
  if (dom0.groups) {
    for (const std::string& group : *dom0.groups) {
      FUZZ_CHECK(ParseGroupName(group).has_value(), group);
    }
  }
  for (const auto* stanza : {&dom0.fallback, &dom0.dom0}) {
    if (!*stanza) continue;
    CheckPolicyBounds(**stanza);
    if (dom0.groups) {
      for (const std::string& group : (*stanza)->groups) {
        FUZZ_CHECK(dom0.groups->contains(group), group);
      }
    }
  }
  if (dom0.fallback) {
    FUZZ_CHECK(dom0.fallback->pre_created.empty(), "create= in default");
  }
}

void CheckSettingLines(std::string_view text) {
  const int lines = LinesOf(text);
  SettingLines found = FindSettingLines(text, kStanzaKey);
  FUZZ_CHECK(found.key_line >= 0 && found.key_line <= lines,
             std::to_string(found.key_line));
  int previous = 1;
  for (int line : found.item_lines) {
    FUZZ_CHECK(line >= previous && line <= lines, std::to_string(line));
    previous = line;
  }
}

}  // namespace
}  // namespace xenshm::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xenshm;
  using namespace xenshm::fuzz;
  using namespace xenshm::policy;
  const std::string_view text = AsText(data, size);
  CheckSettingLines(text);

  auto name = ParseConfigString(text, "guest.cfg", "name");
  auto guest = ParseGuestConfig(text, "guest.cfg");
  auto dom0 = ParseDom0PolicyFile(text, "policy.cfg");
  if (!name) {
    // Not even libxlutil could read it: nothing else may.
    CheckRefusal(name.error(), "guest.cfg", "ParseConfigString");
    FUZZ_CHECK(!guest && guest.error().message() == name.error().message(),
               guest ? "guest config read" : guest.error().message());
    FUZZ_CHECK(!dom0, "dom0 policy file read");
  } else if (*name) {
    FUZZ_CHECK(name->value().find('\0') == std::string::npos, **name);
  }

  if (!guest) {
    CheckRefusal(guest.error(), "guest.cfg", "ParseGuestConfig");
  } else if (*guest) {
    CheckGuestPolicy(text, **guest);
  }
  if (!dom0) {
    CheckRefusal(dom0.error(), "policy.cfg", "ParseDom0PolicyFile");
  } else {
    CheckDom0Policy(*dom0);
  }
  return 0;
}
