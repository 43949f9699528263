#include "tests/fake_hypervisor/fault_injector.h"

#include <string>

namespace xenshm::fake {

std::string_view OpName(Op op) {
  switch (op) {
    case Op::kXsRead:
      return "xs-read";
    case Op::kXsWrite:
      return "xs-write";
    case Op::kXsMkdir:
      return "xs-mkdir";
    case Op::kXsRemove:
      return "xs-remove";
    case Op::kXsSetPermissions:
      return "xs-set-permissions";
    case Op::kXsTransactionStart:
      return "xs-transaction-start";
    case Op::kXsTransactionEnd:
      return "xs-transaction-end";
    case Op::kXsWatch:
      return "xs-watch";
    case Op::kXsList:
      return "xs-directory";
    case Op::kXsGetPermissions:
      return "xs-get-permissions";
    case Op::kRegionAllocate:
      return "region-allocate";
    case Op::kGrant:
      return "grant";
    case Op::kGrantMap:
      return "grant-map";
    case Op::kEvtchnAllocate:
      return "evtchn-allocate";
    case Op::kEvtchnBind:
      return "evtchn-bind";
    case Op::kEvtchnNotify:
      return "evtchn-notify";
    case Op::kEvtchnRead:
      return "evtchn-read";
  }
  return "unknown-op";
}

void FaultInjector::FailNth(Op op, int nth, Code code,
                            std::optional<DomainId> domain) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(Fault{op, nth < 1 ? 1 : nth, code, domain});
}

void FaultInjector::FailAll(Op op, Code code, std::optional<DomainId> domain) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(Fault{op, 1, code, domain, /*every=*/true});
}

void FaultInjector::Clear() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

uint64_t FaultInjector::Calls(Op op, std::optional<DomainId> domain) {
  std::lock_guard<std::mutex> lock(mu_);
  uint64_t calls = 0;
  for (const auto& [key, count] : calls_) {
    if (key.first == op && (!domain || key.second == *domain)) calls += count;
  }
  return calls;
}

std::optional<Status> FaultInjector::Check(Op op, DomainId domain) {
  std::lock_guard<std::mutex> lock(mu_);
  ++calls_[{op, domain}];
  std::optional<Status> result;
  for (auto it = faults_.begin(); it != faults_.end();) {
    if (it->op != op || (it->domain && *it->domain != domain)) {
      ++it;
      continue;
    }
    if (!it->every && --it->remaining > 0) {
      ++it;
      continue;
    }
    if (!result) {
      result = Status(it->code, "injected fault in " + std::string(OpName(op)) +
                                    " by domain " + std::to_string(domain));
    }
    it = it->every ? it + 1 : faults_.erase(it);
  }
  return result;
}

}  // namespace xenshm::fake
