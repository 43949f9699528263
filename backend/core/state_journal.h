// StateJournal: what a restarted xenshmd needs and cannot read elsewhere.
//
// The kernel module keeps region memory and grants across a daemon's death
// and xenstore keeps the requests and answers, but neither knows a module
// id's name, owner, group, mode, declarer or payer, which region is whose
// grant directory, which peer index an attachment holds, or the peer's end
// of its control channel. xenshmd writes them here after every change that
// matters (docs/architecture.md, "Restart and adoption"), and a new xenshmd
// adopts what the journal, the module and xenstore agree on.
//
// The snapshot is plain data; Encode/Decode are its text form (one record
// per line, "key=value" fields, values percent-escaped), strict both ways:
// the file is dom0's own, but a journal that does not parse is refused, not
// guessed at.
#ifndef XENSHM_BACKEND_CORE_STATE_JOURNAL_H_
#define XENSHM_BACKEND_CORE_STATE_JOURNAL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "backend/core/attachment.h"
#include "base/status.h"
#include "base/types.h"
#include "xenstore-schema/schema.h"

namespace xenshm::backend {

inline constexpr std::string_view kJournalHeader = "xenshm-journal 1";

struct JournaledRegion {
  std::string name;
  uint64_t size = 0;  // bytes, as the creator asked
  RegionId id = 0;
  std::optional<DomainId> charged_to;
  std::vector<std::pair<std::string, std::string>> attributes;  // registry
  std::string policy_record;  // AccessPolicy::RegionRecord
  friend bool operator==(const JournaledRegion&,
                         const JournaledRegion&) = default;
};

struct JournaledPeer {
  AttachmentKey key;
  std::string region;
  uint32_t index = 0;
  schema::Access access = schema::Access::kReadWrite;
  // False while xenshmd grants (between its first module call for the
  // attach and the join): a new xenshmd undoes such an attach and handles
  // the request again. True once joined; the answer follows.
  bool complete = false;
  std::optional<RegionId> directory;  // guests: the grant directory
  uint64_t grant_entries = 0;
  std::string directory_refs;  // guests: the answer's grant-directory value
  RegionId local_id = 0;       // dom0 programs: the answer's region-id
  EventPort peer_port = 0;     // the peer's end of the control channel; 0:
                               // not known yet (learned at its Connected)
  int pid = 0;                 // dom0 programs: the attached process
  uint64_t pid_started = 0;    // and when it started (ProcessStartTime)
  friend bool operator==(const JournaledPeer&, const JournaledPeer&) = default;
};

struct JournalSnapshot {
  std::map<DomainId, std::string> domains;  // with peers: id -> UUID
  std::vector<JournaledRegion> regions;
  std::vector<JournaledPeer> peers;
  friend bool operator==(const JournalSnapshot&,
                         const JournalSnapshot&) = default;
};

std::string EncodeJournal(const JournalSnapshot& snapshot);
// kInvalidArgument naming the line and what is wrong with it.
Result<JournalSnapshot> DecodeJournal(std::string_view text);

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_STATE_JOURNAL_H_
