// SignalBroker: xenshmd's half of selective signals. It never carries a
// signal itself. It tells each peer who is attached (members/<i>/domain),
// relays the port a lower-index peer offers to a higher-index one
// (members/<i>/offer) and the binder's acknowledgement back
// (members/<i>/connected), and wakes a peer on its control channel when its
// view changed. A relayed port can only be bound by the peer it was offered
// to, and only as a channel with the offering domain: the hypervisor vouches
// for both ends, so a receiver's knowledge of who signaled it cannot be
// forged. docs/signals.md.
#ifndef XENSHM_BACKEND_CORE_SIGNAL_BROKER_H_
#define XENSHM_BACKEND_CORE_SIGNAL_BROKER_H_

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>

#include "backend/core/attachment_table.h"
#include "backend/core/region_table.h"
#include "platform/event_channels.h"
#include "platform/xenstore.h"

namespace xenshm::backend {

class SignalBroker {
 public:
  // `attachments` gives each peer's control port; all must outlive this.
  SignalBroker(XenStore& xenstore, EventChannels& event_channels,
               const AttachmentTable& attachments)
      : xenstore_(xenstore),
        event_channels_(event_channels),
        attachments_(attachments) {}

  // Brings every member's members/ listing of `region` up to date and
  // wakes them. Writes only entries that changed since it last wrote them
  // (a join costs the newcomer's listing plus one entry per other peer),
  // and reads nothing back.
  void PublishMembers(const Region& region);
  // Removes departed peer `index` (attachment `departed`) from the others'
  // listings, wakes them, and forgets the departed peer's own listing.
  void UnpublishMember(const Region& region, uint32_t index,
                       AttachmentKey departed);
  // Relays all of `me`'s offers and bind acknowledgements to their
  // targets (when `me` becomes Connected: what it wrote before).
  void Relay(const Region& region, const Peer& me);
  // Relays one entry, `list` (offers or bound) / `index`, that changed.
  // One read, and a write only if the target's node must change.
  void RelayEntry(const Region& region, const Peer& me, std::string_view list,
                  uint32_t index);

 private:
  void Wake(const Peer& peer);

  XenStore& xenstore_;
  EventChannels& event_channels_;
  const AttachmentTable& attachments_;
  // What each viewer's members/ listing says: index -> domain.
  std::map<AttachmentKey, std::map<uint32_t, DomainId>> listed_;
  // What was relayed to each target: (source index, node) -> value.
  std::map<AttachmentKey,
           std::map<std::pair<uint32_t, std::string>, std::string>>
      relayed_;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_SIGNAL_BROKER_H_
