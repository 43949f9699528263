#include "backend/policy/evaluator.h"

#include <algorithm>
#include <utility>

#include "backend/policy/access_rules.h"
#include "backend/policy/policy_codec.h"
#include "xenstore-schema/schema.h"

namespace xenshm::policy {
namespace {

const DomainPolicy& EmptyPolicy() {
  static const DomainPolicy empty;
  return empty;
}

std::string Subject(const backend::AttachQuestion& question) {
  return "domain " + std::to_string(question.domain) + " may not attach '" +
         question.region + "'";
}

std::string WithSource(std::string text, const RuleSource& source) {
  if (!source.empty()) text += " (" + source + ")";
  return text;
}

bool InGroup(const DomainPolicy& policy, const std::string& gid) {
  return !gid.empty() && std::find(policy.groups.begin(), policy.groups.end(),
                                   gid) != policy.groups.end();
}

}  // namespace

DomainPolicy DenyEverything(std::string why) {
  DomainPolicy policy;
  policy.name_rules.push_back({NameVerdict::kDeny, "*", std::move(why)});
  return policy;
}

Evaluator::Evaluator(Dom0Policy dom0, std::function<void(std::string_view)> log)
    : dom0_(std::move(dom0)), log_(std::move(log)) {}

void Evaluator::SetDom0Policy(Dom0Policy dom0) { dom0_ = std::move(dom0); }

void Evaluator::SetDomainPolicy(DomainId domain, DomainPolicy policy) {
  domains_.insert_or_assign(domain, std::move(policy));
}

void Evaluator::RemoveDomain(DomainId domain) {
  domains_.erase(domain);
  for (auto& [name, meta] : regions_) {
    if (meta.owner == domain) meta.owner.reset();
  }
}

bool Evaluator::HasDomainPolicy(DomainId domain) const {
  return domains_.contains(domain);
}

const DomainPolicy* Evaluator::PolicyOf(DomainId domain) const {
  if (auto found = domains_.find(domain); found != domains_.end()) {
    return &found->second;
  }
  if (domain == kDom0) return dom0_.dom0 ? &*dom0_.dom0 : nullptr;
  return dom0_.fallback ? &*dom0_.fallback : nullptr;
}

Evaluator::Decision Evaluator::Decide(
    const backend::AttachQuestion& question) const {
  const DomainPolicy* policy = PolicyOf(question.domain);
  if (policy == nullptr) {
    const std::string file =
        dom0_.file.empty() ? std::string(kStandardPolicyFile) : dom0_.file;
    return {Status(Code::kNoPermission,
                   Subject(question) +
                       (question.domain == kDom0
                            ? ": dom0's programs have no xenshm policy (give "
                              "them one with `xenshm = [...]` in " +
                                  file + ")"
                            : ": it has no xenshm policy (start it with "
                              "xenshm-xl-create and an xl `xenshm = [...]` "
                              "stanza, or set a `default` for domains "
                              "without one in " +
                                  file + ")")),
            {}};
  }

  NameDecision name = DecideName(policy->name_rules, question.region);
  if (!name.allowed) {
    return {Status(Code::kNoPermission,
                   Subject(question) + ": " + DescribeDecision(name)),
            {}};
  }

  const bool wants_write = question.access == schema::Access::kReadWrite;
  if (wants_write || question.creates) {
    for (const ReadOnlyRule& rule : policy->read_only) {
      if (!GlobMatches(rule.pattern, question.region)) continue;
      const std::string said = WithSource("ro " + rule.pattern, rule.source) +
                               " allows it read-only only";
      return {Status(Code::kNoPermission,
                     wants_write ? Subject(question) + " read-write: " + said
                                 : Subject(question) + " by creating it: " +
                                       said + ", and a create is read-write"),
              {}};
    }
  }

  if (question.creates) return {};
  const RegionMeta* meta = FindRegion(question.region);
  if (meta == nullptr) return {};
  PeerClass peer_class = PeerClass::kOther;
  if (meta->owner == question.domain) {
    peer_class = PeerClass::kOwner;
  } else if (InGroup(*policy, meta->gid)) {
    peer_class = PeerClass::kGroup;
  }
  if (ModeAllows(meta->mode, peer_class, question.access)) return {};
  const std::string subject =
      Subject(question) + (wants_write ? " read-write" : " read-only");
  std::string owner = meta->owner
                          ? "owner domain " + std::to_string(*meta->owner)
                          : std::string("owner gone");
  std::string group = meta->gid.empty() ? "no group" : "group " + meta->gid;
  return {
      Status(Code::kNoPermission,
             subject + ": the region's mode does not allow it (xenshmd's log "
                       "has the details)"),
      subject + ": region mode " + FormatMode(meta->mode) + " (" + owner +
          ", " + group + ") gives " + std::string(PeerClassName(peer_class)) +
          " only " + ClassBits(meta->mode, peer_class)};
}

Status Evaluator::Check(const backend::AttachQuestion& question) const {
  Decision decision = Decide(question);
  if (!decision.detail.empty()) Log(decision.detail);
  return decision.told;
}

Status Evaluator::Explain(const backend::AttachQuestion& question) const {
  Decision decision = Decide(question);
  if (decision.detail.empty()) return decision.told;
  return Status(decision.told.code(), decision.detail);
}

backend::DomainQuota Evaluator::QuotaOf(DomainId domain) const {
  const DomainPolicy* policy = PolicyOf(domain);
  return policy != nullptr ? policy->quota : backend::DomainQuota{};
}

std::vector<backend::PreCreate> Evaluator::RegionsToPreCreate(
    DomainId domain) const {
  std::vector<backend::PreCreate> regions;
  const DomainPolicy* policy = PolicyOf(domain);
  if (policy == nullptr) return regions;
  for (const RegionSpec& spec : policy->pre_created) {
    regions.push_back(
        {spec.name, spec.size, spec.mode & ~policy->umask & 0666, spec.gid});
  }
  return regions;
}

backend::RegionAttributes Evaluator::OnRegionCreated(std::string_view name,
                                                     DomainId creator) {
  const DomainPolicy* policy = PolicyOf(creator);
  if (policy == nullptr) policy = &EmptyPolicy();
  RegionMeta meta;
  meta.owner = creator;
  meta.mode = policy->mode;
  meta.gid = policy->gid;
  for (const RegionSpec& spec : policy->pre_created) {
    if (spec.name == name) {
      meta.mode = spec.mode;
      meta.gid = spec.gid;
    }
  }
  meta.mode &= ~policy->umask & 0666;
  regions_.insert_or_assign(std::string(name), meta);
  backend::RegionAttributes attributes = {
      {std::string(schema::kRegistryMode), FormatMode(meta.mode)}};
  if (!meta.gid.empty()) {
    attributes.emplace_back(std::string(schema::kRegistryGid), meta.gid);
  }
  return attributes;
}

void Evaluator::OnRegionDestroyed(std::string_view name) {
  if (auto found = regions_.find(name); found != regions_.end()) {
    regions_.erase(found);
  }
}

const RegionMeta* Evaluator::FindRegion(std::string_view name) const {
  auto found = regions_.find(name);
  return found == regions_.end() ? nullptr : &found->second;
}

std::string Evaluator::WatchedRoot() const { return PolicyRoot(); }

void Evaluator::Refresh(XenStore& xenstore, DomainId domain) {
  auto policy = ReadDomainPolicy(xenstore, domain);
  if (policy) {
    SetDomainPolicy(domain, std::move(*policy));
    return;
  }
  if (policy.error().code() == Code::kNotFound) {
    // No stanza: the policy file's default governs it (if there is one).
    if (HasDomainPolicy(domain)) RemoveDomain(domain);
    return;
  }
  Log("domain " + std::to_string(domain) +
      ": policy node unreadable, refusing it everything: " +
      policy.error().ToString());
  SetDomainPolicy(domain, DenyEverything("policy node unreadable: " +
                                         policy.error().message()));
}

void Evaluator::Forget(XenStore& xenstore, DomainId domain) {
  RemoveDomain(domain);
  if (domain == kDom0) return;
  if (Status removed = RemoveDomainPolicy(xenstore, domain); !removed.ok()) {
    Log("domain " + std::to_string(domain) +
        ": cannot remove its policy node: " + removed.ToString());
  }
}

void Evaluator::Log(const std::string& line) const {
  if (log_) log_(line);
}

}  // namespace xenshm::policy
