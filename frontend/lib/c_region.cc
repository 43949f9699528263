// xenshm.h's region calls: detach, accessors, peers and signals.
#include <cerrno>

#include "frontend/lib/attachment.h"
#include "frontend/lib/c_handles.h"
#include "frontend/lib/c_status.h"
#include "xenshm/xenshm.h"

namespace xenshm {
namespace {

int NullRegion(const char* call) {
  return Fail(
      Status(Code::kInvalidArgument, std::string(call) + ": region is NULL"));
}

int NullOut(const char* call) {
  return Fail(Status(Code::kInvalidArgument,
                     std::string(call) + ": out parameter is NULL"));
}

void CopyReport(const SignalReport& from, xenshm_signal_report* to) {
  if (to == nullptr) return;
  to->reached = from.reached;
  to->missed = from.missed;
}

void CopyStatus(const SignalStatus& from, xenshm_signal_status* to) {
  to->signaled_by = from.signaled_by;
  to->attached = from.attached;
}

// The calls that return a SignalStatus into an out parameter.
template <typename F>
int StatusCall(const char* call, xenshm_region* region,
               xenshm_signal_status* out, F&& take) {
  return Guarded([&] {
    if (region == nullptr) return NullRegion(call);
    if (out == nullptr) return NullOut(call);
    Result<SignalStatus> status = take(*region->attachment);
    if (!status) return Fail(status.error());
    CopyStatus(*status, out);
    return static_cast<int>(XENSHM_OK);
  });
}

}  // namespace
}  // namespace xenshm

extern "C" {

int xenshm_detach(xenshm_region* region) {
  using namespace xenshm;
  return Guarded([&] {
    if (region == nullptr) return NullRegion("xenshm_detach");
    Status detached = region->attachment->Detach();
    return detached.ok() ? static_cast<int>(XENSHM_OK) : Fail(detached);
  });
}

void xenshm_region_free(xenshm_region* region) {
  // ~Attachment detaches; it allocates nothing that can fail loudly, but a
  // destructor must not let an exception reach C either.
  try {
    delete region;
  } catch (...) {
  }
}

const char* xenshm_region_name(const xenshm_region* region) {
  return region ? region->attachment->name().c_str() : nullptr;
}

uint64_t xenshm_region_size(const xenshm_region* region) {
  return region ? region->attachment->size() : 0;
}

void* xenshm_region_data(const xenshm_region* region) {
  return region ? region->attachment->data() : nullptr;
}

uint32_t xenshm_region_peer_index(const xenshm_region* region) {
  return region ? region->attachment->peer_index() : 0;
}

uint32_t xenshm_region_handle(const xenshm_region* region) {
  return region ? region->attachment->handle() : 0;
}

int xenshm_region_writable(const xenshm_region* region) {
  return region && region->attachment->writable() ? 1 : 0;
}

int xenshm_peers(const xenshm_region* region, xenshm_peer_info* peers,
                 size_t capacity, size_t* count) {
  using namespace xenshm;
  return Guarded([&] {
    if (region == nullptr) return NullRegion("xenshm_peers");
    if (count == nullptr) return NullOut("xenshm_peers");
    if (peers == nullptr && capacity != 0) {
      return Fail(Status(Code::kInvalidArgument,
                         "xenshm_peers: peers is NULL but capacity is " +
                             std::to_string(capacity)));
    }
    auto listed = region->attachment->Peers();
    if (!listed) return Fail(listed.error());
    if (listed->size() > capacity) {
      *count = listed->size();
      return Fail(Status(Code::kInvalidArgument,
                         "xenshm_peers: " + std::to_string(listed->size()) +
                             " peers, room for " + std::to_string(capacity)),
                  ERANGE);
    }
    for (size_t i = 0; i < listed->size(); ++i) {
      peers[i] = {(*listed)[i].index, (*listed)[i].domain, (*listed)[i].handle};
    }
    *count = listed->size();
    return static_cast<int>(XENSHM_OK);
  });
}

int xenshm_signal(xenshm_region* region, xenshm_peer_set targets,
                  xenshm_signal_report* report) {
  using namespace xenshm;
  return Guarded([&] {
    if (region == nullptr) return NullRegion("xenshm_signal");
    auto sent = region->attachment->Signal(targets);
    if (!sent) return Fail(sent.error());
    CopyReport(*sent, report);
    return static_cast<int>(XENSHM_OK);
  });
}

int xenshm_signal_domain(xenshm_region* region, uint16_t domain,
                         xenshm_signal_report* report) {
  using namespace xenshm;
  return Guarded([&] {
    if (region == nullptr) return NullRegion("xenshm_signal_domain");
    auto sent = region->attachment->SignalDomain(domain);
    if (!sent) return Fail(sent.error());
    CopyReport(*sent, report);
    return static_cast<int>(XENSHM_OK);
  });
}

int xenshm_take_status(xenshm_region* region, xenshm_signal_status* status) {
  return xenshm::StatusCall(
      "xenshm_take_status", region, status,
      [](xenshm::Attachment& a) { return a.TakeStatus(); });
}

int xenshm_peek_status(xenshm_region* region, xenshm_signal_status* status) {
  return xenshm::StatusCall(
      "xenshm_peek_status", region, status,
      [](xenshm::Attachment& a) { return a.PeekStatus(); });
}

int xenshm_wait(xenshm_region* region, int timeout_ms,
                xenshm_signal_status* status) {
  return xenshm::StatusCall(
      "xenshm_wait", region, status, [&](xenshm::Attachment& a) {
        return a.Wait(timeout_ms < 0 ? std::nullopt
                                     : std::optional(std::chrono::milliseconds(
                                           timeout_ms)));
      });
}

int xenshm_event_fd(const xenshm_region* region) {
  int fd = region ? region->attachment->event_fd() : -1;
  if (fd < 0) errno = EINVAL;
  return fd;
}

int xenshm_reachable_peers(xenshm_region* region, xenshm_peer_set* reachable) {
  using namespace xenshm;
  return Guarded([&] {
    if (region == nullptr) return NullRegion("xenshm_reachable_peers");
    if (reachable == nullptr) return NullOut("xenshm_reachable_peers");
    auto set = region->attachment->ReachablePeers();
    if (!set) return Fail(set.error());
    *reachable = *set;
    return static_cast<int>(XENSHM_OK);
  });
}

}  // extern "C"
