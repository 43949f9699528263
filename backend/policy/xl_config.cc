#include "backend/policy/xl_config.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <vector>

extern "C" {
#include <libxlutil.h>
}

#include "base/hostile_text.h"

namespace xenshm::policy {
namespace {

constexpr std::string_view kCommandLine = "command line";

// Characters of an unquoted xl atom, as libxlutil's lexer reads them.
bool IsAtomChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' ||
         c == '-' || c == ':' || c == '/';
}

int CountLines(std::string_view text) {
  int lines = 0;
  for (char c : text) lines += c == '\n';
  return lines;
}

// libxlutil's report stream, captured in memory so its messages become part
// of our Status instead of going to stderr.
class Report {
 public:
  Report() : stream_(open_memstream(&buffer_, &size_)) {}
  ~Report() {
    if (stream_ != nullptr) std::fclose(stream_);
    std::free(buffer_);
  }
  Report(const Report&) = delete;
  Report& operator=(const Report&) = delete;

  FILE* stream() const { return stream_; }
  // What was reported, as one line. libxlutil quotes the file's bytes
  // verbatim ("near `...'"), so bytes that are not printable ASCII are
  // written as \xNN.
  std::string Text() {
    if (stream_ == nullptr) return "";
    std::fflush(stream_);
    const std::string_view reported(buffer_ != nullptr ? buffer_ : "", size_);
    std::string text;
    for (unsigned char c : reported) {
      if (c == '\n' || c == '\t') {
        text += ' ';
      } else if (c >= 0x20 && c <= 0x7e) {
        text += static_cast<char>(c);
      } else {
        static constexpr char kHex[] = "0123456789abcdef";
        text += "\\x";
        text += kHex[c >> 4];
        text += kHex[c & 15];
      }
    }
    while (!text.empty() && text.back() == ' ') text.pop_back();
    return text;
  }

 private:
  char* buffer_ = nullptr;
  size_t size_ = 0;
  FILE* stream_;
};

// One parsed config: the file text plus any extra lines, read by libxlutil.
class ParsedConfig {
 public:
  ParsedConfig(std::string_view text, std::string_view file,
               std::span<const std::string> extra_lines)
      : file_(file) {
    combined_ = std::string(text);
    if (!combined_.empty() && combined_.back() != '\n') combined_ += '\n';
    file_lines_ = CountLines(combined_);
    for (const std::string& line : extra_lines) combined_ += line + "\n";
  }
  ~ParsedConfig() {
    if (config_ != nullptr) xlu_cfg_destroy(config_);
  }
  ParsedConfig(const ParsedConfig&) = delete;
  ParsedConfig& operator=(const ParsedConfig&) = delete;

  Status Parse() {
    if (combined_.size() > kMaxConfigBytes) {
      return Status(Code::kInvalidArgument,
                    file_ + ": larger than " + std::to_string(kMaxConfigBytes) +
                        " bytes");
    }
    // libxlutil's scanner works on C strings; a NUL would silently end the
    // file early.
    if (size_t nul = combined_.find('\0'); nul != std::string::npos) {
      return Status(
          Code::kInvalidArgument,
          Where(CountLines(std::string_view(combined_).substr(0, nul)) + 1) +
              ": NUL byte in config text");
    }
    if (report_.stream() == nullptr) {
      return StatusFromErrno(errno, "open_memstream for libxlutil reports");
    }
    config_ = xlu_cfg_init(report_.stream(), file_.c_str());
    if (config_ == nullptr) {
      return Status(Code::kNoMemory, "xlu_cfg_init: out of memory");
    }
    const int err = xlu_cfg_readdata(config_, combined_.data(),
                                     static_cast<int>(combined_.size()));
    if (err != 0) {
      std::string reported = report_.Text();
      if (reported.empty()) reported = file_ + ": " + std::strerror(err);
      xlu_cfg_destroy(config_);
      config_ = nullptr;
      return Status(Code::kInvalidArgument, reported);
    }
    return Status();
  }

  // The string setting `key`; nullopt if unset or not a string.
  std::optional<std::string> String(std::string_view key) const {
    const char* value = nullptr;
    const std::string name(key);
    if (xlu_cfg_get_string(config_, name.c_str(), &value, /*dont_warn=*/1) !=
            0 ||
        value == nullptr) {
      return std::nullopt;
    }
    return std::string(value);
  }

