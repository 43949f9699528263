// The QNX-style examples (frontend/examples/qnx_*_moo.c) run over the fake
// hypervisor: each program's main, unchanged, in its own "process" (the
// guest in domain 1, the host in dom0); only the two discovery calls are
// this test's, opening clients on the fake instead of the real platform.
#include <gtest/gtest.h>

#include <future>
#include <string>

#include "frontend/qnx/handles.h"
#include "tests/integration/eventually.h"
#include "tests/integration/qnx_system.h"

extern "C" int qnx_guest_moo_main(void);
extern "C" int qnx_host_moo_main(void);

namespace xenshm::testing {
namespace {

FakeXenSystem* fake_system = nullptr;

}  // namespace
}  // namespace xenshm::testing

// The discovery calls the examples make, over the fake hypervisor: what
// open_real.cc does over the real platform.
extern "C" guest_shm_factory* guest_shm_factory_open(void) {
  using namespace xenshm;
  return qnx::NewFactory(
      OpenClientOn(xenshm::testing::fake_system->OpenProcess(1)),
      /*owns=*/true);
}

extern "C" hyp_shm* hyp_shm_create(void) {
  using namespace xenshm;
  return qnx::NewHypShm(
      OpenClientOn(xenshm::testing::fake_system->OpenProcess(kDom0)),
      /*owns=*/true);
}

namespace xenshm::testing {
namespace {

class QnxExamples : public QnxSystemTest {
 protected:
  QnxExamples() { fake_system = &system_; }
  ~QnxExamples() override { fake_system = nullptr; }
};

TEST_F(QnxExamples, GuestAndHostExchangeMooAndNotifyEachOther) {
  ::testing::internal::CaptureStdout();
  // The guest first, so the host joins its region rather than creating it.
  auto guest =
      std::async(std::launch::async, [] { return qnx_guest_moo_main(); });
  ASSERT_TRUE(Eventually(
      [&] { return system_.DaemonRegions().Find("moo") != nullptr; }));
  auto host =
      std::async(std::launch::async, [] { return qnx_host_moo_main(); });
  const int guest_status = guest.get();
  const int host_status = host.get();
  const std::string out = ::testing::internal::GetCapturedStdout();
  EXPECT_EQ(guest_status, 0) << out;
  EXPECT_EQ(host_status, 0) << out;
  for (const char* line :
       {"ok created moo: index 0, 1 page(s)", "ok attached moo: index 1",
        "ok host attached: status 0x00030000",
        "ok notified: status 0x00030001 (notified by 0x0001, attached 0x0003)",
        "ok message: moo from the guest (index 0)",
        "ok notified: status 0x00030002 (notified by 0x0002, attached 0x0003)",
        "ok reply: moo from dom0 (index 1)"}) {
    EXPECT_NE(out.find(line), std::string::npos) << line << "\n" << out;
  }
}

}  // namespace
}  // namespace xenshm::testing
