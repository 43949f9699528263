// Telling systemd how xenshmd is doing: the $NOTIFY_SOCKET datagram
// protocol of sd_notify(3) ("READY=1", "RELOADING=1", "STOPPING=1", ...).
//
// Our own few lines, not libsystemd's sd_notify(): the protocol is small,
// documented and stable (one AF_UNIX datagram of newline-separated
// KEY=VALUE assignments to the socket named in $NOTIFY_SOCKET, a path or,
// with a leading '@', an abstract-namespace name), while linking
// libsystemd would make xenshmd need libsystemd0 on every dom0, and the
// lab's dom0 image (tools/lab/lib/packages.sh: the library closure of the
// Xen packages) has no libsystemd0 to give it. systemd sees the sender's
// pid through SO_PASSCRED on its socket; the main process sends, as
// NotifyAccess=main (the default) wants.
#ifndef XENSHM_BACKEND_SERVICE_NOTIFY_SOCKET_H_
#define XENSHM_BACKEND_SERVICE_NOTIFY_SOCKET_H_

#include <string>
#include <string_view>

#include "base/status.h"

namespace xenshm::service {

// Sends `state` in one datagram to the socket `notify_socket` names (the
// value of $NOTIFY_SOCKET). nullptr or "" is not running under a service
// manager: Ok, nothing is sent. kInvalidArgument for an address that is
// neither "/path" nor "@name" (systemd 254's "vsock:" included) or does not
// fit a sockaddr_un; the errno of socket() or sendto() otherwise.
Status NotifyServiceManagerAt(const char* notify_socket,
                              std::string_view state);

// NotifyServiceManagerAt($NOTIFY_SOCKET, state).
Status NotifyServiceManager(std::string_view state);

// "RELOADING=1" with MONOTONIC_USEC= (CLOCK_MONOTONIC now, in microseconds),
// as sd_notify(3) asks of a reload since systemd 253 (older ones ignore the
// extra field); a READY=1 must follow when the reload is done.
std::string ReloadingState();

}  // namespace xenshm::service

#endif  // XENSHM_BACKEND_SERVICE_NOTIFY_SOCKET_H_