  // The items of list setting `key` with their locations; nullopt if unset.
  Result<std::optional<std::vector<LocatedItem>>> Items(std::string_view key) {
    XLU_ConfigList* list = nullptr;
    int count = 0;
    const std::string name(key);
    const int err =
        xlu_cfg_get_list(config_, name.c_str(), &list, &count, /*dont_warn=*/1);
    if (err == ESRCH) return std::nullopt;
    SettingLines lines = FindSettingLines(combined_, key);
    if (err != 0) {
      return Error(Code::kInvalidArgument,
                   Where(lines.key_line) + ": " + name +
                       " must be a list of strings, like " + name +
                       " = [ \"allow=moo*\" ]");
    }
    const bool located = lines.item_lines.size() == static_cast<size_t>(count);
    std::vector<LocatedItem> items;
    for (int i = 0; i < count; ++i) {
      LocatedItem item;
      const int line = located ? lines.item_lines[i] : 0;
      item.file = line > file_lines_ ? std::string(kCommandLine) : file_;
      item.line = line > file_lines_ ? line - file_lines_ : line;
      const char* text = xlu_cfg_get_listitem(list, i);
      if (text == nullptr) {
        return Error(Code::kInvalidArgument,
                     ErrorLocation(item, i) + ": " + name + " item " +
                         std::to_string(i + 1) + " is a list, not a string");
      }
      item.text = text;
      items.push_back(std::move(item));
    }
    return items;
  }

 private:
  std::string Where(int line) const {
    if (line <= 0) return file_;
    if (line > file_lines_) {
      return std::string(kCommandLine) + ":" +
             std::to_string(line - file_lines_);
    }
    return file_ + ":" + std::to_string(line);
  }

  std::string file_;
  std::string combined_;
  int file_lines_ = 0;
  Report report_;  // must outlive config_
  XLU_Config* config_ = nullptr;
};

Result<std::optional<DomainPolicy>> StanzaOf(ParsedConfig& config,
                                             std::string_view key,
                                             const StanzaLimits& limits) {
  auto items = config.Items(key);
  if (!items) return Error(items.error());
  if (!*items) return std::nullopt;
  auto policy = BuildDomainPolicy(**items, limits);
  if (!policy) return Error(policy.error());
  return std::optional<DomainPolicy>(std::move(*policy));
}

}  // namespace

Result<std::string> ReadConfigText(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error(StatusFromErrno(errno, "open " + path));
  std::string text;
  char buffer[4096];
  while (in.read(buffer, sizeof(buffer)) || in.gcount() > 0) {
    text.append(buffer, static_cast<size_t>(in.gcount()));
    if (text.size() > kMaxConfigBytes) {
      return Error(
          Code::kInvalidArgument,
          path + ": larger than " + std::to_string(kMaxConfigBytes) + " bytes");
    }
  }
  if (in.bad()) return Error(StatusFromErrno(errno, "read " + path));
  return text;
}

Result<std::optional<DomainPolicy>> ParseGuestConfig(
    std::string_view text, std::string_view file, const StanzaLimits& limits,
    std::span<const std::string> extra_lines) {
  ParsedConfig config(text, file, extra_lines);
  XENSHM_RETURN_IF_ERROR(config.Parse());
  return StanzaOf(config, kStanzaKey, limits);
}

Result<std::optional<DomainPolicy>> ReadGuestConfig(
    const std::string& path, const StanzaLimits& limits,
    std::span<const std::string> extra_lines) {
  auto text = ReadConfigText(path);
  if (!text) return Error(text.error());
  return ParseGuestConfig(*text, path, limits, extra_lines);
}

Result<std::optional<std::string>> ParseConfigString(
    std::string_view text, std::string_view file, std::string_view key,
    std::span<const std::string> extra_lines) {
  ParsedConfig config(text, file, extra_lines);
  XENSHM_RETURN_IF_ERROR(config.Parse());
  return config.String(key);
}

