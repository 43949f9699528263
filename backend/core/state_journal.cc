#include "backend/core/state_journal.h"

#include <cctype>
#include <charconv>
#include <set>

#include "base/numbers.h"

namespace xenshm::backend {
namespace {

bool IsPlain(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("._@/,+-").find(c) != std::string_view::npos;
}

std::string Escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    if (IsPlain(c)) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    }
  }
  return out;
}

Result<std::string> Unescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      if (!IsPlain(text[i])) {
        return Error(Code::kInvalidArgument, "unescaped character");
      }
      out += text[i];
      continue;
    }
    unsigned value = 0;
    if (i + 2 >= text.size()) {
      return Error(Code::kInvalidArgument, "short escape");
    }
    auto [end, error] =
        std::from_chars(text.data() + i + 1, text.data() + i + 3, value, 16);
    if (error != std::errc() || end != text.data() + i + 3) {
      return Error(Code::kInvalidArgument, "bad escape");
    }
    out += static_cast<char>(value);
    i += 2;
  }
  return out;
}

std::string Optional(std::optional<uint64_t> value) {
  return value ? std::to_string(*value) : "-";
}

// One line's fields, each key at most once (attr.* aside, kept in order).
struct Fields {
  std::map<std::string, std::string, std::less<>> values;
  std::vector<std::pair<std::string, std::string>> attributes;
};

Result<Fields> SplitFields(std::string_view rest) {
  Fields fields;
  while (!rest.empty()) {
    const size_t space = rest.find(' ');
    std::string_view token = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view()
                                           : rest.substr(space + 1);
    const size_t equals = token.find('=');
    if (equals == std::string_view::npos || equals == 0) {
      return Error(Code::kInvalidArgument, "a field is not key=value");
    }
    auto value = Unescape(token.substr(equals + 1));
    if (!value) return std::unexpected(value.error());
    std::string_view key = token.substr(0, equals);
    if (key.starts_with("attr.")) {
      auto name = Unescape(key.substr(5));
      if (!name || name->empty()) {
        return Error(Code::kInvalidArgument, "bad attribute name");
      }
      fields.attributes.emplace_back(*name, *value);
      continue;
    }
    if (!fields.values.emplace(std::string(key), *value).second) {
      return Error(Code::kInvalidArgument,
                   "field '" + std::string(key) + "' twice");
    }
  }
  return fields;
}

class LineReader {
 public:
  explicit LineReader(Fields fields) : fields_(std::move(fields)) {}

  Result<std::string> Text(std::string_view key) {
    auto found = fields_.values.find(key);
    if (found == fields_.values.end()) {
      return Error(Code::kInvalidArgument,
                   "field '" + std::string(key) + "' missing");
    }
    std::string value = std::move(found->second);
    fields_.values.erase(found);
    return value;
  }
  Result<uint64_t> Number(std::string_view key, uint64_t max) {
    auto text = Text(key);
    if (!text) return std::unexpected(text.error());
    return ParseDecimal(*text, max, key);
  }
  Result<std::optional<uint64_t>> MaybeNumber(std::string_view key,
                                              uint64_t max) {
    auto text = Text(key);
    if (!text) return std::unexpected(text.error());
    if (*text == "-") return std::optional<uint64_t>();
    auto number = ParseDecimal(*text, max, key);
    if (!number) return std::unexpected(number.error());
    return std::optional<uint64_t>(*number);
  }
  // Every field was read: a field we do not know is a journal we do not
  // understand.
  Status Done() const {
    if (!fields_.values.empty()) {
      return Status(Code::kInvalidArgument,
                    "unknown field '" + fields_.values.begin()->first + "'");
    }
    return Status();
  }
  std::vector<std::pair<std::string, std::string>> TakeAttributes() {
    return std::move(fields_.attributes);
  }

 private:
  Fields fields_;
};

#define XENSHM_ASSIGN(target, expr)                             \
  do {                                                          \
    auto value_ = (expr);                                       \
    if (!value_) return std::unexpected(value_.error());        \
    target = static_cast<decltype(target)>(*std::move(value_)); \
  } while (0)

