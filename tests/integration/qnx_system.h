// QnxSystem: the fake hypervisor with the policy QNX-style tests need:
// guests without a stanza get `default` (everything but secret*, regions
// they create up to 64 KiB in all), dom0's programs get everything.
#ifndef XENSHM_TESTS_INTEGRATION_QNX_SYSTEM_H_
#define XENSHM_TESTS_INTEGRATION_QNX_SYSTEM_H_

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "backend/policy/evaluator.h"
#include "backend/policy/xl_config.h"
#include "frontend/lib/platform_client.h"
#include "tests/integration/fake_xen_system.h"
#include "xenshm/xenshm.h"

namespace xenshm::testing {

inline policy::DomainPolicy QnxStanza(const std::string& items) {
  auto parsed =
      policy::ParseGuestConfig("xenshm = [ " + items + " ]\n", "guest.cfg");
  EXPECT_TRUE(parsed) << parsed.error().ToString();
  return **parsed;
}

inline policy::Dom0Policy QnxDom0Policy() {
  policy::Dom0Policy dom0;
  dom0.fallback = QnxStanza(
      R"("deny=secret*", "max-region-memory=64K", "max-attachments=64")");
  dom0.dom0 = QnxStanza(R"("allow=*", "max-attachments=64")");
  return dom0;
}

class QnxSystemTest : public ::testing::Test {
 protected:
  QnxSystemTest()
      : policy_(QnxDom0Policy(), [](std::string_view) {}), system_(&policy_) {}
  ~QnxSystemTest() override {
    for (xenshm_region* region : regions_) xenshm_region_free(region);
    for (xenshm_client* client : clients_) xenshm_close(client);
  }

  // A client of a new process in `domain`, closed at the end of the test.
  xenshm_client* NewClient(DomainId domain) {
    xenshm_client* client = OpenClientOn(system_.OpenProcess(domain));
    clients_.push_back(client);
    return client;
  }
  // A native xenshm.h peer of `name`.
  xenshm_region* NativePeer(DomainId domain, const char* name) {
    xenshm_region* region = nullptr;
    EXPECT_EQ(xenshm_attach(NewClient(domain), name, 0x1000, nullptr, &region),
              XENSHM_OK)
        << xenshm_last_error();
    regions_.push_back(region);
    return region;
  }
  // How many peers region `name` has, as a native peer in `domain` sees it
  // (itself not counted).
  size_t PeersOf(DomainId domain, const char* name) {
    xenshm_region* region = NativePeer(domain, name);
    size_t count = 0;
    EXPECT_EQ(xenshm_peers(region, nullptr, 0, &count),
              XENSHM_INVALID_ARGUMENT);
    return count - 1;
  }

  policy::Evaluator policy_;
  FakeXenSystem system_;
  std::vector<xenshm_client*> clients_;
  std::vector<xenshm_region*> regions_;
};

}  // namespace xenshm::testing

#endif  // XENSHM_TESTS_INTEGRATION_QNX_SYSTEM_H_
