// xenshmctl_status_sample EMPTY.json BUSY.json: `xenshmctl status --json`
// as xenshmctl renders it from the registry that xenshmd's real core
// publishes, over the fake hypervisor: first with nothing attached, then
// with two guests sharing one region and one guest alone in another. The
// schema test (tools/xenshmctl/status_json_schema_test.sh) validates both.
// Exits 1 if the busy registry does not show what was attached, so an
// empty document can never pass for a busy one.
#include <fstream>
#include <iostream>
#include <string>

#include "tests/integration/fake_xen_system.h"
#include "tools/xenshmctl/status_json.h"
#include "tools/xenshmctl/status_report.h"

namespace xenshm::testing {
namespace {

ctl::StatusReport Report(FakeXenSystem& system, XenStore& xenstore) {
  ctl::StatusReport report;
  report.module_abi = "ABI 2 (fake)";
  report.counts = system.counts();
  report.budget = {64, 512, 32768, report.counts.grants, 30000, 1024};
  report.usage = ctl::ReadUsage(xenstore).value();
  report.regions = ctl::ReadRegions(xenstore).value();
  return report;
}

bool WriteFile(const char* path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  return static_cast<bool>(out);
}

int Run(const char* empty_path, const char* busy_path) {
  FakeXenSystem system;
  XenStore& dom0 = *system.OpenProcess(kDom0).xenstore;
  if (!WriteFile(empty_path, ctl::RenderStatusJson(Report(system, dom0)))) {
    return 1;
  }
  auto a = system.NewClient(1).Attach("cam.0", 4 * kPageSize);
  auto b = system.NewClient(2).Attach("cam.0", 4 * kPageSize);
  auto c = system.NewClient(2).Attach("log", kPageSize);
  if (!a || !b || !c) {
    std::cerr << "attach failed\n";
    return 1;
  }
  const ctl::StatusReport busy = Report(system, dom0);
  if (busy.regions.size() != 2 || busy.regions[0].name != "cam.0" ||
      busy.regions[0].peers.size() != 2 || !busy.regions[0].size ||
      busy.usage.empty()) {
    std::cerr << "the registry does not show what was attached\n";
    return 1;
  }
  return WriteFile(busy_path, ctl::RenderStatusJson(busy)) ? 0 : 1;
}

}  // namespace
}  // namespace xenshm::testing

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: xenshmctl_status_sample EMPTY.json BUSY.json\n";
    return 2;
  }
  return xenshm::testing::Run(argv[1], argv[2]);
}
