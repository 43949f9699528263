// xenshm.h's clients and attach.
#include <cstring>
#include <memory>

#include "frontend/lib/attachment.h"
#include "frontend/lib/c_handles.h"
#include "frontend/lib/c_status.h"
#include "xenshm/xenshm.h"

namespace xenshm {
namespace {

// The fields of the first version of the options struct; a caller's
// struct_size must cover at least these.
constexpr size_t kOptionsV1Size =
    offsetof(xenshm_attach_options, timeout_ms) + sizeof(int32_t);

Result<AttachParams> ReadOptions(const xenshm_attach_options* options) {
  AttachParams params;
  if (options == nullptr) return params;
  if (options->struct_size < kOptionsV1Size) {
    return Error(Code::kInvalidArgument,
                 "attach options: struct_size " +
                     std::to_string(options->struct_size) +
                     " is too small (use xenshm_attach_options_init)");
  }
  if (options->mode != XENSHM_CREATE_OR_ATTACH &&
      options->mode != XENSHM_ATTACH_ONLY) {
    return Error(Code::kInvalidArgument, "attach options: unknown mode " +
                                             std::to_string(options->mode));
  }
  if (options->access != XENSHM_READ_WRITE &&
      options->access != XENSHM_READ_ONLY) {
    return Error(Code::kInvalidArgument, "attach options: unknown access " +
                                             std::to_string(options->access));
  }
  if (options->timeout_ms < 0) {
    return Error(Code::kInvalidArgument,
                 "attach options: negative timeout_ms " +
                     std::to_string(options->timeout_ms));
  }
  params.attach_only = options->mode == XENSHM_ATTACH_ONLY;
  params.read_only = options->access == XENSHM_READ_ONLY;
  if (options->use_handle) params.handle = options->handle;
  params.timeout = std::chrono::milliseconds(options->timeout_ms);
  return params;
}

}  // namespace

}  // namespace xenshm

extern "C" {

void xenshm_close(xenshm_client* client) { delete client; }

uint16_t xenshm_client_domain(const xenshm_client* client) {
  return client ? client->platform->self : 0;
}

void xenshm_attach_options_init(xenshm_attach_options* options) {
  if (options == nullptr) return;
  std::memset(options, 0, sizeof(*options));
  options->struct_size = sizeof(*options);
  options->mode = XENSHM_CREATE_OR_ATTACH;
  options->access = XENSHM_READ_WRITE;
  options->timeout_ms = 10000;
}

int xenshm_attach(xenshm_client* client, const char* name, uint64_t size,
                  const xenshm_attach_options* options, xenshm_region** out) {
  using namespace xenshm;
  return Guarded([&] {
    if (client == nullptr || name == nullptr || out == nullptr) {
      return Fail(Status(Code::kInvalidArgument,
                         "xenshm_attach: client, name and out must not be "
                         "NULL"));
    }
    auto params = ReadOptions(options);
    if (!params) return Fail(params.error());
    auto region = std::make_unique<xenshm_region>();
    region->platform = client->platform;
    auto attached = Attachment::Attach(*client->platform, name, size, *params);
    if (!attached) return Fail(attached.error());
    region->attachment = std::move(*attached);
    *out = region.release();
    return static_cast<int>(XENSHM_OK);
  });
}

}  // extern "C"
