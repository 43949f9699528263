// The xenshm xenstore schema: every path, node name and value format, and the
// one place where values written by guests are parsed and validated.
//
// The document is xenstore-schema/xenstore-paths.md; this header is its code.
// Every parser treats its input as hostile: bounded length, printable ASCII
// only, strict decimal numbers, and a Status naming the reason on rejection.
#ifndef XENSHM_XENSTORE_SCHEMA_SCHEMA_H_
#define XENSHM_XENSTORE_SCHEMA_SCHEMA_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/numbers.h"
#include "base/status.h"
#include "base/types.h"
#include "xenstore-schema/limits.h"

namespace xenshm::schema {

// Xen's XenbusState (xen/include/public/io/xenbus.h).
enum class XenbusState : int {
  kUnknown = 0,
  kInitialising = 1,
  kInitWait = 2,
  kInitialised = 3,
  kConnected = 4,
  kClosing = 5,
  kClosed = 6,
};

enum class AttachMode { kCreateOrAttach, kAttachOnly };
enum class Access { kReadWrite, kReadOnly };

// Node names.
inline constexpr std::string_view kNodeName = "name";
inline constexpr std::string_view kNodeSize = "size";
inline constexpr std::string_view kNodeMode = "mode";
inline constexpr std::string_view kNodeAccess = "access";
// dom0 requests only: the attaching process, watched for its exit.
inline constexpr std::string_view kNodePid = "pid";
inline constexpr std::string_view kNodeState = "state";
inline constexpr std::string_view kNodeStatus = "status";
inline constexpr std::string_view kNodeMessage = "message";
inline constexpr std::string_view kNodePeerIndex = "peer-index";
inline constexpr std::string_view kNodeGrantDirectory = "grant-directory";
// dom0 programs only: the module id to map (a read-only view for ro).
inline constexpr std::string_view kNodeRegionId = "region-id";
inline constexpr std::string_view kNodePeers = "peers";
inline constexpr std::string_view kNodeError = "error";
// Signals (see xenstore-paths.md, "Signals").
inline constexpr std::string_view kNodeEventChannel = "event-channel";
// Frontend: the peer's own end of that control channel, written before it
// says Connected (a restarted xenshmd binds it again).
inline constexpr std::string_view kNodeControlPort = "control-port";
// The members value (member_list.h) and, below it, members/<index>/offer
// and members/<index>/connected.
inline constexpr std::string_view kNodeMembers = "members";
inline constexpr std::string_view kNodeOffer = "offer";
inline constexpr std::string_view kNodeConnected = "connected";
inline constexpr std::string_view kNodeOffers = "offers";
inline constexpr std::string_view kNodeBound = "bound";

// Paths.
std::string DomainPath(DomainId domain);  // /local/domain/<d>
// /local/domain/<d>/device/xenshm: created by xenshmd, owned by <d>.
std::string FrontendRoot(DomainId domain);
std::string FrontendPath(DomainId domain, uint32_t handle);
std::string FrontendNode(DomainId domain, uint32_t handle,
                         std::string_view node);
// /local/domain/0/backend/xenshm/<d>/<handle>: written by xenshmd only.
std::string BackendRoot();
std::string BackendDomainPath(DomainId domain);
std::string BackendPath(DomainId domain, uint32_t handle);
std::string BackendNode(DomainId domain, uint32_t handle,
                        std::string_view node);
// /local/domain/0/xenshm/regions/<key>: the live-region registry. A
// region's key is its name with each '.' written '@': xenstored allows no
// '.' in a node name, and '@' is no region-name character, so the mapping
// is one to one. (A region that lost its name to a reservation is named
// "@<id>-<old name>", which no request can name and no key of a requested
// name can equal: a region name never starts with '.'.)
std::string RegistryRoot();
std::string RegistryKey(std::string_view region_name);
// The region name a registry key stands for.
std::string RegionNameOfRegistryKey(std::string_view key);
std::string RegistryPath(std::string_view region_name);
// /local/domain/0/xenshm/usage/<d>: a domain's usage against its quota,
// written by xenshmd for xenshmctl; dom0 only.
std::string UsageRoot();
std::string UsagePath(DomainId domain);
// .../regions/<name>/peers/<index> = "<domid>/<handle>"
std::string RegistryPeerPath(std::string_view region_name, uint32_t index);

// A registry peer entry's value: which attachment holds that index.
struct PeerRef {
  DomainId domain = 0;
  uint32_t handle = 0;
  friend bool operator==(const PeerRef&, const PeerRef&) = default;
};
// "<domid>/<handle>"
std::string FormatPeerRef(PeerRef peer);
// kInvalidArgument unless exactly "<domid>/<handle>", both strict decimal.
Result<PeerRef> ParsePeerRef(std::string_view value);

// The registry's region attributes (.../regions/<name>/<attribute>).
inline constexpr std::string_view kRegistrySize = "size";    // bytes
inline constexpr std::string_view kRegistryOwner = "owner";  // domid
inline constexpr std::string_view kRegistryMode = "mode";    // e.g. "0640"
inline constexpr std::string_view kRegistryGid = "gid";      // group name

// .../backend/xenshm/<d>/<handle>/members/<index>[/<node>]
std::string BackendMemberPath(DomainId domain, uint32_t handle, uint32_t index);
// .../device/xenshm/<handle>/<list>/<index>, list = offers or bound.
std::string FrontendListEntry(DomainId domain, uint32_t handle,
                              std::string_view list, uint32_t index);

// Where a watched path points inside a frontend tree.
struct FrontendLocation {
  DomainId domain = 0;
  std::optional<uint32_t> handle;  // absent for the root itself
  // Below the handle: "state", "offers/3", ...; empty for the handle's own
  // directory. Unvalidated: a guest may write any node there.
  std::string node;
};
std::optional<FrontendLocation> ParseFrontendPath(std::string_view path);
// A FrontendLocation::node naming one signal list entry: "offers/<index>"
// or "bound/<index>".
struct SignalEntry {
  std::string list;  // kNodeOffers or kNodeBound
  uint32_t index = 0;
};
std::optional<SignalEntry> ParseSignalEntry(std::string_view node);

// The region-name alphabet, [A-Za-z0-9._-]: the one definition, which the
// policy's globs and group names build on too.
bool IsRegionNameChar(char c);

// Value parsers. Each rejects with a Status whose message names the reason.
// Region names: 1..kMaxNameLength bytes of IsRegionNameChar, not starting
// with '.' (kIllegalName).
Result<std::string> ParseRegionName(std::string_view value);
// Bytes, strict decimal, 1..kMaxRegionBytes (kInvalidArgument).
Result<uint64_t> ParseSize(std::string_view value);
Result<AttachMode> ParseMode(std::string_view value);
Result<Access> ParseAccess(std::string_view value);
Result<XenbusState> ParseState(std::string_view value);
Result<uint32_t> ParseHandle(std::string_view value);
// A Linux process id, 1..4194304 (PID_MAX_LIMIT).
Result<int> ParsePid(std::string_view value);
Result<DomainId> ParseDomainId(std::string_view value);
// A peer index, 0..kMaxPeers-1.
Result<uint32_t> ParsePeerIndex(std::string_view value);
// An event-channel port (Xen's 2-level ABI allows 4096, FIFO 2^17).
Result<EventPort> ParsePort(std::string_view value);
// Strict unsigned decimal in [0, max]: no sign, no spaces, no leading zeros.
// The one parser lives in base/numbers.h; named here too so that callers
// writing schema::ParseDecimal keep compiling.
using xenshm::ParseDecimal;

std::string_view ModeName(AttachMode mode);
std::string_view AccessName(Access access);
std::string StateValue(XenbusState state);

// A frontend may move forward through Initialising → Initialised →
// Connected → Closing → Closed, skipping ahead, never back.
Status CheckFrontendTransition(XenbusState from, XenbusState to);

// Pages needed for `bytes`, rounded up.
uint64_t PagesFor(uint64_t bytes);

}  // namespace xenshm::schema

#endif  // XENSHM_XENSTORE_SCHEMA_SCHEMA_H_
