// xenshmctl: what xenshm holds in this dom0, for administrators.
//
//   xenshmctl status     the kernel module's interface (ABI) and counts,
//                        dom0's grant budget
//                        (and how to raise it), and every live region with
//                        its size, owner, group, mode and peers, and each
//                        guest's usage against its quotas
//   xenshmctl budget MIB GUESTS
//                        the grant entries a region of MIB MiB (1..1024)
//                        shared with GUESTS guests (1..64) needs, and
//                        whether it fits now
// Exit status: 0 ok, 1 an error, 2 usage (including a malformed number),
// 3 the budget does not fit.
#include <cstdio>
#include <string>
#include <string_view>

#include "backend/core/grant_ledger.h"
#include "base/numbers.h"
#include "platform/real/kmod_region_granter.h"
#include "platform/real/real_xenstore.h"
#include "uapi/xenshm_uapi.h"
#include "xenstore-schema/schema.h"

namespace xenshm {
namespace {

int Fail(const Status& status) {
  std::fprintf(stderr, "xenshmctl: %s\n", status.ToString().c_str());
  return 1;
}

int Usage() {
  std::fprintf(stderr, "usage: xenshmctl status | budget MIB GUESTS\n");
  return 2;
}

// A count from the command line: strict decimal, 1..max.
Result<uint64_t> ParseCount(std::string_view text, uint64_t max,
                            std::string_view what) {
  auto count = ParseDecimal(text, max, what);
  if (count && *count == 0) {
    return Error(Code::kInvalidArgument,
                 std::string(what) + " must be at least 1");
  }
  return count;
}

int BadNumber(const Status& status) {
  std::fprintf(stderr, "xenshmctl: %s\n", status.message().c_str());
  return Usage();
}

// A region's registry attribute, or "-" when it has none.
std::string Attribute(XenStore& xenstore, const std::string& region_path,
                      std::string_view node) {
  return xenstore.Read(kNoTransaction, region_path + "/" + std::string(node))
      .value_or("-");
}

int PrintBudget(KmodRegionGranter& granter) {
  auto budget = granter.Budget();
  if (!budget) return Fail(budget.error());
  std::printf(
      "grant table: %u frames x %u entries = %llu entries; xenshm holds %llu; "
      "about %llu free (xenshmd keeps %llu for dom0's own drivers)\n",
      budget->max_frames, budget->entries_per_frame,
      static_cast<unsigned long long>(budget->max_entries),
      static_cast<unsigned long long>(budget->module_entries),
      static_cast<unsigned long long>(budget->free_estimate),
      static_cast<unsigned long long>(backend::kGrantReserve));
  std::printf(
      "to raise it: Xen boot option gnttab_max_frames=N (now %u); each frame "
      "adds %u entries\n",
      budget->max_frames, budget->entries_per_frame);
  return 0;
}

// Each domain's usage against its quota, as xenshmd publishes it.
void PrintUsage(XenStore& xenstore) {
  auto domains = xenstore.List(kNoTransaction, schema::UsageRoot());
  if (!domains || domains->empty()) {
    std::printf("quota usage: no guest holds anything\n");
    return;
  }
  for (const std::string& domain : *domains) {
    auto line =
        xenstore.Read(kNoTransaction, schema::UsageRoot() + "/" + domain);
    std::printf("domain %s: %s\n", domain.c_str(), line ? line->c_str() : "?");
  }
}

int PrintStatus(KmodRegionGranter& granter, XenStore& xenstore) {
  auto counts = granter.Counts();
  if (!counts) return Fail(counts.error());
  std::printf("module interface: %s\n", DescribeKmodAbi(granter.abi()).c_str());
  std::printf(
      "module: %llu regions, %llu pages, %llu grants, %llu deferred frees\n",
      static_cast<unsigned long long>(counts->regions),
      static_cast<unsigned long long>(counts->pages),
      static_cast<unsigned long long>(counts->grants),
      static_cast<unsigned long long>(counts->deferred_frees));
  if (int failed = PrintBudget(granter); failed != 0) return failed;
  PrintUsage(xenstore);
  auto names = xenstore.List(kNoTransaction, schema::RegistryRoot());
  if (!names || names->empty()) {
    std::printf("regions: none\n");
    return 0;
  }
  for (const std::string& name : *names) {
    const std::string path = schema::RegistryPath(name);
    std::string line =
        "region '" + schema::RegionNameOfRegistryKey(name) + "': size " +
        Attribute(xenstore, path, schema::kRegistrySize) + ", owner dom" +
        Attribute(xenstore, path, schema::kRegistryOwner) + ", group " +
        Attribute(xenstore, path, schema::kRegistryGid) + ", mode " +
        Attribute(xenstore, path, schema::kRegistryMode) + ", peers";
    const std::string peers_path = path + "/" + std::string(schema::kNodePeers);
    auto peers = xenstore.List(kNoTransaction, peers_path);
    if (!peers || peers->empty()) line += " none";
    for (const std::string& index :
         peers.value_or(std::vector<std::string>{})) {
      auto value = xenstore.Read(kNoTransaction, peers_path + "/" + index);
      auto peer = value ? schema::ParsePeerRef(*value)
                        : Result<schema::PeerRef>(Error(value.error()));
      line += " " + index + "=" +
              (peer ? "dom" + schema::FormatPeerRef(*peer)
                    : "? (" + peer.error().message() + ")");
    }
    std::printf("%s\n", line.c_str());
  }
  return 0;
}

int Budget(KmodRegionGranter& granter, uint64_t mib, uint64_t guests) {
  const uint64_t needed =
      backend::GrantEntriesFor((mib << 20) / kPageSize) * guests;
  auto budget = granter.Budget();
  if (!budget) return Fail(budget.error());
  Status fits = backend::CheckGrantTable(
      {budget->free_estimate, budget->entries_per_frame}, needed);
  std::printf("%llu MiB shared with %llu guests needs %llu grant entries: %s\n",
              static_cast<unsigned long long>(mib),
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
  if (command != "status" && !(command == "budget" && argc == 4)) {
    return xenshm::Usage();
  }
  // Numbers are checked before anything is opened: a typo is a usage
  // error, not a budget of 0.
  xenshm::Result<uint64_t> mib = 0;
  xenshm::Result<uint64_t> guests = 0;
  if (command == "budget") {
    mib = xenshm::ParseCount(argv[2], xenshm::schema::kMaxRegionBytes >> 20,
                             "MIB");
    if (!mib) return xenshm::BadNumber(mib.error());
    guests = xenshm::ParseCount(argv[3], xenshm::schema::kMaxPeers, "GUESTS");
    if (!guests) return xenshm::BadNumber(guests.error());
  }
  auto granter = xenshm::KmodRegionGranter::Open(XENSHM_DEVICE_PATH);
  if (!granter) return xenshm::Fail(granter.error());
  if (command == "budget") return xenshm::Budget(**granter, *mib, *guests);
  auto xenstore = xenshm::RealXenStore::Open();
  if (!xenstore) return xenshm::Fail(xenstore.error());
  return xenshm::PrintStatus(**granter, **xenstore);
}
