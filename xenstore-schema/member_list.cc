#include "xenstore-schema/member_list.h"

#include "base/hostile_text.h"

namespace xenshm::schema {
namespace {

Status Refuse(std::string_view value, const std::string& why) {
  return Status(Code::kInvalidArgument,
                "members " + QuoteHostile(value) + ": " + why);
}

}  // namespace

std::string FormatMemberList(const MemberList& members) {
  std::string value;
  for (const auto& [index, peer] : members) {
    if (!value.empty()) value += ' ';
    value += std::to_string(index) + "=" + FormatPeerRef(peer);
  }
  return value;
}

Result<MemberList> ParseMemberList(std::string_view value) {
  MemberList members;
  if (value.size() > kMaxMemberListLength) {
    return Error(Refuse(
        value,
        "longer than " + std::to_string(kMaxMemberListLength) + " bytes"));
  }
  if (value.empty()) return members;
  std::string_view rest = value;
  while (true) {
    const size_t space = rest.find(' ');
    const std::string_view entry = rest.substr(0, space);
    const size_t equals = entry.find('=');
    if (equals == std::string_view::npos) {
      return Error(Refuse(value, "entry " + QuoteHostile(entry) +
                                     " is not <index>=<domid>/<handle>"));
    }
    auto index = ParsePeerIndex(entry.substr(0, equals));
    if (!index) return Error(Refuse(value, index.error().message()));
    auto peer = ParsePeerRef(entry.substr(equals + 1));
    if (!peer) return Error(Refuse(value, peer.error().message()));
    // Increasing order makes the encoding unique and duplicates impossible.
    if (!members.empty() && *index <= members.rbegin()->first) {
      return Error(Refuse(value, "index " + std::to_string(*index) +
                                     " out of increasing order"));
    }
    members.emplace(*index, *peer);
    if (space == std::string_view::npos) break;
    rest.remove_prefix(space + 1);
    if (rest.empty()) return Error(Refuse(value, "trailing space"));
  }
  return members;
}

}  // namespace xenshm::schema
