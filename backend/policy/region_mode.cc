#include "backend/policy/region_mode.h"

namespace xenshm::policy {
namespace {

int Shift(PeerClass peer_class) {
  switch (peer_class) {
    case PeerClass::kOwner:
      return 6;
    case PeerClass::kGroup:
      return 3;
    case PeerClass::kOther:
      return 0;
  }
  return 0;
}

Result<uint32_t> ParseOctal(std::string_view text, std::string_view what) {
  if (text.empty() || text.size() > 4) {
    return Error(Code::kInvalidArgument,
                 std::string(what) + " must be 1 to 4 octal digits");
  }
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '7') {
      return Error(
          Code::kInvalidArgument,
          std::string(what) + " '" + std::string(text) + "' is not octal");
    }
    value = value * 8 + static_cast<uint32_t>(c - '0');
  }
  if (value > 0777) {
    return Error(
        Code::kInvalidArgument,
        std::string(what) + " " + std::string(text) + " has bits beyond 0777");
  }
  return value;
}

}  // namespace

std::string_view PeerClassName(PeerClass peer_class) {
  switch (peer_class) {
    case PeerClass::kOwner:
      return "owner";
    case PeerClass::kGroup:
      return "group";
    case PeerClass::kOther:
      return "other";
  }
  return "other";
}

Result<uint32_t> ParseMode(std::string_view text) {
  auto mode = ParseOctal(text, "mode");
  if (!mode) return mode;
  if ((*mode & 0111) != 0) {
    return Error(Code::kInvalidArgument,
                 "mode " + std::string(text) +
                     " has execute bits; region modes have only r and w");
  }
  return mode;
}

Result<uint32_t> ParseUmask(std::string_view text) {
  return ParseOctal(text, "umask");
}

std::string FormatMode(uint32_t mode) {
  std::string out = "0000";
  for (int i = 3; i >= 1; --i) {
    out[i] = static_cast<char>('0' + (mode & 7));
    mode >>= 3;
  }
  return out;
}

std::string ClassBits(uint32_t mode, PeerClass peer_class) {
  const uint32_t bits = (mode >> Shift(peer_class)) & 7;
  return std::string{(bits & 4) ? 'r' : '-', (bits & 2) ? 'w' : '-'};
}

bool ModeAllows(uint32_t mode, PeerClass peer_class, schema::Access access) {
  const uint32_t bits = (mode >> Shift(peer_class)) & 7;
  const uint32_t need = access == schema::Access::kReadOnly ? 4u : 6u;
  return (bits & need) == need;
}

}  // namespace xenshm::policy
