// xenshmctl: what xenshm holds in this dom0, for administrators.
//
//   xenshmctl status     the kernel module's counts, dom0's grant budget
//                        (and how to raise it), and every live region with
//                        its size, owner, group, mode and peers
//   xenshmctl budget MIB GUESTS
//                        the grant entries a region of MIB MiB shared with
//                        GUESTS guests needs, and whether it fits now
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "backend/core/grant_ledger.h"
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

int PrintStatus(KmodRegionGranter& granter, XenStore& xenstore) {
  auto counts = granter.Counts();
  if (!counts) return Fail(counts.error());
  std::printf(
      "module: %llu regions, %llu pages, %llu grants, %llu deferred frees\n",
      static_cast<unsigned long long>(counts->regions),
      static_cast<unsigned long long>(counts->pages),
      static_cast<unsigned long long>(counts->grants),
      static_cast<unsigned long long>(counts->deferred_frees));
  if (int failed = PrintBudget(granter); failed != 0) return failed;
  auto names = xenstore.List(kNoTransaction, schema::RegistryRoot());
  if (!names || names->empty()) {
    std::printf("regions: none\n");
    return 0;
  }
  for (const std::string& name : *names) {
    const std::string path = schema::RegistryPath(name);
    auto read = [&](const std::string& node) {
      return xenstore.Read(kNoTransaction, path + "/" + node).value_or("-");
    };
    std::string line = "region '" + name + "': size " + read("size") +
                       ", owner dom" + read("owner") + ", group " +
                       read("gid") + ", mode " + read("mode") + ", peers";
    auto peers = xenstore.List(kNoTransaction, path + "/peers");
    if (!peers || peers->empty()) line += " none";
    for (const std::string& index :
         peers.value_or(std::vector<std::string>{})) {
      line += " " + index + "=dom" + read("peers/" + index);
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
    std::fprintf(stderr, "usage: xenshmctl status | budget MIB GUESTS\n");
    return 2;
  }
  auto granter = xenshm::KmodRegionGranter::Open(XENSHM_DEVICE_PATH);
  if (!granter) return xenshm::Fail(granter.error());
  if (command == "budget") {
    return xenshm::Budget(**granter, std::strtoull(argv[2], nullptr, 10),
                          std::strtoull(argv[3], nullptr, 10));
  }
  auto xenstore = xenshm::RealXenStore::Open();
  if (!xenstore) return xenshm::Fail(xenstore.error());
  return xenshm::PrintStatus(**granter, **xenstore);
}
