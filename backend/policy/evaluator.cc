#include "backend/policy/evaluator.h"

#include <algorithm>
#include <utility>

#include "backend/policy/access_rules.h"
#include "backend/policy/pin_store.h"
#include "backend/policy/policy_codec.h"
#include "base/numbers.h"
#include "xenstore-schema/schema.h"

namespace xenshm::policy {
namespace {

// The name the toolstack gave the domain; only a dom0-owned node counts (a
// guest cannot write it, but a node a guest made would not be libxl's).
Result<std::string> ReadDomainName(XenStore& xenstore, DomainId domain) {
  return ReadDom0OwnedNode(xenstore,
                           "/local/domain/" + std::to_string(domain) + "/name");
}

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
    : log_(std::move(log)) {
  SetDom0Policy(std::move(dom0));
}

void Evaluator::SetDom0Policy(Dom0Policy dom0) {
  dom0_ = std::move(dom0);
  Declare(std::string(kDom0Declarer),
          dom0_.dom0 ? *dom0_.dom0 : DomainPolicy{});
}

void Evaluator::SetDomainPolicy(DomainId domain, DomainPolicy policy) {
  domains_.insert_or_assign(domain, std::move(policy));
}

void Evaluator::RemoveDomain(DomainId domain) {
  domains_.erase(domain);
  identities_.erase(domain);
  from_node_.erase(domain);
  resolved_.erase(domain);
  awaiting_.erase(domain);
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

  const RegionMeta* live = FindRegion(question.region);
  const Reservation* reserved =
      ReservedFromOthers(question.domain, question.region);
  if (reserved != nullptr && live != nullptr &&
      live->declarer == reserved->declarer) {
    reserved = nullptr;  // the declared region itself: its mode decides
  }
  if (reserved != nullptr) {
    // Judged by the declared terms whether or not the region exists, so
    // the answer tells nothing of the declarer's state to a domain they
    // leave out; and only the declarer's start makes the region.
    const PeerClass peer_class = InGroup(*policy, reserved->spec.gid)
                                     ? PeerClass::kGroup
                                     : PeerClass::kOther;
    const schema::Access needed =
        question.creates ? schema::Access::kReadWrite : question.access;
    if (!ModeAllows(reserved->mode, peer_class, needed)) {
      const std::string subject =
          Subject(question) +
          (needed == schema::Access::kReadWrite ? " read-write" : " read-only");
      return {Status(Code::kNoPermission,
                     subject + ": the region's mode does not allow it "
                               "(xenshmd's log has the details)"),
              subject + ": the name is reserved by domain '" +
                  reserved->declarer + "' (" + reserved->spec.source +
                  "), mode " + FormatMode(reserved->mode) + ", " +
                  (reserved->spec.gid.empty() ? "no group"
                                              : "group " + reserved->spec.gid) +
                  ", which gives " + std::string(PeerClassName(peer_class)) +
                  " only " + ClassBits(reserved->mode, peer_class)};
    }
    if (question.creates) {
      return {Status(Code::kNoPermission,
                     Subject(question) +
                         " by creating it: the name is reserved for a "
                         "region another domain's policy declares, made "
                         "when that domain starts"),
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
    if (ReservedFromOthers(domain, spec.name) != nullptr) continue;
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
    if (spec.name == name && ReservedFromOthers(creator, name) == nullptr) {
      meta.mode = spec.mode;
      meta.gid = spec.gid;
      auto who = identities_.find(creator);
      meta.declarer = creator == kDom0           ? std::string(kDom0Declarer)
                      : who != identities_.end() ? who->second.name
                                                 : std::string();
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

std::string Evaluator::RegionRecord(std::string_view name) const {
  const RegionMeta* meta = FindRegion(name);
  if (meta == nullptr) return {};
  return "owner=" + (meta->owner ? std::to_string(*meta->owner) : "-") +
         "\nmode=" + FormatMode(meta->mode) + "\ngid=" + meta->gid +
         "\ndeclarer=" + meta->declarer + "\n";
}

bool Evaluator::AdoptRegion(std::string_view name, std::string_view record) {
  if (record.empty()) return true;  // a region the policy knew nothing of
  RegionMeta meta;
  std::string_view rest = record;
  for (std::string_view key : {"owner=", "mode=", "gid=", "declarer="}) {
    const size_t end = rest.find('\n');
    if (end == std::string_view::npos || !rest.starts_with(key)) return false;
    const std::string_view value = rest.substr(key.size(), end - key.size());
    rest.remove_prefix(end + 1);
    if (key == "owner=") {
      if (value != "-") {
        auto owner = ParseDecimal(value, 0x7fef, "owner");
        if (!owner) return false;
        meta.owner = static_cast<DomainId>(*owner);
      }
    } else if (key == "mode=") {
      auto mode = ParseMode(value);
      if (!mode) return false;
      meta.mode = *mode;
    } else if (key == "gid=") {
      meta.gid = std::string(value);
    } else {
      meta.declarer = std::string(value);
    }
  }
  if (!rest.empty()) return false;
  regions_.insert_or_assign(std::string(name), std::move(meta));
  return true;
}

void Evaluator::OnRegionDestroyed(std::string_view name) {
  if (auto found = regions_.find(name); found != regions_.end()) {
    regions_.erase(found);
  }
}

void Evaluator::OnRegionRenamed(std::string_view from, std::string_view to) {
  auto found = regions_.find(from);
  if (found == regions_.end()) return;
  RegionMeta meta = found->second;
  regions_.erase(found);
  regions_.insert_or_assign(std::string(to), std::move(meta));
}

std::vector<std::pair<std::string, std::string>> Evaluator::SquattedNames()
    const {
  std::vector<std::pair<std::string, std::string>> squatted;
  for (const auto& [name, reservation] : reservations_.all()) {
    auto region = regions_.find(name);
    if (region != regions_.end() &&
        region->second.declarer != reservation.declarer) {
      squatted.emplace_back(name, reservation.declarer);
    }
  }
  return squatted;
}

const Reservation* Evaluator::ReservedFromOthers(
    DomainId domain, std::string_view region) const {
  const Reservation* reserved = reservations_.Find(region);
  if (reserved == nullptr) return nullptr;
  if (domain == kDom0) {
    return reserved->declarer == kDom0Declarer ? nullptr : reserved;
  }
  auto who = identities_.find(domain);
  if (who != identities_.end() && !who->second.name.empty() &&
      who->second.name == reserved->declarer) {
    return nullptr;
  }
  return reserved;
}

const RegionMeta* Evaluator::FindRegion(std::string_view name) const {
  auto found = regions_.find(name);
  return found == regions_.end() ? nullptr : &found->second;
}

std::string Evaluator::WatchedRoot() const { return PolicyRoot(); }

void Evaluator::SetResolver(PolicyResolver* resolver,
                            std::chrono::milliseconds identity_wait) {
  resolver_ = resolver;
  identity_wait_ = identity_wait;
  if (resolver_ == nullptr) return;
  for (const PinnedPolicy& pin : resolver_->Pins()) {
    Declare(pin.name, pin.found.policy);
  }
}

void Evaluator::Declare(const std::string& declarer,
                        const DomainPolicy& policy) {
  for (const std::string& conflict : reservations_.Declare(declarer, policy)) {
    Log(conflict + "; the later create= is not made");
  }
}

void Evaluator::Adopt(const DomainIdentity& who, const FoundPolicy& found) {
  SetDomainPolicy(who.id, found.policy);
  Log("domain " + std::to_string(who.id) + " ('" + who.name +
      "'): xenshm policy from " + found.origin);
  if (resolver_ != nullptr && !who.uuid.empty() &&
      IsPinnableDomainName(who.name)) {
    if (Status pinned = resolver_->Pin(who, found); !pinned.ok()) {
      Log("domain " + std::to_string(who.id) +
          ": cannot pin its policy to its UUID, so a reboot or restore will "
          "look for it again: " +
          pinned.ToString());
    }
  }
  if (who.name.empty()) return;
  Declare(who.name, found.policy);
  for (auto& [name, meta] : regions_) {
    if (!meta.declarer.empty() && meta.declarer == who.name) {
      meta.owner = who.id;
    }
  }
}

void Evaluator::Refresh(XenStore& xenstore, const DomainState& state) {
  const DomainId domain = state.id;
  if (domain == kDom0) return;  // dom0's programs: the policy file
  DomainIdentity who{domain, "", state.uuid};
  auto name = ReadDomainName(xenstore, domain);
  if (name) who.name = *name;
  identities_[domain] = who;

  auto policy = ReadDomainPolicy(xenstore, domain);
  if (policy) {
    from_node_.insert(domain);
    awaiting_.erase(domain);
    Adopt(who,
          {std::move(*policy), "its policy node " + PolicyPath(domain), false});
    return;
  }
  if (policy.error().code() != Code::kNotFound) {
    Log("domain " + std::to_string(domain) +
        ": policy node unreadable, refusing it everything: " +
        policy.error().ToString());
    SetDomainPolicy(domain, DenyEverything("policy node unreadable: " +
                                           policy.error().message()));
    return;
  }
  if (from_node_.erase(domain) > 0) {
    // The node was withdrawn: so is the policy it gave.
    domains_.erase(domain);
  }
  if (resolver_ == nullptr || resolved_.contains(domain)) return;
  if (!name) {
    // libxl writes the name before the domain runs; until it is readable
    // the domain cannot be told which rules apply, so it waits (bounded).
    const auto now = std::chrono::steady_clock::now();
    const auto since = awaiting_.try_emplace(domain, now).first->second;
    if (now - since < identity_wait_) return;
    awaiting_.erase(domain);
    resolved_.insert(domain);
    Log("domain " + std::to_string(domain) +
        ": refusing it everything: its name cannot be read (" +
        name.error().ToString() + "), so its policy cannot be found");
    SetDomainPolicy(domain, DenyEverything("its policy cannot be determined"));
    return;
  }
  awaiting_.erase(domain);
  resolved_.insert(domain);
  auto found = resolver_->Find(who);
  if (!found) {
    Log("domain " + std::to_string(domain) + " ('" + who.name +
        "'): refusing it everything: " + found.error().ToString());
    SetDomainPolicy(domain, DenyEverything("its policy cannot be determined"));
    return;
  }
  if (!*found) {
    Log("domain " + std::to_string(domain) + " ('" + who.name + "', " +
        who.uuid +
        "): no xenshm policy (no policy node, no pin of its UUID, no xl "
        "config of that name with a stanza); " +
        (dom0_.fallback ? "the policy file's default applies"
                        : "it may attach nothing"));
    // Its name was started without a stanza: what an earlier stanza of that
    // name declared is not reserved any more.
    Declare(who.name, DomainPolicy{});
    return;
  }
  Adopt(who, **found);
}

bool Evaluator::Awaiting(DomainId domain) const {
  return awaiting_.contains(domain);
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
