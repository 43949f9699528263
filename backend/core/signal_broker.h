// SignalBroker: xenshmd's half of selective signals. It never carries a
// signal itself. It tells each peer who is attached (its members value: one
// node, so a join or leave costs each peer one write and one read),
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

  // Brings every member's members value of `region` up to date and wakes
  // those whose value changed: one write per peer, and reads nothing back.
  void PublishMembers(const Region& region);
  // Rewrites the others' members values without departed peer `index`
  // (attachment `departed`), removes what was relayed to them about it,
  // wakes them, and forgets the departed peer's own value.
  void UnpublishMember(const Region& region, uint32_t index,
                       AttachmentKey departed);
  // Relays all of `me`'s offers and bind acknowledgements to their
  // targets (when `me` becomes Connected: what it wrote before).
  void Relay(const Region& region, const Peer& me);
  // Relays one entry, `list` (offers or bound) / `index`, that changed.
  // One read, and a write only if the target's node must change.
  void RelayEntry(const Region& region, const Peer& me, std::string_view list,
                  uint32_t index);
  // Notifies `peer`'s control channel: its library reads members and
  // relays again (also after a restart, for what changed meanwhile).
  void Wake(const Peer& peer);

 private:
  XenStore& xenstore_;
  EventChannels& event_channels_;
  const AttachmentTable& attachments_;
  // What each viewer's members value says.
  std::map<AttachmentKey, std::string> listed_;
  // What was relayed to each target: (source index, node) -> value.
  std::map<AttachmentKey,
           std::map<std::pair<uint32_t, std::string>, std::string>>
      relayed_;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_SIGNAL_BROKER_H_
