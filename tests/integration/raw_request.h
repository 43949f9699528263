// A request written raw into xenstore, as a hostile guest (or a test that
// must see the backend's very nodes) writes it, and the answer read back
// from the backend's status and message nodes.
#ifndef XENSHM_TESTS_INTEGRATION_RAW_REQUEST_H_
#define XENSHM_TESTS_INTEGRATION_RAW_REQUEST_H_

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "base/types.h"
#include "platform/platform.h"
#include "platform/xenstore.h"
#include "xenstore-schema/schema.h"

namespace xenshm::testing {

struct Answer {
  std::string status;   // "(none)" if absent
  std::string message;  // "(none)" if absent
  friend bool operator==(const Answer&, const Answer&) = default;
};

std::ostream& operator<<(std::ostream& os, const Answer& answer);

struct RawRequest {
  std::string name;
  uint64_t size = kPageSize;
  schema::AttachMode mode = schema::AttachMode::kCreateOrAttach;
  schema::Access access = schema::Access::kReadWrite;
};

// Writes `request` from `domain` (whose connection is `xs`) on `handle`,
// waits until xenshmd answers it Closed or Connected, and returns the
// answer. Then, as a library does, withdraws a refused request, and says
// Connected for an accepted one (`keep`) or withdraws it too.
Answer AskRaw(XenStore& xs, DomainId domain, uint32_t handle,
              const RawRequest& request, bool keep = false);

// A guest process's attachment of an existing region, made raw
// the way libxenshm makes it: request, control channel bound, grant
// directory read, region mapped with gntdev's unmap-notify on the control
// channel, control-port written, Connected said. A test "kills the
// process" by resetting `mapping` (the kernel unmaps and notifies) and
// `channels` (its ports close). Empty pointers if a step failed (the
// failure is reported).
struct RawAttachment {
  std::unique_ptr<EventChannels> channels;
  std::unique_ptr<GrantMapping> mapping;
  EventPort control_port = 0;
};
RawAttachment AttachRaw(Platform& process, const std::string& name,
                        uint32_t handle);

}  // namespace xenshm::testing

#endif  // XENSHM_TESTS_INTEGRATION_RAW_REQUEST_H_
