// PeerChannels: one attachment's event channels, to xenshmd and to each
// peer, and the signal status built from them. Internal to libxenshm.
//
// How this works:
//  1. xenshmd offers a control channel (backend node `event-channel`); we
//     bind it and it wakes us whenever our view changes.
//  2. The backend lists the attached peers in one value, members
//     ("<index>=<domid>/<handle> ...", xenstore-schema/member_list.h).
//     For each pair the lower index allocates an unbound port for the other
//     domain and writes it under its own offers/<index>; xenshmd relays it
//     to the higher index as members/<lower>/offer, who binds it.
//  3. Binding raises one spurious event on the binder's port. The binder
//     swallows it, then acknowledges with bound/<index> = 1; xenshmd relays
//     that as members/<higher>/connected, and only then does the offering
//     side send on the channel, so no real signal is lost in the spurious
//     one and no spurious one is taken for a signal.
//  4. A port was bound by us to a named remote domain, so an event on it
//     comes from that domain: the hypervisor vouches for the sender.
#ifndef XENSHM_FRONTEND_LIB_PEER_CHANNELS_H_
#define XENSHM_FRONTEND_LIB_PEER_CHANNELS_H_

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>

#include "base/status.h"
#include "platform/platform.h"
#include "xenshm/signals.h"
#include "xenstore-schema/member_list.h"

namespace xenshm {

class PeerChannels {
 public:
  // Binds the control channel. REQUIRES: the attachment is connected.
  // A xenshmd that dies after answering leaves a port no one offers any
  // more, and the next one answers again with a new port: a bind refused
  // as not offered waits (until `deadline`) for the answer's port to change.
  static Result<std::unique_ptr<PeerChannels>> Open(
      Platform& platform, uint32_t handle, uint32_t my_index,
      std::chrono::steady_clock::time_point deadline);
  ~PeerChannels();

  int fd() const { return channels_->fd(); }
  // Our end of the control channel to xenshmd.
  EventPort control_port() const { return control_port_; }
  // Handles every pending event and membership change without blocking.
  Status Process();
  // Blocks for the next event and handles it: one read on the signal fast
  // path, like a raw event-channel loop (a PV guest's system calls go
  // through Xen). Call it when fd() polled readable or to wait forever.
  Status ProcessNext();
  // The accumulated status; clears signaled_by.
  SignalStatus TakeStatus();
  SignalStatus PeekStatus() const;
  // True when TakeStatus would report something new.
  bool HasNews() const { return signaled_by_ != 0 || attached_changed_; }
  Result<SignalReport> Signal(PeerSet targets);
  PeerSet PeersOfDomain(DomainId domain) const;
  PeerSet Reachable() const;

 private:
  struct Channel {
    schema::PeerRef peer;  // the attachment the channel goes to
    EventPort local_port = 0;
    bool offered = false;   // we allocated it (we are the lower index)
    bool sendable = false;  // the peer is known to listen on it
    bool awaiting_spurious = false;
  };

  PeerChannels(Platform& platform, uint32_t handle, uint32_t my_index,
               std::unique_ptr<EventChannels> channels)
      : platform_(platform),
        handle_(handle),
        my_index_(my_index),
        channels_(std::move(channels)) {}
  Status Refresh();
  // Waits (bounded) for the event binding raised on peer `index`'s new port,
  // then acknowledges the binding.
  void AbsorbSpuriousEvent(uint32_t index);
  void Acknowledge(uint32_t index);
  // One pending event: a signal, a binding's spurious event, or xenshmd's
  // control event (which only marks a refresh as needed).
  void HandleEvent(EventPort port);
  void Drop(uint32_t index);
  // Refresh when a control event asked for it.
  Status ApplyMembershipNews();
  std::string BackendMember(uint32_t index, std::string_view node) const;

  Platform& platform_;
  const uint32_t handle_;
  const uint32_t my_index_;
  std::unique_ptr<EventChannels> channels_;
  EventPort control_port_ = 0;
  schema::MemberList members_;         // attached peers by index (with us)
  std::map<uint32_t, Channel> peers_;  // channels by peer index
  PeerSet signaled_by_ = 0;
  bool attached_changed_ = true;  // the first status reports the members
  bool refresh_needed_ = false;
  static constexpr std::chrono::milliseconds kSpuriousWait{2000};
};

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_LIB_PEER_CHANNELS_H_
