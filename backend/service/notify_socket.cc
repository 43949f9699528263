#include "backend/service/notify_socket.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>

namespace xenshm::service {

Status NotifyServiceManagerAt(const char* notify_socket,
                              std::string_view state) {
  if (notify_socket == nullptr || notify_socket[0] == '\0') {
    return Status::Ok();
  }
  const std::string_view name(notify_socket);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  socklen_t addr_len = 0;
  if (name[0] == '/') {
    // A path: NUL-terminated inside sun_path.
    if (name.size() >= sizeof(addr.sun_path)) {
      return Status(
          Code::kInvalidArgument,
          "NOTIFY_SOCKET path is too long for AF_UNIX: " + std::string(name));
    }
    std::memcpy(addr.sun_path, name.data(), name.size());
    addr_len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) +
                                      name.size() + 1);
  } else if (name[0] == '@') {
    // The abstract namespace: a leading NUL, and the address is exactly as
    // long as the name (no terminating NUL).
    if (name.size() > sizeof(addr.sun_path)) {
      return Status(
          Code::kInvalidArgument,
          "NOTIFY_SOCKET name is too long for AF_UNIX: " + std::string(name));
    }
    addr.sun_path[0] = '\0';
    std::memcpy(addr.sun_path + 1, name.data() + 1, name.size() - 1);
    addr_len =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
  } else {
    return Status(Code::kInvalidArgument,
                  "NOTIFY_SOCKET is neither a path nor an abstract socket "
                  "('@...'): " +
                      std::string(name));
  }
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return StatusFromErrno(errno, "notify socket");
  const ssize_t sent =
      sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
             reinterpret_cast<const sockaddr*>(&addr), addr_len);
  const int err = errno;
  close(fd);
  if (sent < 0) {
    return StatusFromErrno(err, "send to NOTIFY_SOCKET " + std::string(name));
  }
  if (static_cast<size_t>(sent) != state.size()) {
    return Status(Code::kIoError,
                  "short send to NOTIFY_SOCKET " + std::string(name));
  }
  return Status::Ok();
}

Status NotifyServiceManager(std::string_view state) {
  return NotifyServiceManagerAt(std::getenv("NOTIFY_SOCKET"), state);
}

std::string ReloadingState() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);
  const unsigned long long usec =
      static_cast<unsigned long long>(now.tv_sec) * 1000000ull +
      static_cast<unsigned long long>(now.tv_nsec) / 1000ull;
  return "RELOADING=1\nMONOTONIC_USEC=" + std::to_string(usec);
}

}  // namespace xenshm::service
