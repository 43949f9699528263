#include "tools/qnx-config/shmem_conversion.h"

#include <algorithm>
#include <iomanip>
#include <optional>
#include <sstream>

#include "base/numbers.h"

namespace xenshm::qnx_config {
namespace {

// QNX's guest_shm.h limit; the compatibility header keeps it.
constexpr size_t kMaxQnxName = 32;
constexpr uint64_t kMaxRegionBytes = uint64_t{1} << 30;

bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

std::optional<std::string> BadName(std::string_view name) {
  if (name.empty()) return "an empty region name";
  if (name.size() > kMaxQnxName) {
    return "region name '" + std::string(name) + "' is " +
           std::to_string(name.size()) +
           " bytes; QNX's and guest_shm.h's "
           "limit is 32";
  }
  if (name.front() == '.') return "region names may not start with '.'";
  for (char c : name) {
    if (!IsNameChar(c)) {
      return "region name '" + std::string(name) +
             "' has a character xenshm names cannot hold (only "
             "[A-Za-z0-9._-])";
    }
  }
  return std::nullopt;
}

std::optional<std::string> BadPattern(std::string_view pattern) {
  if (pattern.empty()) return "an empty pattern";
  if (pattern.size() > 128) return "a pattern over 128 bytes";
  for (char c : pattern) {
    if (!IsNameChar(c) && c != '*' && c != '?' && c != '[' && c != ']' &&
        c != '!') {
      return "pattern '" + std::string(pattern) + "' has '" +
             std::string(1, c) +
             "', which no xenshm region name holds (names are "
             "[A-Za-z0-9._-]; globs add * ? [ ] !)";
    }
  }
  return std::nullopt;
}

// A QNX mode: octal, with or without the leading 0.
std::optional<unsigned> ParseMode(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  unsigned mode = 0;
  for (char c : text) {
    if (c < '0' || c > '7') return std::nullopt;
    mode = mode * 8 + static_cast<unsigned>(c - '0');
  }
  if (mode > 0777) return std::nullopt;
  return mode;
}

// Four digits with a leading 0 (0640), as modes are written in configs.
std::string Octal(unsigned mode) {
  std::ostringstream out;
  out << '0' << std::oct << std::setw(3) << std::setfill('0') << mode;
  return out.str();
}

// xenshm groups are names in dom0's policy file; QNX also takes numbers.
std::optional<std::string> BadGroup(std::string_view gid) {
  if (gid.empty()) return "an empty group";
  if (gid.find_first_not_of("0123456789") == std::string_view::npos) {
    return "group " + std::string(gid) +
           " is a number: xenshm groups are names listed in "
           "/etc/xenshm/policy.cfg's groups; write the group's name";
  }
  for (char c : gid) {
    if (!IsNameChar(c)) {
      return "group '" + std::string(gid) + "' is not a plain name";
    }
  }
  return std::nullopt;
}

std::vector<std::string> SplitCommas(std::string_view text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string_view part = text.substr(start, comma - start);
    while (!part.empty() && (part.front() == ' ' || part.front() == '\t')) {
      part.remove_prefix(1);
    }
    while (!part.empty() && (part.back() == ' ' || part.back() == '\t')) {
      part.remove_suffix(1);
    }
    parts.emplace_back(part);
    if (comma == std::string_view::npos) return parts;
    start = comma + 1;
  }
}

class Converter {
 public:
  explicit Converter(Conversion& out) : out_(out) {}

  void Block(const ShmemBlock& block) {
    for (const OptionLine& option : block.options) Option(option);
    Finish();
  }

 private:
  void Refuse(int line, std::string text) {
    out_.refusals.push_back({line, std::move(text)});
  }
  void Note(int line, std::string text) {
    out_.notes.push_back({line, std::move(text)});
  }

