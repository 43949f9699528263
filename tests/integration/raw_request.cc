#include "tests/integration/raw_request.h"

#include <gtest/gtest.h>

#include <optional>
#include <span>
#include <vector>

#include "base/numbers.h"
#include "tests/integration/eventually.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/grant_directory.h"

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

RawAttachment AttachRaw(Platform& process, const std::string& name,
                        uint32_t handle) {
  RawAttachment raw;
  XenStore& xs = *process.xenstore;
  const DomainId self = process.self;
  EXPECT_TRUE(Eventually(
      [&] { return xs.Read(kNoTransaction, schema::FrontendRoot(self)); }));
  EXPECT_TRUE(schema::WriteAttachRequest(
                  xs, kNoTransaction, self, handle,
                  {name, kPageSize, schema::AttachMode::kAttachOnly,
                   schema::Access::kReadWrite, std::nullopt})
                  .ok());
  EXPECT_TRUE(xs.Write(kNoTransaction,
                       schema::FrontendNode(self, handle, schema::kNodeState),
                       "3")
                  .ok());
  auto backend = [&](std::string_view node) {
    return xs.Read(kNoTransaction, schema::BackendNode(self, handle, node))
        .value_or("");
  };
  EXPECT_TRUE(Eventually([&] { return backend(schema::kNodeState) == "4"; }));
  auto channels = process.open_event_channels();
  auto port = schema::ParsePort(backend(schema::kNodeEventChannel));
  if (!channels || !port) {
    ADD_FAILURE() << "no control channel offered";
    return raw;
  }
  auto control = (*channels)->BindInterdomain(kDom0, *port);
  auto size =
      ParseDecimal(backend(schema::kNodeSize), schema::kMaxRegionBytes, "size");
  const uint64_t pages = size ? schema::PagesFor(*size) : 1;
  auto directory_refs = schema::ParseRefList(
      backend(schema::kNodeGrantDirectory), schema::GrantDirectoryPages(pages));
  if (!control || !directory_refs) {
    ADD_FAILURE() << "cannot bind the control channel or read the directory";
    return raw;
  }
  std::vector<GrantRef> refs;
  {
    auto directory = process.grant_mapper->Map(kDom0, *directory_refs, false);
    if (!directory) {
      ADD_FAILURE() << directory.error().ToString();
      return raw;
    }
    auto listed = schema::ReadGrantDirectory(
        std::span(static_cast<const std::byte*>((*directory)->data()),
                  (*directory)->size()),
        pages);
    if (!listed) {
      ADD_FAILURE() << listed.error().ToString();
      return raw;
    }
    refs = std::move(*listed);
  }
  UnmapNotify notify;
  notify.port = *control;
  auto mapping = process.grant_mapper->Map(kDom0, refs, true, notify);
  if (!mapping) {
    ADD_FAILURE() << mapping.error().ToString();
    return raw;
  }
  EXPECT_TRUE(
      xs.Write(kNoTransaction,
               schema::FrontendNode(self, handle, schema::kNodeControlPort),
               std::to_string(*control))
          .ok());
  EXPECT_TRUE(xs.Write(kNoTransaction,
                       schema::FrontendNode(self, handle, schema::kNodeState),
                       "4")
                  .ok());
  raw.channels = std::move(*channels);
  raw.mapping = std::move(*mapping);
  raw.control_port = *control;
  return raw;
}

}  // namespace xenshm::testing
