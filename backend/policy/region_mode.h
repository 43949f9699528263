// Region modes: unix-like read/write bits for the owner domain, the
// region's group and every other domain (0640 = owner rw, group r).
// Execute bits have no meaning for shared memory and are refused in modes.
#ifndef XENSHM_BACKEND_POLICY_REGION_MODE_H_
#define XENSHM_BACKEND_POLICY_REGION_MODE_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"
#include "xenstore-schema/schema.h"

namespace xenshm::policy {

// Which set of bits applies to a domain.
enum class PeerClass { kOwner, kGroup, kOther };

// "owner", "group", "other".
std::string_view PeerClassName(PeerClass peer_class);

// A mode: 1..4 octal digits, only r/w bits (a subset of 0666).
// kInvalidArgument naming the reason otherwise.
Result<uint32_t> ParseMode(std::string_view text);
// A umask: 1..4 octal digits, at most 0777 (x bits are accepted and ignored,
// so the familiar 022 and 027 work).
Result<uint32_t> ParseUmask(std::string_view text);

// Four octal digits: "0660".
std::string FormatMode(uint32_t mode);
// The class's bits as "rw", "r-", "-w" or "--".
std::string ClassBits(uint32_t mode, PeerClass peer_class);

// True if `mode` lets `peer_class` attach with `access`: ro needs r, rw
// needs r and w.
bool ModeAllows(uint32_t mode, PeerClass peer_class, schema::Access access);

}  // namespace xenshm::policy

#endif  // XENSHM_BACKEND_POLICY_REGION_MODE_H_
