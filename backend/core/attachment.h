// Attachment: everything xenshmd knows about one request handle of one
// domain (a frontend directory device/xenshm/<handle>), in one record.
//
// A record exists from the first time xenshmd sees the handle's state node
// until the frontend directory is gone (or its domain is). Which region a
// joined attachment is a peer of, and at which index, is the RegionTable's
// to say; the record keeps what the attachment holds in dom0 meanwhile
// (released by the daemon's detach, never by erasing the record alone).
#ifndef XENSHM_BACKEND_CORE_ATTACHMENT_H_
#define XENSHM_BACKEND_CORE_ATTACHMENT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "backend/core/process_exit_watch.h"
#include "base/types.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {

struct AttachmentKey {
  DomainId domain = 0;
  uint32_t handle = 0;
  auto operator<=>(const AttachmentKey&) const = default;
};

// "domain D handle H", for log lines and messages.
std::string Describe(AttachmentKey key);

// What a joined attachment holds in dom0.
struct Holdings {
  // dom0's end of the control channel: xenshmd notifies it when the peer's
  // view changes; gntdev's unmap-notify arrives on it.
  EventPort control_port = 0;
  // Guests: the region of directory pages listing this peer's grant refs,
  // and the grant entries (region + directory pages) charged for it.
  std::optional<RegionId> directory;
  uint64_t grant_entries = 0;
  // The peer's end of the control channel, from its frontend's
  // control-port when it said Connected (0: not yet): a restarted xenshmd
  // binds it again, since closing our end left it unbound, waiting for us.
  EventPort peer_port = 0;
  // What the answer said, so a restarted xenshmd can say it again: a
  // guest's grant-directory refs, a dom0 program's region-id.
  std::string directory_refs;
  RegionId local_id = 0;
};

struct Attachment {
  AttachmentKey key;
  // The frontend state last seen, for transition checks.
  schema::XenbusState frontend_state = schema::XenbusState::kInitialising;
  // xenshmd has answered the request (Connected or Closed with a status).
  bool answered = false;
  // Set while joined to a region.
  std::optional<Holdings> held;
  // Until the request is joined and its frontend Connected: when xenshmd
  // reaps it (a request may not hold dom0's resources unanswered forever).
  std::optional<std::chrono::steady_clock::time_point> request_deadline;
  // Guests: set when gntdev's unmap-notify detached the attachment while
  // the frontend still said Connected; a live library says Closing at
  // once, so a frontend still Connected then is a dead process's.
  std::optional<std::chrono::steady_clock::time_point> orphan_deadline;
  // dom0 programs: their process, watched for its exit (they map through
  // the kernel module, which sends no unmap-notify).
  std::optional<ProcessExitWatch> exit_watch;
  // Adopted by a restarted xenshmd before its peer said Connected: the
  // control channel was offered again, and the peer's end is bound when it
  // says Connected, if the peer bound the old offer.
  bool rebind_on_connect = false;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_ATTACHMENT_H_