Result<Dom0Policy> ParseDom0PolicyFile(std::string_view text,
                                       std::string_view file) {
  ParsedConfig config(text, file, {});
  XENSHM_RETURN_IF_ERROR(config.Parse());
  Dom0Policy dom0;
  dom0.file = std::string(file);
  auto groups = config.Items(kGroupsKey);
  if (!groups) return Error(groups.error());
  if (*groups) {
    dom0.groups.emplace();
    for (size_t i = 0; i < (*groups)->size(); ++i) {
      const LocatedItem& item = (**groups)[i];
      auto group = ParseGroupName(item.text);
      if (!group) {
        return Error(Code::kInvalidArgument,
                     ErrorLocation(item, i) + ": " + QuoteHostile(item.text) +
                         ": " + group.error().message());
      }
      dom0.groups->insert(*group);
    }
  }
  StanzaLimits limits;
  if (dom0.groups) limits.known_groups = &*dom0.groups;
  auto fallback = StanzaOf(config, kDefaultKey, limits);
  if (!fallback) return Error(fallback.error());
  dom0.fallback = std::move(*fallback);
  if (dom0.fallback && !dom0.fallback->pre_created.empty()) {
    const RegionSpec& spec = dom0.fallback->pre_created.front();
    return Error(Code::kInvalidArgument,
                 spec.source + ": 'create=" + spec.name +
                     "': create= is not allowed in default (a region cannot "
                     "belong to every domain without a stanza); put it in a "
                     "guest's own stanza");
  }
  auto own = StanzaOf(config, kStanzaKey, limits);
  if (!own) return Error(own.error());
  dom0.dom0 = std::move(*own);
  return dom0;
}

Result<Dom0Policy> ReadDom0PolicyFile(const std::string& path) {
  auto text = ReadConfigText(path);
  if (!text) return Error(text.error());
  return ParseDom0PolicyFile(*text, path);
}

// ------------------------------------------------------------ item lines

SettingLines FindSettingLines(std::string_view text, std::string_view key) {
  SettingLines found;
  int line = 1;
  size_t i = 0;
  // Statement state: the identifier that began it, whether it is our key,
  // and whether its operator has been seen.
  bool at_statement_start = true;
  bool ours = false;
  bool after_operator = false;
  int depth = 0;
  int key_line = 0;
  std::vector<int> pending;  // lines of this statement's items
  bool appending = false;

  auto end_statement = [&] {
    if (ours && after_operator) {
      found.key_line = key_line;
      if (!appending) found.item_lines.clear();
      found.item_lines.insert(found.item_lines.end(), pending.begin(),
                              pending.end());
    }
    at_statement_start = true;
    ours = false;
    after_operator = false;
    depth = 0;
    pending.clear();
    appending = false;
  };
  auto item_at = [&](int item_line) {
    if (ours && after_operator && depth == 1) pending.push_back(item_line);
  };

  while (i < text.size()) {
    const char c = text[i];
    if (c == '\n') {
      if (depth == 0 && after_operator) end_statement();
      ++line;
      ++i;
    } else if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
    } else if (c == ';') {
      if (depth == 0) end_statement();
      ++i;
    } else if (c == '"' || c == '\'') {
      const int start_line = line;
      item_at(start_line);
      ++i;
      while (i < text.size() && text[i] != c) {
        if (text[i] == '\\' && i + 1 < text.size()) ++i;
        if (text[i] == '\n') ++line;
        ++i;
      }
      ++i;  // closing quote
      at_statement_start = false;
    } else if (c == '[') {
      item_at(line);
      ++depth;
      ++i;
    } else if (c == ']') {
      if (depth > 0) --depth;
      ++i;
    } else if (c == '+' && i + 1 < text.size() && text[i + 1] == '=') {
      after_operator = true;
      appending = true;
      i += 2;
    } else if (c == '=') {
      after_operator = true;
      ++i;
    } else if (IsAtomChar(c)) {
      const size_t start = i;
      while (i < text.size() && IsAtomChar(text[i])) ++i;
      if (at_statement_start) {
        ours = text.substr(start, i - start) == key;
        key_line = line;
        at_statement_start = false;
      } else {
        item_at(line);
      }
    } else {
      ++i;
    }
  }
  end_statement();
  return found;
}

}  // namespace xenshm::policy
