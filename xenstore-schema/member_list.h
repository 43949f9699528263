// The members value: who is attached to a region, as one backend node per
// attachment (.../backend/xenshm/<d>/<handle>/members), so that a peer
// learns of a join or a leave with one read however many peers there are
// (xenstore-paths.md, "Signals").
//
//   "0=5/3 2=7/1"   peer 0 is domain 5's handle 3, peer 2 domain 7's handle 1
//
// Entries "<index>=<domid>/<handle>" in increasing index order, separated by
// one space; no leading or trailing space; "" when nobody is attached. At
// most kMaxPeers entries, so at most kMaxMemberListLength bytes. xenshmd
// writes it; a guest reads it, and ParseMemberList treats it as hostile all
// the same (the library must not trust a value because of where it is).
#ifndef XENSHM_XENSTORE_SCHEMA_MEMBER_LIST_H_
#define XENSHM_XENSTORE_SCHEMA_MEMBER_LIST_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "base/status.h"
#include "xenstore-schema/schema.h"

namespace xenshm::schema {

// Peers by index.
using MemberList = std::map<uint32_t, PeerRef>;

// "63=32752/1023 " is the longest entry: 14 bytes and a separator.
inline constexpr size_t kMaxMemberListLength = kMaxPeers * 15;

// REQUIRES: every index below kMaxPeers.
std::string FormatMemberList(const MemberList& members);
// kInvalidArgument, naming the first fault, unless `value` is exactly what
// FormatMemberList writes for some list.
Result<MemberList> ParseMemberList(std::string_view value);

}  // namespace xenshm::schema

#endif  // XENSHM_XENSTORE_SCHEMA_MEMBER_LIST_H_