  void Option(const OptionLine& o) {
    const std::string& k = o.keyword;
    if (k == "allow" || k == "deny") {
      if (auto bad = BadPattern(o.argument))
        return Refuse(o.line, k + ": " + *bad);
      if (k == "allow" && first_allow_ == 0) first_allow_ = o.line;
      if (k == "deny" && first_deny_ == 0) first_deny_ = o.line;
      rules_.push_back({k + "=" + o.argument, o.line});
    } else if (k == "create") {
      Create(o);
    } else if (k == "gid") {
      if (auto bad = BadGroup(o.argument))
        return Refuse(o.line, "gid: " + *bad);
      if (gid_ && *gid_ != o.argument) {
        return Refuse(o.line,
                      "a second gid (" + o.argument + " after " + *gid_ +
                          "): xenshm has one group for the regions a domain "
                          "creates; give each create its group instead");
      }
      gid_ = o.argument;
      gid_line_ = o.line;
      out_.groups.insert(o.argument);
    } else if (k == "umask") {
      auto mask = ParseMode(o.argument);
      if (!mask)
        return Refuse(o.line, "umask '" + o.argument + "' is not octal");
      if (umask_ && *umask_ != *mask) {
        return Refuse(o.line, "a second umask: xenshm has one per domain");
      }
      for (const auto& [mode, line] : modes_before_umask_) {
        if ((mode & *mask & 0666) != 0) {
          return Refuse(
              o.line, "umask " + Octal(*mask) + " follows the create at line " +
                          std::to_string(line) +
                          ": QNX leaves that region's mode alone, xenshm "
                          "applies the umask to every create; put the umask "
                          "first if that is meant");
        }
      }
      umask_ = *mask;
      umask_line_ = o.line;
    } else if (k == "loc") {
      Note(o.line,
           "loc " + o.argument +
               ": nothing to convert (the factory page's guest-physical "
               "address; guest_shm_factory_open() replaces the discovery)");
    } else if (k == "intr") {
      Note(o.line, "intr " + o.argument +
                       ": nothing to convert (the event fd in "
                       "factory->vector replaces the interrupt)");
    } else if (k == "sched") {
      Note(o.line, "sched " + o.argument +
                       ": nothing to convert (no pulses: notifications "
                       "arrive on an fd, at the program's own priority)");
    } else if (k == "name" || k == "log") {
      Note(o.line, k + ": nothing to convert (a qvm setting of the vdev)");
    } else if (k == "subst") {
      Refuse(o.line,
             "subst " + o.argument +
                 ": xenshm does not rename regions per domain; rename them "
                 "in the programs or in the allow/deny and create lines");
    } else {
      Refuse(o.line, "unknown vdev shmem option '" + k + "'");
    }
  }

  // create name,size[,mode[,gid]]
  void Create(const OptionLine& o) {
    const std::vector<std::string> parts = SplitCommas(o.argument);
    if (parts.size() < 2 || parts.size() > 4) {
      return Refuse(o.line, "create wants name,size[,mode[,gid]], not '" +
                                o.argument + "'");
    }
    if (auto bad = BadName(parts[0])) return Refuse(o.line, "create: " + *bad);
    auto size = ParseByteSize(parts[1], kMaxRegionBytes, "create size");
    if (!size) return Refuse(o.line, size.error().message());
    if (*size == 0) return Refuse(o.line, "create: a region of 0 bytes");
    std::string item = "create=" + parts[0] + ",size=" + parts[1];
    unsigned mode = 0666;
    if (parts.size() >= 3) {
      auto parsed = ParseMode(parts[2]);
      if (!parsed) {
        return Refuse(o.line, "create: mode '" + parts[2] + "' is not octal");
      }
      mode = *parsed;
      if ((mode & 0111) != 0) {
        Note(o.line, "create " + parts[0] + ": mode " + Octal(mode) +
                         " written as " + Octal(mode & 0666) +
                         " (QNX never sets execute bits on a region either)");
        mode &= 0666;
      }
      item += ",mode=" + Octal(mode);
    }
    if (parts.size() == 4) {
      if (auto bad = BadGroup(parts[3]))
        return Refuse(o.line, "create: " + *bad);
      item += ",gid=" + parts[3];
      out_.groups.insert(parts[3]);
    } else if (!gid_) {
      // QNX gives it qvm's group; xenshm would give it a later gid line's.
      creates_without_gid_.push_back(o.line);
    }
    if (!umask_) modes_before_umask_.push_back({mode, o.line});
    for (const std::string& name : out_.dom0_regions) {
      if (name == parts[0]) {
        return Refuse(o.line, "create: '" + parts[0] + "' is created twice");
      }
    }
    out_.dom0_regions.push_back(parts[0]);
    creates_.push_back({item, o.line});
  }