Status DecodeLine(std::string_view kind, LineReader& line,
                  JournalSnapshot& snapshot) {
  constexpr uint64_t kMaxDomain = 0x7fef;  // below DOMID_FIRST_RESERVED
  auto run = [&]() -> Result<bool> {
    if (kind == "domain") {
      DomainId id;
      std::string uuid;
      XENSHM_ASSIGN(id, line.Number("id", kMaxDomain));
      XENSHM_ASSIGN(uuid, line.Text("uuid"));
      if (!snapshot.domains.emplace(id, uuid).second) {
        return Error(Code::kInvalidArgument, "domain twice");
      }
      return true;
    }
    if (kind == "region") {
      JournaledRegion region;
      std::optional<uint64_t> charged;
      XENSHM_ASSIGN(region.name, line.Text("name"));
      XENSHM_ASSIGN(region.size, line.Number("size", UINT64_MAX));
      XENSHM_ASSIGN(region.id, line.Number("id", UINT64_MAX));
      XENSHM_ASSIGN(charged, line.MaybeNumber("charged", kMaxDomain));
      XENSHM_ASSIGN(region.policy_record, line.Text("policy"));
      if (charged) region.charged_to = static_cast<DomainId>(*charged);
      if (region.name.empty() || region.id == 0 || region.size == 0) {
        return Error(Code::kInvalidArgument, "empty region");
      }
      region.attributes = line.TakeAttributes();
      snapshot.regions.push_back(std::move(region));
      return true;
    }
    if (kind == "peer") {
      JournaledPeer peer;
      std::string access;
      std::optional<uint64_t> directory;
      XENSHM_ASSIGN(peer.key.domain, line.Number("domain", kMaxDomain));
      XENSHM_ASSIGN(peer.key.handle, line.Number("handle", UINT32_MAX));
      XENSHM_ASSIGN(peer.region, line.Text("region"));
      XENSHM_ASSIGN(peer.index, line.Number("index", UINT32_MAX));
      XENSHM_ASSIGN(access, line.Text("access"));
      XENSHM_ASSIGN(peer.complete, line.Number("complete", 1));
      XENSHM_ASSIGN(directory, line.MaybeNumber("directory", UINT64_MAX));
      XENSHM_ASSIGN(peer.grant_entries, line.Number("entries", UINT64_MAX));
      XENSHM_ASSIGN(peer.directory_refs, line.Text("refs"));
      XENSHM_ASSIGN(peer.local_id, line.Number("local", UINT64_MAX));
      XENSHM_ASSIGN(peer.peer_port, line.Number("port", UINT32_MAX));
      XENSHM_ASSIGN(peer.pid, line.Number("pid", INT32_MAX));
      XENSHM_ASSIGN(peer.pid_started, line.Number("started", UINT64_MAX));
      if (directory) peer.directory = *directory;
      auto parsed = schema::ParseAccess(access);
      if (!parsed) return std::unexpected(parsed.error());
      peer.access = *parsed;
      snapshot.peers.push_back(std::move(peer));
      return true;
    }
    return Error(Code::kInvalidArgument,
                 "unknown record '" + std::string(kind) + "'");
  };
  auto ran = run();
  if (!ran) return ran.error();
  return line.Done();
}

#undef XENSHM_ASSIGN

// Cross-record rules: one region per name and id, peers of known regions,
// one record per attachment, and no index twice in a region.
Status CheckConsistent(const JournalSnapshot& snapshot) {
  std::set<std::string> names;
  std::set<RegionId> ids;
  for (const JournaledRegion& region : snapshot.regions) {
    if (!names.insert(region.name).second || !ids.insert(region.id).second) {
      return Status(Code::kInvalidArgument,
                    "region '" + region.name + "' twice");
    }
  }
  std::set<AttachmentKey> keys;
  std::set<std::pair<std::string, uint32_t>> indices;
  for (const JournaledPeer& peer : snapshot.peers) {
    if (!names.contains(peer.region)) {
      return Status(Code::kInvalidArgument,
                    Describe(peer.key) + " of an unknown region");
    }
    if (!keys.insert(peer.key).second ||
        !indices.insert({peer.region, peer.index}).second) {
      return Status(Code::kInvalidArgument, Describe(peer.key) + " twice");
    }
  }
  return Status();
}

}  // namespace

std::string EncodeJournal(const JournalSnapshot& snapshot) {
  std::string text = std::string(kJournalHeader) + "\n";
  for (const auto& [id, uuid] : snapshot.domains) {
    text += "domain id=" + std::to_string(id) + " uuid=" + Escape(uuid) + "\n";
  }
  for (const JournaledRegion& region : snapshot.regions) {
    text += "region name=" + Escape(region.name) +
            " size=" + std::to_string(region.size) +
            " id=" + std::to_string(region.id) +
            " charged=" + Optional(region.charged_to) +
            " policy=" + Escape(region.policy_record);
    for (const auto& [key, value] : region.attributes) {
      text += " attr." + Escape(key) + "=" + Escape(value);
    }
    text += "\n";
  }
  for (const JournaledPeer& peer : snapshot.peers) {
    text += "peer domain=" + std::to_string(peer.key.domain) +
            " handle=" + std::to_string(peer.key.handle) +
            " region=" + Escape(peer.region) +
            " index=" + std::to_string(peer.index) +
            " access=" + std::string(schema::AccessName(peer.access)) +
            " complete=" + (peer.complete ? "1" : "0") +
            " directory=" + Optional(peer.directory) +
            " entries=" + std::to_string(peer.grant_entries) +
            " refs=" + Escape(peer.directory_refs) +
            " local=" + std::to_string(peer.local_id) +
            " port=" + std::to_string(peer.peer_port) +
            " pid=" + std::to_string(peer.pid) +
            " started=" + std::to_string(peer.pid_started) + "\n";
  }
  return text;
}

Result<JournalSnapshot> DecodeJournal(std::string_view text) {
  JournalSnapshot snapshot;
  size_t number = 0;
  bool header = false;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    if (end == std::string_view::npos) {
      return Error(Code::kInvalidArgument,
                   "journal: the last line has no newline (cut short?)");
    }
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end + 1);
    ++number;
    auto bad = [&](const Status& why) {
      return Error(
          Code::kInvalidArgument,
          "journal line " + std::to_string(number) + ": " + why.message());
    };
    if (!header) {
      if (line != kJournalHeader) {
        return bad(Status(Code::kInvalidArgument,
                          "not '" + std::string(kJournalHeader) + "'"));
      }
      header = true;
      continue;
    }
    const size_t space = line.find(' ');
    auto fields = SplitFields(
        space == std::string_view::npos ? "" : line.substr(space + 1));
    if (!fields) return bad(fields.error());
    LineReader reader(std::move(*fields));
    if (Status decoded = DecodeLine(line.substr(0, space), reader, snapshot);
        !decoded.ok()) {
      return bad(decoded);
    }
  }
  if (!header) return Error(Code::kInvalidArgument, "journal: empty");
  if (Status consistent = CheckConsistent(snapshot); !consistent.ok()) {
    return Error(Code::kInvalidArgument, "journal: " + consistent.message());
  }
  return snapshot;
}

}  // namespace xenshm::backend
