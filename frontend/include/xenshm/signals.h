// Signal vocabulary of libxenshm: peer sets, what a sender learns, and the
// QNX-like status word a receiver reads.
#ifndef XENSHM_FRONTEND_SIGNALS_H_
#define XENSHM_FRONTEND_SIGNALS_H_

#include <cstdint>

namespace xenshm {

// A set of peer indices: bit i is peer i (a region has at most 64 peers).
using PeerSet = uint64_t;
// Everyone but me (QNX's ~0).
inline constexpr PeerSet kAllPeers = ~PeerSet{0};

inline constexpr PeerSet PeerBit(uint32_t index) { return PeerSet{1} << index; }

// What a sender learns: `reached` peers got an interrupt; `missed` were
// asked for but are not attached, are this peer itself, or have no channel
// to it (yet, or by policy). For kAllPeers, missed holds only peers that
// are attached but could not be reached.
struct SignalReport {
  PeerSet reached = 0;
  PeerSet missed = 0;
};

// What a receiver sees: who signaled it since it last looked, and who is
// attached now (itself included). Any change of either wakes its fd.
struct SignalStatus {
  PeerSet signaled_by = 0;
  PeerSet attached = 0;
};

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_SIGNALS_H_
