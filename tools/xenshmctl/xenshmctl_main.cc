// xenshmctl: what xenshm holds in this dom0, for administrators
// (docs/man/xenshmctl.8).
//
//   xenshmctl status [--json]
//                        the kernel module's interface (ABI) and counts,
//                        dom0's grant budget (and how to raise it), each
//                        guest's usage against its quotas, and every live
//                        region with its size, owner, group, mode and peers;
//                        --json: the same as one JSON document
//                        (docs/xenshmctl-status.schema.json)
//   xenshmctl budget SIZE GUESTS
//                        the grant entries a region of SIZE bytes (4K..1G,
//                        as base/numbers.h's ParseByteSize reads it: 16M,
//                        0x1000000, 16777216) shared with GUESTS guests
//                        (1..64) needs, and whether it fits now
//   xenshmctl --help
// Exit status: 0 ok, 1 an error, 2 usage (including a malformed number),
// 3 the budget does not fit.
#include <cstdio>
#include <string>
#include <string_view>

#include "backend/core/grant_ledger.h"
#include "base/numbers.h"
#include "platform/real/kmod_region_granter.h"
#include "platform/real/real_xenstore.h"
#include "tools/xenshmctl/status_json.h"
#include "tools/xenshmctl/status_report.h"
#include "tools/xenshmctl/status_text.h"
#include "uapi/xenshm_uapi.h"
#include "xenstore-schema/schema.h"

namespace xenshm {
namespace {

constexpr char kUsage[] =
    "usage: xenshmctl status [--json]\n"
    "       xenshmctl budget SIZE GUESTS\n"
    "       xenshmctl --help\n"
    "SIZE: bytes, 0x hex bytes, or a number with K, M or G (binary), e.g. "
    "16M; at least 4K, at most 1G\n";

int Fail(const Status& status) {
  std::fprintf(stderr, "xenshmctl: %s\n", status.ToString().c_str());
  return 1;
}

int Usage() {
  std::fputs(kUsage, stderr);
  return 2;
}

int BadNumber(const Status& status) {
  std::fprintf(stderr, "xenshmctl: %s\n", status.message().c_str());
  return Usage();
}

// A region size for `budget`: at least one page. Old scripts wrote a bare
// number of MiB ("budget 16 4"); every such number is now less than a page
// and refused, rather than silently read as bytes.
Result<uint64_t> ParseBudgetSize(std::string_view text) {
  auto size = ParseByteSize(text, schema::kMaxRegionBytes, "SIZE");
  if (size && *size < kPageSize) {
    return Error(Code::kInvalidArgument,
                 "SIZE " + std::string(text) +
                     " is less than a page (4096 bytes); SIZE is in bytes, "
                     "write e.g. " +
                     std::string(text) + "M for MiB");
  }
  return size;
}

Result<uint64_t> ParseGuests(std::string_view text) {
  auto guests = ParseDecimal(text, schema::kMaxPeers, "GUESTS");
  if (guests && *guests == 0) {
    return Error(Code::kInvalidArgument, "GUESTS must be at least 1");
  }
  return guests;
}

Result<ctl::GrantBudgetReport> ReadBudget(KmodRegionGranter& granter) {
  auto budget = granter.Budget();
  if (!budget) return Error(budget.error());
  return ctl::GrantBudgetReport{
      .max_frames = budget->max_frames,
      .entries_per_frame = budget->entries_per_frame,
      .max_entries = budget->max_entries,
      .module_entries = budget->module_entries,
      .free_estimate = budget->free_estimate,
      .reserve = backend::kGrantReserve,
  };
}

int PrintStatus(KmodRegionGranter& granter, XenStore& xenstore, bool json) {
  ctl::StatusReport report;
  report.module_abi = DescribeKmodAbi(granter.abi());
  auto counts = granter.Counts();
  if (!counts) return Fail(counts.error());
  report.counts = *counts;
  auto budget = ReadBudget(granter);
  if (!budget) return Fail(budget.error());
  report.budget = *budget;
  auto usage = ctl::ReadUsage(xenstore);
  if (!usage) return Fail(usage.error());
  report.usage = std::move(*usage);
  auto regions = ctl::ReadRegions(xenstore);
  if (!regions) return Fail(regions.error());
  report.regions = std::move(*regions);
  const std::string out =
      json ? ctl::RenderStatusJson(report) : ctl::RenderStatusText(report);
  std::fputs(out.c_str(), stdout);
  return 0;
}

int Budget(KmodRegionGranter& granter, uint64_t size, uint64_t guests) {
  const uint64_t pages = (size + kPageSize - 1) / kPageSize;
  const uint64_t needed = backend::GrantEntriesFor(pages) * guests;
  auto budget = granter.Budget();
  if (!budget) return Fail(budget.error());
  Status fits = backend::CheckGrantTable(
      {budget->free_estimate, budget->entries_per_frame}, needed);
  std::printf("%s shared with %llu guests needs %llu grant entries: %s\n",
              FormatByteSize(size).c_str(),
              static_cast<unsigned long long>(guests),
              static_cast<unsigned long long>(needed),
              fits.ok() ? "fits now" : fits.message().c_str());
  std::printf(
      "it needs gnttab_max_frames >= %llu on its own (plus what dom0's other "
      "drivers use)\n",
      static_cast<unsigned long long>(backend::GrantFramesFor(
          needed + backend::kGrantReserve, budget->entries_per_frame)));
  return fits.ok() ? 0 : 3;
}

}  // namespace
}  // namespace xenshm

int main(int argc, char** argv) {
  std::string_view command = argc >= 2 ? argv[1] : "";
  if ((command == "--help" || command == "-h") && argc == 2) {
    std::fputs(xenshm::kUsage, stdout);
    return 0;
  }
  const bool json =
      command == "status" && argc == 3 && std::string_view(argv[2]) == "--json";
  if (!(command == "status" && (argc == 2 || json)) &&
      !(command == "budget" && argc == 4)) {
    return xenshm::Usage();
  }
  // Numbers are checked before anything is opened: a typo is a usage
  // error, not a budget of 0.
  uint64_t size = 0;
  uint64_t guests = 0;
  if (command == "budget") {
    auto parsed_size = xenshm::ParseBudgetSize(argv[2]);
    if (!parsed_size) return xenshm::BadNumber(parsed_size.error());
    auto parsed_guests = xenshm::ParseGuests(argv[3]);
    if (!parsed_guests) return xenshm::BadNumber(parsed_guests.error());
    size = *parsed_size;
    guests = *parsed_guests;
  }
  auto granter = xenshm::KmodRegionGranter::Open(XENSHM_DEVICE_PATH);
  if (!granter) return xenshm::Fail(granter.error());
  if (command == "budget") return xenshm::Budget(**granter, size, guests);
  auto xenstore = xenshm::RealXenStore::Open();
  if (!xenstore) return xenshm::Fail(xenstore.error());
  return xenshm::PrintStatus(**granter, **xenstore, json);
}
