#include "tests/integration/raw_request.h"

#include <gtest/gtest.h>

#include <optional>

#include "tests/integration/eventually.h"
#include "xenstore-schema/attach_request.h"

namespace xenshm::testing {

std::ostream& operator<<(std::ostream& os, const Answer& answer) {
  return os << answer.status << ": " << answer.message;
}

Answer AskRaw(XenStore& xs, DomainId domain, uint32_t handle,
              const RawRequest& request, bool keep) {
  EXPECT_TRUE(Eventually(
      [&] { return xs.Read(kNoTransaction, schema::FrontendRoot(domain)); }));
  EXPECT_TRUE(
      schema::WriteAttachRequest(xs, kNoTransaction, domain, handle,
                                 {request.name, request.size, request.mode,
                                  request.access, std::nullopt})
          .ok());
  EXPECT_TRUE(xs.Write(kNoTransaction,
                       schema::FrontendNode(domain, handle, schema::kNodeState),
                       "3")
                  .ok());
  auto backend = [&](std::string_view node) {
    return xs.Read(kNoTransaction, schema::BackendNode(domain, handle, node))
        .value_or("(none)");
  };
  EXPECT_TRUE(Eventually([&] {
    const std::string state = backend(schema::kNodeState);
    return state == "6" || state == "4";  // Closed, or Connected
  })) << "domain "
      << domain << " '" << request.name << "'";
  Answer answer{backend(schema::kNodeStatus), backend(schema::kNodeMessage)};
  if (keep && answer.status == "ok") {
    EXPECT_TRUE(
        xs.Write(kNoTransaction,
                 schema::FrontendNode(domain, handle, schema::kNodeState), "4")
            .ok());
  } else {
    // Withdrawn, so the asker stays within its quota of pending requests.
    (void)xs.Remove(kNoTransaction, schema::FrontendPath(domain, handle));
  }
  return answer;
}

}  // namespace xenshm::testing
