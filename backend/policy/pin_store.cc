#include "backend/policy/pin_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <utility>

#include "backend/policy/policy_codec.h"
#include "base/hostile_text.h"

namespace xenshm::policy {
namespace {

constexpr std::string_view kNameKey = "name=";
constexpr std::string_view kOriginKey = "origin=";

std::unexpected<Status> Bad(const std::string& why) {
  return Error(Code::kInvalidArgument, "pin: " + why);
}

// The next line of `text` (without its newline), consumed; nullopt at the
// end or when the line has no newline.
std::optional<std::string_view> TakeLine(std::string_view& text) {
  const size_t end = text.find('\n');
  if (end == std::string_view::npos) return std::nullopt;
  std::string_view line = text.substr(0, end);
  text.remove_prefix(end + 1);
  return line;
}

}  // namespace

bool IsPinnableDomainName(std::string_view text) {
  return !text.empty() && text.size() <= kMaxDomainNameLength &&
         IsPrintableAscii(text) &&
         text.find_first_of("/\\") == std::string_view::npos;
}

Result<std::string> EncodePin(const PinnedPolicy& pin) {
  if (!IsPinnableDomainName(pin.name)) return Bad("bad domain name");
  std::string origin = pin.found.origin.substr(0, kMaxSourceLength);
  for (char& c : origin) {
    if (c < 0x20 || c > 0x7e) c = '?';
  }
  auto policy = SerializePolicy(pin.found.policy);
  if (!policy) return Error(policy.error());
  std::string text = std::string(kPinHeader) + "\n" + std::string(kNameKey) +
                     pin.name + "\n" + std::string(kOriginKey) + origin + "\n" +
                     *policy;
  if (text.size() > kMaxPinBytes) return Bad("longer than the pin limit");
  return text;
}

Result<PinnedPolicy> DecodePin(std::string_view text) {
  if (text.size() > kMaxPinBytes) {
    return Bad("longer than " + std::to_string(kMaxPinBytes) + " bytes");
  }
  auto header = TakeLine(text);
  if (!header || *header != kPinHeader) {
    return Bad("line 1: expected '" + std::string(kPinHeader) + "'");
  }
  auto name = TakeLine(text);
  if (!name || !name->starts_with(kNameKey) ||
      !IsPinnableDomainName(name->substr(kNameKey.size()))) {
    return Bad("line 2: expected name=DOMAIN-NAME");
  }
  auto origin = TakeLine(text);
  if (!origin || !origin->starts_with(kOriginKey) ||
      origin->size() - kOriginKey.size() > kMaxSourceLength ||
      !IsPrintableAscii(origin->substr(kOriginKey.size()))) {
    return Bad("line 3: expected origin=TEXT");
  }
  auto policy = ParseSerializedPolicy(text);
  if (!policy) return Bad(policy.error().message());
  PinnedPolicy pin;
  pin.name = std::string(name->substr(kNameKey.size()));
  pin.found = {std::move(*policy),
               std::string(origin->substr(kOriginKey.size())), true};
  return pin;
}

PinStore::PinStore(std::string directory) : directory_(std::move(directory)) {}

std::string PinStore::PathOf(std::string_view uuid) const {
  return directory_ + "/" + std::string(uuid);
}

Result<std::optional<PinnedPolicy>> PinStore::Read(
    std::string_view uuid) const {
  if (!IsUuid(uuid)) return Bad("'" + std::string(uuid) + "' is not a UUID");
  const std::string path = PathOf(uuid);
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (errno == ENOENT) return std::optional<PinnedPolicy>();
    return Error(StatusFromErrno(errno, "open " + path));
  }
  std::string text(kMaxPinBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<size_t>(in.gcount()));
  auto pin = DecodePin(text);
  if (!pin)
    return Error(Code::kInvalidArgument, path + ": " + pin.error().message());
  pin->uuid = std::string(uuid);
  return std::optional<PinnedPolicy>(std::move(*pin));
}

Status PinStore::Write(const PinnedPolicy& pin) const {
  if (!IsUuid(pin.uuid)) return Bad("'" + pin.uuid + "' is not a UUID").error();
  auto text = EncodePin(pin);
  if (!text) return text.error();
  std::error_code made;
  std::filesystem::create_directories(directory_, made);
  if (made || chmod(directory_.c_str(), 0700) != 0) {
    return StatusFromErrno(made ? made.value() : errno, "mkdir " + directory_);
  }
  const std::string path = PathOf(pin.uuid);
  const std::string temporary = path + ".new";
  const int fd =
      open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return StatusFromErrno(errno, "open " + temporary);
  const bool written = ::write(fd, text->data(), text->size()) ==
                       static_cast<ssize_t>(text->size());
  const int saved = errno;
  const bool synced = fsync(fd) == 0;
  close(fd);
  if (!written || !synced) {
    unlink(temporary.c_str());
    return StatusFromErrno(written ? errno : saved, "write " + temporary);
  }
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    const int failed = errno;
    unlink(temporary.c_str());
    return StatusFromErrno(failed, "rename " + temporary);
  }
  // One pin per name, and at most kMaxPins, oldest dropped first.
  std::vector<std::pair<std::filesystem::file_time_type, std::string>> others;
  for (const PinnedPolicy& other : List()) {
    if (other.uuid == pin.uuid) continue;
    if (other.name == pin.name) {
      (void)Remove(other.uuid);
      continue;
    }
    std::error_code ignored;
    others.emplace_back(
        std::filesystem::last_write_time(PathOf(other.uuid), ignored),
        other.uuid);
  }
  if (others.size() + 1 > kMaxPins) {
    std::sort(others.begin(), others.end());
    for (size_t i = 0; i + kMaxPins < others.size() + 1; ++i) {
      (void)Remove(others[i].second);
    }
  }
  return Status();
}

Status PinStore::Remove(std::string_view uuid) const {
  if (!IsUuid(uuid))
    return Bad("'" + std::string(uuid) + "' is not a UUID").error();
  if (unlink(PathOf(uuid).c_str()) != 0 && errno != ENOENT) {
    return StatusFromErrno(errno, "unlink " + PathOf(uuid));
  }
  return Status();
}

std::vector<PinnedPolicy> PinStore::List(
    const std::function<void(const std::string&)>& on_bad) const {
  std::vector<PinnedPolicy> pins;
  std::error_code error;
  std::filesystem::directory_iterator it(directory_, error);
  if (error) return pins;  // no directory yet: no pins
  for (const auto& entry : it) {
    const std::string file = entry.path().filename().string();
    if (!IsUuid(file)) continue;  // a temporary, or not ours
    auto pin = Read(file);
    if (!pin) {
      if (on_bad) on_bad(pin.error().message());
      continue;
    }
    if (*pin) pins.push_back(std::move(**pin));
  }
  std::sort(pins.begin(), pins.end(),
            [](const PinnedPolicy& a, const PinnedPolicy& b) {
              return a.uuid < b.uuid;
            });
  return pins;
}

}  // namespace xenshm::policy
