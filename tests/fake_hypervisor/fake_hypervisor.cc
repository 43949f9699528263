#include "tests/fake_hypervisor/fake_hypervisor.h"

#include <cstdio>
#include <cstdlib>
#include <utility>

namespace xenshm::fake {
namespace {

[[noreturn]] void Die(const char* what, DomainId id) {
  std::fprintf(stderr, "FakeHypervisor: %s (domain %u)\n", what, id);
  std::abort();
}

}  // namespace

FakeHypervisor::FakeHypervisor()
    : domains_(std::make_shared<DomainTable>()),
      faults_(std::make_shared<FaultInjector>()),
      xenstore_(std::make_shared<XenStoreCore>(domains_, faults_)),
      event_channels_(std::make_shared<EventChannelCore>(domains_, faults_)),
      grants_(std::make_shared<GrantCore>(domains_, faults_, event_channels_)) {
  domains_->Add(kDom0);
}

FakeHypervisor::~FakeHypervisor() = default;

void FakeHypervisor::CreateDomain(DomainId id) { CreateDomain(id, {}); }

void FakeHypervisor::CreateDomain(DomainId id, const Identity& identity) {
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (!domains_->Add(id, identity.uuid)) {
    Die("CreateDomain of an existing domain", id);
  }
  xenstore_->IntroduceDomain(id, identity.name, identity.write_name);
}

void FakeHypervisor::DestroyDomain(DomainId id) {
  if (id == kDom0) Die("DestroyDomain of dom0", id);
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (domains_->MarkDying(id)) {
    StopDomain(id, /*remove_home=*/true);
  } else {
    xenstore_->RemoveHome(id);  // dying already: the rest has happened
  }
  domains_->Remove(id);
}

void FakeHypervisor::MarkDomainDying(DomainId id) {
  if (id == kDom0) Die("MarkDomainDying of dom0", id);
  std::lock_guard<std::mutex> lock(lifecycle_mu_);
  if (domains_->MarkDying(id)) StopDomain(id, /*remove_home=*/false);
}

void FakeHypervisor::StopDomain(DomainId id, bool remove_home) {
  grants_->ReleaseDomain(id);
  event_channels_->CloseDomain(id);
  xenstore_->ReleaseDomain(id, remove_home);
}

bool FakeHypervisor::DomainExists(DomainId id) const {
  return domains_->Listed(id);
}

Result<Platform> FakeHypervisor::OpenPlatform(DomainId id) {
  std::optional<Caller> caller = domains_->Lookup(id);
  if (!caller) {
    return Error(Code::kNotFound, "domain " + std::to_string(id) +
                                      " does not exist or is dying");
  }
  Platform platform;
  platform.self = id;
  platform.xenstore = xenstore_->Connect(*caller);
  platform.grant_mapper = grants_->OpenMapper(*caller);
  platform.open_event_channels = [core = event_channels_, who = *caller]() {
    return core->Open(who);
  };
  if (id == kDom0) {
    platform.domain_info = std::make_unique<FakeDomainInfo>(domains_);
    platform.region_granter = grants_->OpenGranter();
  }
  return platform;
}

void FakeHypervisor::SetGrantTableSize(size_t entries) {
  grants_->SetTableSize(entries);
}

GranterCounts FakeHypervisor::GrantCounts() const { return grants_->Counts(); }

RegionMappingCounts FakeHypervisor::MappingCounts(RegionId region) const {
  return grants_->MappingCounts(region);
}

void FakeHypervisor::FailNext(Op op, Code code,
                              std::optional<DomainId> domain) {
  faults_->FailNth(op, 1, code, domain);
}

void FakeHypervisor::FailNth(Op op, int nth, Code code,
                             std::optional<DomainId> domain) {
  faults_->FailNth(op, nth, code, domain);
}

void FakeHypervisor::FailAll(Op op, Code code, std::optional<DomainId> domain) {
  faults_->FailAll(op, code, domain);
}

void FakeHypervisor::ClearFaults() { faults_->Clear(); }

uint64_t FakeHypervisor::Calls(Op op, std::optional<DomainId> domain) const {
  return faults_->Calls(op, domain);
}

size_t FakeHypervisor::XenStoreNodesOwnedBy(DomainId domain) const {
  return xenstore_->NodesOwnedBy(domain);
}

size_t FakeHypervisor::XenStoreWatchesOf(DomainId domain) const {
  return xenstore_->WatchesOf(domain);
}

std::string FakeHypervisor::DumpXenStore() const { return xenstore_->Dump(); }

size_t FakeHypervisor::OpenEventPorts(DomainId domain) const {
  return event_channels_->OpenPorts(domain);
}

}  // namespace xenshm::fake