  void Finish() {
    if (gid_) {
      for (int line : creates_without_gid_) {
        Refuse(line, "this create precedes gid " + *gid_ + " (line " +
                         std::to_string(gid_line_) +
                         "): QNX gives it qvm's group, xenshm would give it " +
                         *gid_ +
                         "; give it a group or move the gid line first");
      }
    }
    out_.items = rules_;
    if (first_allow_ != 0) {
      Note(first_allow_,
           "allow: an implicit final deny * follows, as on QNX (xenshm "
           "refuses names no rule matches when any allow is given)");
    } else if (first_deny_ != 0) {
      Note(first_deny_, "deny: an implicit final allow * follows, as on QNX");
    }
    if (!out_.groups.empty()) {
      std::string groups = "groups=";
      bool first = true;
      // The stanza's gid must be one of its groups; list it first so it
      // is also the default.
      if (gid_) {
        groups += *gid_;
        first = false;
      }
      for (const std::string& group : out_.groups) {
        if (gid_ && group == *gid_) continue;
        groups += (first ? "" : ",") + group;
        first = false;
      }
      out_.items.push_back({groups, 0});
    }
    if (gid_) {
      out_.items.push_back({"gid=" + *gid_, gid_line_});
    } else if (!out_.groups.empty()) {
      Note(0, "regions the guest creates by attaching get group " +
                  *out_.groups.begin() +
                  " (xenshm's default gid is the first of groups); on QNX "
                  "they got qvm's group. Add a gid line to choose");
    }
    if (umask_) out_.items.push_back({"umask=" + Octal(*umask_), umask_line_});
    for (const StanzaItem& item : creates_) out_.items.push_back(item);
  }

  Conversion& out_;
  std::vector<StanzaItem> rules_;
  std::vector<StanzaItem> creates_;
  std::optional<std::string> gid_;
  int gid_line_ = 0;
  std::optional<unsigned> umask_;
  int umask_line_ = 0;
  int first_allow_ = 0;
  int first_deny_ = 0;
  std::vector<int> creates_without_gid_;
  std::vector<std::pair<unsigned, int>> modes_before_umask_;
};

}  // namespace

Conversion ConvertShmem(const QvmConfig& config) {
  Conversion out;
  if (config.shmem_blocks.empty()) return out;
  out.has_shmem = true;
  for (size_t i = 1; i < config.shmem_blocks.size(); ++i) {
    out.refusals.push_back(
        {config.shmem_blocks[i].line,
         "a second vdev shmem (the first is at line " +
             std::to_string(config.shmem_blocks[0].line) +
             "): xenshm has one stanza per domain; merge the blocks by hand"});
  }
  Converter(out).Block(config.shmem_blocks[0]);
  auto by_line = [](const Remark& a, const Remark& b) {
    return a.line < b.line;
  };
  std::stable_sort(out.notes.begin(), out.notes.end(), by_line);
  std::stable_sort(out.refusals.begin(), out.refusals.end(), by_line);
  return out;
}

std::string RenderStanza(const Conversion& conversion, std::string_view file,
                         std::string_view system) {
  std::ostringstream out;
  out << "# xenshm-qnx-config: the vdev shmem of " << file;
  if (!system.empty()) out << " (system " << system << ")";
  out << "\n# For the guest's xl config:\nxenshm = [\n";
  for (const StanzaItem& item : conversion.items) {
    std::string quoted = "  \"" + item.item + "\",";
    out << quoted;
    if (item.line > 0) {
      out << std::string(quoted.size() < 40 ? 40 - quoted.size() : 1, ' ')
          << "# " << file << ":" << item.line;
    }
    out << "\n";
  }
  out << "]\n";
  if (!conversion.groups.empty()) {
    out << "# For dom0's /etc/xenshm/policy.cfg (add to its groups):\n"
        << "groups = [ ";
    bool first = true;
    for (const std::string& group : conversion.groups) {
      out << (first ? "" : ", ") << '"' << group << '"';
      first = false;
    }
    out << " ]\n";
  }
  if (!conversion.dom0_regions.empty()) {
    out << "# dom0 programs (hyp_shm.h) that attach these need them in\n"
        << "# policy.cfg's xenshm stanza, e.g.:\n# xenshm = [ ";
    bool first = true;
    for (const std::string& name : conversion.dom0_regions) {
      out << (first ? "" : ", ") << "\"allow=" << name << '"';
      first = false;
    }
    out << " ]\n";
  }
  return out.str();
}

}  // namespace xenshm::qnx_config
