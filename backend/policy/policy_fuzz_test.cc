// Bounded randomized testing of the whole policy pipeline, with oracles a
// real bug would break (not only "it did not crash"):
//  - A reference model, written plainly from docs/policy.md and independent
//    of the code under test, predicts for generated stanzas whether each
//    item parses and to what, whether the stanza is accepted (and, if not,
//    which item the error names), the DomainPolicy it builds, and the
//    verdict of every attach question in a random story of creates, joins,
//    destroys and domain deaths.
//  - Round trips: every accepted item re-serializes (FormatStanzaItem) to
//    text that parses to the same item; every accepted policy encodes and
//    decodes (policy_codec.h) to an equal policy, and an Evaluator built from
//    the decoded policy answers every question of the story exactly as the
//    original does (same code, same message).
//  - Outsiders learn nothing: a question refused before the region is
//    looked at (no policy, a name rule, an ro rule against rw) gets the
//    same answer from an Evaluator that has never seen any region, asked as
//    a create and as an attach-only; no answer a domain is told names a
//    region's mode or owner.
//  - Quotas: QuotaOf of every domain is what the model's stanza says.
//  - Rejections: every refused input yields kInvalidArgument with a located
//    reason; a stanza with one bad item is refused as a whole, never built
//    without it.
// Inputs come from a generator of plausible stanzas and from mutating seeds
// (xl configs through libxlutil, dom0 policy files, the xenstore form).
// Deterministic seeds, so a failure reproduces; seconds in CI, and no
// crash or leak under --config=asan.
#include <fnmatch.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <optional>
#include <ostream>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "backend/policy/evaluator.h"
#include "backend/policy/policy_codec.h"
#include "backend/policy/stanza.h"
#include "backend/policy/xl_config.h"
#include "gtest/gtest.h"

// libxlutil (Xen 4.17) leaks a list it was building, and its strings, when a
// syntax error aborts the parse (bison discards them without freeing). It
// is Xen's leak, only on rejected files, and bounded by their size; the fuzz
// test produces tens of thousands of rejected files, so LeakSanitizer is
// told about it here. Leaks anywhere else still fail the test.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:xlu__cfg_string_mk\n"
         "leak:xlu__cfg_list_mk\n"
         "leak:xlu__cfgl_dequote\n"
         "leak:xlu__cfgl_strdup\n";
}

namespace xenshm::backend {

void PrintTo(const PreCreate& region, std::ostream* os) {
  *os << "{" << region.name << ", size " << region.size << ", mode 0"
      << std::oct << region.mode << std::dec << ", gid '" << region.gid << "'}";
}

}  // namespace xenshm::backend

namespace xenshm::policy {

// Readable failure messages (gtest finds these by argument-dependent lookup,
// so they live in the types' namespace, not the anonymous one).
void PrintTo(const StanzaItem& item, std::ostream* os) {
  *os << "{kind " << ItemKey(item.kind) << ", pattern '" << item.pattern
      << "', groups";
  for (const std::string& group : item.groups) *os << " " << group;
  *os << ", group '" << item.group << "', octal 0" << std::oct << item.octal
      << std::dec << (item.has_mode ? " (has mode)" : "") << ", name '"
      << item.name << "', size " << item.size << ", limit " << item.limit
      << "}";
}

void PrintTo(const DomainPolicy& policy, std::ostream* os) {
  *os << "{";
  for (const NameRule& rule : policy.name_rules) {
    *os << (rule.verdict == NameVerdict::kAllow ? "allow " : "deny ")
        << rule.pattern << " (" << rule.source << "); ";
  }
  for (const ReadOnlyRule& rule : policy.read_only) {
    *os << "ro " << rule.pattern << " (" << rule.source << "); ";
  }
  *os << "groups";
  for (const std::string& group : policy.groups) *os << " " << group;
  *os << "; gid '" << policy.gid << "'; mode 0" << std::oct << policy.mode
      << "; umask 0" << policy.umask << std::dec;
  for (const RegionSpec& spec : policy.pre_created) {
    *os << "; create " << spec.name << " size " << spec.size << " mode 0"
        << std::oct << spec.mode << std::dec << " gid '" << spec.gid << "' ("
        << spec.source << ")";
  }
  const backend::DomainQuota& quota = policy.quota;
  *os << "; quota " << quota.regions << " regions, " << quota.attachments
      << " attachments, " << quota.region_bytes << " region bytes, "
      << quota.mapped_bytes << " mapped bytes, " << quota.pending
      << " pending}";
}

namespace {

using backend::AttachQuestion;
using schema::Access;

constexpr int kIterations = 20000;
constexpr int kStorySteps = 40;
constexpr uint64_t kOneGiB = uint64_t{1} << 30;

size_t Below(std::mt19937& rng, size_t n) {
  return n == 0 ? 0 : std::uniform_int_distribution<size_t>(0, n - 1)(rng);
}

template <typename T>
const T& Pick(std::mt19937& rng, const std::vector<T>& options) {
  return options[Below(rng, options.size())];
}

bool Contains(const std::vector<std::string>& list, const std::string& x) {
  return std::find(list.begin(), list.end(), x) != list.end();
}

// ------------------------------------------------------------ the model
//
// What docs/policy.md says, in the plainest code; it shares only the plain
// data types (stanza.h) with the code under test.

bool ModelGlob(const std::string& pattern, const std::string& name) {
  return fnmatch(pattern.c_str(), name.c_str(), 0) == 0;
}

// The first matching rule decides; no match: refused if there is any allow,
// allowed otherwise (which covers "no rules").
bool ModelNameAllowed(const std::vector<NameRule>& rules,
                      const std::string& name) {
  for (const NameRule& rule : rules) {
    if (ModelGlob(rule.pattern, name)) {
      return rule.verdict == NameVerdict::kAllow;
    }
  }
  for (const NameRule& rule : rules) {
    if (rule.verdict == NameVerdict::kAllow) return false;
  }
  return true;
}

std::string ModelMode(uint32_t mode) {
  char text[8];
  std::snprintf(text, sizeof(text), "%04o", mode);
  return text;
}

struct ModelRegion {
  std::optional<DomainId> owner;
  std::string gid;
  uint32_t mode = 0666;
};

// Domains, their policies and the live regions, as the model sees them.
class ModelWorld {
 public:
  ModelWorld(std::map<DomainId, DomainPolicy> own, Dom0Policy dom0)
      : own_(std::move(own)), dom0_(std::move(dom0)) {}

  // A domain's own stanza, else `default` (guests) or `xenshm` (dom0);
  // null: none, so it may attach nothing (fail closed).
  const DomainPolicy* PolicyOf(DomainId domain) const {
    if (auto found = own_.find(domain); found != own_.end()) {
      return &found->second;
    }
    if (domain == kDom0) return dom0_.dom0 ? &*dom0_.dom0 : nullptr;
    return dom0_.fallback ? &*dom0_.fallback : nullptr;
  }

  backend::DomainQuota QuotaOf(DomainId domain) const {
    const DomainPolicy* policy = PolicyOf(domain);
    return policy ? policy->quota : backend::DomainQuota{};
  }

  // Refused by the domain's policy alone, before the region is looked at:
  // no policy, a name rule, an ro rule against rw.
  bool RefusedRegardlessOfRegion(const AttachQuestion& q) const {
    const DomainPolicy* policy = PolicyOf(q.domain);
    if (policy == nullptr) return true;
    if (!ModelNameAllowed(policy->name_rules, q.region)) return true;
    return q.access == Access::kReadWrite && MatchesReadOnly(*policy, q);
  }

  // A name dom0's `xenshm` stanza declares with create= is reserved for
  // dom0 (reservations.h); every other domain is judged by its declared
  // mode and group, and may never create it.
  const RegionSpec* ReservedFromOthers(DomainId domain,
                                       const std::string& name) const {
    if (domain == kDom0 || !dom0_.dom0) return nullptr;
    for (const RegionSpec& spec : dom0_.dom0->pre_created) {
      if (spec.name == name) return &spec;
    }
    return nullptr;
  }

  bool Allows(const AttachQuestion& q) const {
    if (RefusedRegardlessOfRegion(q)) return false;
    const DomainPolicy* policy = PolicyOf(q.domain);
    if (const RegionSpec* reserved = ReservedFromOthers(q.domain, q.region)) {
      const uint32_t mode = reserved->mode & ~dom0_.dom0->umask & 0666;
      const int shift =
          !reserved->gid.empty() && Contains(policy->groups, reserved->gid) ? 3
                                                                            : 0;
      const uint32_t bits = (mode >> shift) & 7;
      const bool rw = q.creates || q.access == Access::kReadWrite;
      if (!(rw ? (bits & 6) == 6 : (bits & 4) != 0)) return false;
      if (q.creates) return false;
    }
    // A create is read-write, whatever access it asks for.
    if (q.creates) return !MatchesReadOnly(*policy, q);
    auto region = regions_.find(q.region);
    if (region == regions_.end()) return true;
    int shift = 0;  // other
    if (region->second.owner == q.domain) {
      shift = 6;
    } else if (!region->second.gid.empty() &&
               Contains(policy->groups, region->second.gid)) {
      shift = 3;
    }
    const uint32_t bits = (region->second.mode >> shift) & 7;
    return q.access == Access::kReadOnly ? (bits & 4) != 0 : (bits & 6) == 6;
  }

  std::vector<backend::PreCreate> PreCreates(DomainId domain) const {
    std::vector<backend::PreCreate> out;
    const DomainPolicy* policy = PolicyOf(domain);
    if (policy == nullptr) return out;
    for (const RegionSpec& spec : policy->pre_created) {
      if (ReservedFromOthers(domain, spec.name)) continue;
      out.push_back(
          {spec.name, spec.size, spec.mode & ~policy->umask & 0666, spec.gid});
    }
    return out;
  }

  // Records the region; returns the registry attributes it must publish.
  backend::RegionAttributes Create(const std::string& name, DomainId creator) {
    const DomainPolicy* policy = PolicyOf(creator);
    if (policy == nullptr) policy = &empty_;
    ModelRegion region{creator, policy->gid, policy->mode};
    for (const RegionSpec& spec : policy->pre_created) {
      if (spec.name == name && !ReservedFromOthers(creator, name)) {
        region.gid = spec.gid;
        region.mode = spec.mode;
      }
    }
    region.mode &= ~policy->umask & 0666;
    regions_[name] = region;
    backend::RegionAttributes attributes = {{"mode", ModelMode(region.mode)}};
    if (!region.gid.empty()) attributes.push_back({"gid", region.gid});
    return attributes;
  }

  void Destroy(const std::string& name) { regions_.erase(name); }

  void Die(DomainId domain) {
    own_.erase(domain);
    for (auto& [name, region] : regions_) {
      if (region.owner == domain) region.owner.reset();
    }
  }

  bool Exists(const std::string& name) const { return regions_.contains(name); }
  std::vector<std::string> Names() const {
    std::vector<std::string> names;
    for (const auto& [name, region] : regions_) names.push_back(name);
    return names;
  }

 private:
  static bool MatchesReadOnly(const DomainPolicy& policy,
                              const AttachQuestion& q) {
    for (const ReadOnlyRule& rule : policy.read_only) {
      if (ModelGlob(rule.pattern, q.region)) return true;
    }
    return false;
  }

  std::map<DomainId, DomainPolicy> own_;
  Dom0Policy dom0_;
  DomainPolicy empty_;
  std::map<std::string, ModelRegion> regions_;
};

// ------------------------------------------------------------ generation

// One generated item: its text, and what it must parse to (nullopt: it
// must be refused).
struct GenItem {
  std::string text;
  std::optional<StanzaItem> expected;
};

const std::vector<std::string> kGlobs = {
    "moo", "moo*", "*", "cam?", "cam[0-3]", "[!a]*", "s*t", "x.y", "a[]]"};
const std::vector<std::string> kGroupNames = {"video", "audio", "g1", "net-2"};
struct OctalChoice {
  std::string text;
  uint32_t value = 0;
};
const std::vector<OctalChoice> kOctals = {
    {"0", 0},     {"600", 0600},  {"0640", 0640}, {"0666", 0666},
    {"022", 022}, {"0777", 0777}, {"0460", 0460}, {"0750", 0750}};
const std::vector<std::string> kCreateNames = {"moo", "cam1", "x.y", "s-t"};
// Region names the stories ask about: matches and misses of the globs.
const std::vector<std::string> kAskedNames = {
    "moo", "moo-2", "cam1", "cam12", "x.y", "s-t", "secret", "a]", "zz"};
// Items that are wrong on their own, whatever surrounds them.
const std::vector<std::string> kBadItems = {"deny=a b",
                                            "allow=",
                                            "mode=0750",
                                            "umask=8",
                                            "create=.x,size=1",
                                            "create=moo,size=0",
                                            "create=moo,size=012",
                                            "create=moo,size=0x10K",
                                            "create=moo",
                                            "bogus=1",
                                            "groups=-x",
                                            "ro=cam[0-3",
                                            "create=moo,size=1,mode=0711"};

struct SizeChoice {
  std::string text;
  std::optional<uint64_t> bytes;  // nullopt: refused
};

// Quota values: what each means as a count (0..4096, plain decimal) and as
// a size (0..64G, ParseByteSize); nullopt: refused.
struct QuotaChoice {
  std::string text;
  std::optional<uint64_t> count;
  std::optional<uint64_t> bytes;
};
const std::vector<QuotaChoice> kQuotaValues = {
    {"0", 0, 0},
    {"4", 4, 4},
    {"4096", 4096, 4096},
    {"4097", std::nullopt, 4097},
    {"160M", std::nullopt, 160u << 20},
    {"0x1000", std::nullopt, 4096},
    {"64G", std::nullopt, uint64_t{64} << 30},
    {"65G", std::nullopt, std::nullopt},
    {"08", std::nullopt, std::nullopt},
    {"", std::nullopt, std::nullopt},
    {"-1", std::nullopt, std::nullopt},
};

GenItem GenerateItem(std::mt19937& rng) {
  if (Below(rng, 10) == 0) return {Pick(rng, kBadItems), std::nullopt};
  StanzaItem item;
  std::string text;
  bool valid = true;
  switch (Below(rng, 9)) {
    case 8: {
      item.kind = kQuotaItems[Below(rng, std::size(kQuotaItems))];
      const QuotaChoice& value = Pick(rng, kQuotaValues);
      const bool sized = item.kind == ItemKind::kMaxRegionMemory ||
                         item.kind == ItemKind::kMaxMapped;
      const std::optional<uint64_t> limit = sized ? value.bytes : value.count;
      valid = limit.has_value();
      item.limit = limit.value_or(0);
      text = std::string(ItemKey(item.kind)) + (Below(rng, 2) ? "=" : " = ") +
             value.text;
      break;
    }
    case 0:
    case 1:
    case 2: {
      static const ItemKind kinds[] = {ItemKind::kAllow, ItemKind::kDeny,
                                       ItemKind::kReadOnly};
      item.kind = kinds[Below(rng, 3)];
      item.pattern = Pick(rng, kGlobs);
      text = std::string(ItemKey(item.kind)) + "=" + item.pattern;
      break;
    }
    case 3: {
      item.kind = ItemKind::kGroups;
      item.groups = {Pick(rng, kGroupNames)};
      if (Below(rng, 2)) item.groups.push_back(Pick(rng, kGroupNames));
      valid = item.groups.size() == 1 || item.groups[0] != item.groups[1];
      text = "groups=" + item.groups[0] +
             (item.groups.size() > 1 ? ", " + item.groups[1] : "");
      break;
    }
    case 4:
      item.kind = ItemKind::kGid;
      item.group = Pick(rng, kGroupNames);
      text = "gid=" + item.group;
      break;
    case 5:
    case 6: {
      item.kind = Below(rng, 2) ? ItemKind::kMode : ItemKind::kUmask;
      const OctalChoice& octal = Pick(rng, kOctals);
      item.octal = octal.value;
      valid = item.kind == ItemKind::kUmask || (item.octal & 0111) == 0;
      text = std::string(ItemKey(item.kind)) + " = " + octal.text;
      break;
    }
    case 7: {
      static const std::vector<SizeChoice> sizes = {
          {"1", 1},
          {"4K", 4096},
          {"128M", 128u << 20},
          {"1G", kOneGiB},
          {"2G", std::nullopt},
          {"0x1000", 4096},
          {"0x40000001", std::nullopt},
      };
      item.kind = ItemKind::kCreate;
      item.name = Pick(rng, kCreateNames);
      const SizeChoice& size = Pick(rng, sizes);
      valid = size.bytes.has_value();
      item.size = size.bytes.value_or(0);
      text = "create=" + item.name + ",size=" + size.text;
      if (Below(rng, 2)) {
        const OctalChoice& octal = Pick(rng, kOctals);
        item.octal = octal.value;
        item.has_mode = true;
        valid = valid && (item.octal & 0111) == 0;
        text += ", mode=" + octal.text;
      }
      if (Below(rng, 2)) {
        item.group = Pick(rng, kGroupNames);
        text += ",gid=" + item.group;
      }
      break;
    }
  }
  if (!valid) return {text, std::nullopt};
  return {text, item};
}

// The items a generated stanza holds, each on its own line from line 2.
std::string ConfigText(const std::vector<GenItem>& items) {
  std::string text = "xenshm = [\n";
  for (const GenItem& item : items) text += "  \"" + item.text + "\",\n";
  return text + "]\n";
}

int LineOf(size_t index) { return static_cast<int>(index) + 2; }

struct ModelStanza {
  std::optional<DomainPolicy> policy;
  size_t error_index = 0;  // when refused: the item the error names
};

// The stanza's policy, as the model builds it: items in order (a bad item
// or a second single-use key is the error), then gid, then each create=.
ModelStanza ModelBuild(const std::vector<GenItem>& items,
                       const std::string& file) {
  auto fail = [](size_t index) { return ModelStanza{std::nullopt, index}; };
  auto source = [&](size_t index) {
    return file + " line " + std::to_string(LineOf(index));
  };
  DomainPolicy policy;
  std::set<ItemKind> seen;
  std::optional<size_t> gid_index;
  std::vector<size_t> creates;
  for (size_t i = 0; i < items.size(); ++i) {
    if (!items[i].expected) return fail(i);
    const StanzaItem& item = *items[i].expected;
    if (item.kind == ItemKind::kAllow || item.kind == ItemKind::kDeny) {
      policy.name_rules.push_back({item.kind == ItemKind::kAllow
                                       ? NameVerdict::kAllow
                                       : NameVerdict::kDeny,
                                   item.pattern, source(i)});
      continue;
    }
    if (item.kind == ItemKind::kReadOnly) {
      policy.read_only.push_back({item.pattern, source(i)});
      continue;
    }
    if (item.kind == ItemKind::kCreate) {
      creates.push_back(i);
      continue;
    }
    if (!seen.insert(item.kind).second) return fail(i);
    if (item.kind == ItemKind::kGroups) policy.groups = item.groups;
    if (item.kind == ItemKind::kGid) {
      policy.gid = item.group;
      gid_index = i;
    }
    if (item.kind == ItemKind::kMode) policy.mode = item.octal;
    if (item.kind == ItemKind::kUmask) policy.umask = item.octal;
    backend::DomainQuota& quota = policy.quota;
    const auto count = static_cast<uint32_t>(item.limit);
    if (item.kind == ItemKind::kMaxRegions) quota.regions = count;
    if (item.kind == ItemKind::kMaxAttachments) quota.attachments = count;
    if (item.kind == ItemKind::kMaxRegionMemory)
      quota.region_bytes = item.limit;
    if (item.kind == ItemKind::kMaxMapped) quota.mapped_bytes = item.limit;
    if (item.kind == ItemKind::kMaxPending) quota.pending = count;
    if (item.kind == ItemKind::kMaxRequestRate) quota.request_rate = count;
  }
  if (gid_index) {
    if (!Contains(policy.groups, policy.gid)) return fail(*gid_index);
  } else if (!policy.groups.empty()) {
    policy.gid = policy.groups.front();
  }
  for (size_t i : creates) {
    const StanzaItem& item = *items[i].expected;
    if (!item.group.empty() && !Contains(policy.groups, item.group)) {
      return fail(i);
    }
    for (const RegionSpec& earlier : policy.pre_created) {
      if (earlier.name == item.name) return fail(i);
    }
    if (!ModelNameAllowed(policy.name_rules, item.name)) return fail(i);
    policy.pre_created.push_back(
        {item.name, item.size, item.has_mode ? item.octal : 0666,
         item.group.empty() ? policy.gid : item.group, source(i)});
  }
  return {policy, 0};
}

// ------------------------------------------------------------ oracles

std::string Describe(const AttachQuestion& q) {
  return "domain " + std::to_string(q.domain) + " " +
         (q.access == Access::kReadOnly ? "ro" : "rw") + " '" + q.region + "'" +
         (q.creates ? " (creates)" : "");
}

// `policy` through the xenstore form and back; nullopt if it does not fit
// one node (then there is nothing to compare).
std::optional<DomainPolicy> ThroughXenStore(const DomainPolicy& policy,
                                            const std::string& context) {
  auto text = SerializePolicy(policy);
  if (!text) {
    EXPECT_EQ(text.error().code(), Code::kInvalidArgument);
    EXPECT_FALSE(text.error().message().empty());
    return std::nullopt;
  }
  auto back = ParseSerializedPolicy(*text);
  EXPECT_TRUE(back) << back.error().ToString() << "\nserialized:\n"
                    << *text << "\ninput:\n"
                    << context;
  if (!back) return std::nullopt;
  EXPECT_EQ(*back, policy) << "serialized:\n"
                           << *text << "\ninput:\n"
                           << context;
  return *back;
}

// A random story over `own` (domain policies) and `dom0`: pre-creates, then
// attach questions (a granted create records the region), destroys and a
// domain's death. Three parties play it: an Evaluator over the policies, one
// over the policies after a trip through xenstore, and the model. The two
// evaluators must agree exactly, and with the model on every verdict, every
// published attribute and every quota. A fourth, an Evaluator that never
// hears of a region, must give an outsider the same answer as `actual`.
void PlayStory(std::mt19937& rng, const std::map<DomainId, DomainPolicy>& own,
               const Dom0Policy& dom0, const std::string& context) {
  Evaluator actual(dom0);
  Evaluator decoded(dom0);
  Evaluator no_regions(dom0);
  for (const auto& [domain, policy] : own) {
    actual.SetDomainPolicy(domain, policy);
    no_regions.SetDomainPolicy(domain, policy);
    decoded.SetDomainPolicy(domain,
                            ThroughXenStore(policy, context).value_or(policy));
  }
  ModelWorld model(own, dom0);
  auto expect_quotas = [&] {
    for (DomainId domain : {kDom0, DomainId{3}, DomainId{4}, DomainId{5}}) {
      EXPECT_EQ(actual.QuotaOf(domain), model.QuotaOf(domain))
          << "domain " << domain << "\n"
          << context;
      EXPECT_EQ(decoded.QuotaOf(domain), model.QuotaOf(domain)) << context;
    }
  };
  expect_quotas();
  auto create = [&](const std::string& name, DomainId creator) {
    const backend::RegionAttributes expected = model.Create(name, creator);
    EXPECT_EQ(actual.OnRegionCreated(name, creator), expected)
        << "'" << name << "' created by " << creator << "\n"
        << context;
    EXPECT_EQ(decoded.OnRegionCreated(name, creator), expected);
  };
  for (const auto& [domain, policy] : own) {
    const std::vector<backend::PreCreate> expected = model.PreCreates(domain);
    EXPECT_EQ(actual.RegionsToPreCreate(domain), expected) << context;
    EXPECT_EQ(decoded.RegionsToPreCreate(domain), expected) << context;
    for (const backend::PreCreate& region : expected) {
      if (!model.Exists(region.name)) create(region.name, domain);
    }
  }
  static const std::vector<DomainId> kAskers = {kDom0, 3, 4, 5};
  for (int step = 0; step < kStorySteps && !::testing::Test::HasFailure();
       ++step) {
    const size_t op = Below(rng, 20);
    if (op == 0) {
      std::vector<std::string> names = model.Names();
      if (names.empty()) continue;
      const std::string name = Pick(rng, names);
      model.Destroy(name);
      actual.OnRegionDestroyed(name);
      decoded.OnRegionDestroyed(name);
      continue;
    }
    if (op == 1) {
      model.Die(4);
      actual.RemoveDomain(4);
      decoded.RemoveDomain(4);
      no_regions.RemoveDomain(4);
      expect_quotas();
      continue;
    }
    AttachQuestion q;
    q.domain = Pick(rng, kAskers);
    q.region = Pick(rng, kAskedNames);
    q.access = Below(rng, 2) ? Access::kReadOnly : Access::kReadWrite;
    // As xenshmd asks: a create for a missing region, unless the request
    // is attach-only.
    q.creates = !model.Exists(q.region) && Below(rng, 4) != 0;
    const Status got = actual.Check(q);
    const Status again = decoded.Check(q);
    EXPECT_EQ(got.code(), again.code()) << Describe(q) << "\n" << context;
    EXPECT_EQ(got.message(), again.message()) << Describe(q);
    EXPECT_EQ(got.ok(), model.Allows(q))
        << Describe(q) << ": evaluator says '" << got.ToString()
        << "', the model the opposite\n"
        << context;
    if (!got.ok()) {
      EXPECT_EQ(got.code(), Code::kNoPermission) << got.ToString();
      const std::string subject = "domain " + std::to_string(q.domain) +
                                  " may not attach '" + q.region + "'";
      EXPECT_EQ(got.message().rfind(subject, 0), 0u) << got.message();
      EXPECT_EQ(got.message().find("region mode"), std::string::npos)
          << got.message();
      EXPECT_EQ(got.message().find("owner"), std::string::npos)
          << got.message();
      const Status explained = actual.Explain(q);
      EXPECT_EQ(explained.code(), got.code());
      EXPECT_EQ(explained.message().rfind(subject, 0), 0u)
          << explained.message();
      if (model.RefusedRegardlessOfRegion(q)) {
        for (bool creates : {true, false}) {
          AttachQuestion fresh = q;
          fresh.creates = creates;
          const Status outsider = no_regions.Check(fresh);
          EXPECT_EQ(outsider.code(), got.code()) << Describe(q);
          EXPECT_EQ(outsider.message(), got.message())
              << Describe(q) << (model.Exists(q.region) ? " (exists)" : "")
              << "\n"
              << context;
        }
        EXPECT_EQ(explained.message(), got.message());
      }
    } else if (q.creates) {
      create(q.region, q.domain);
    }
  }
}

// An item text the parser accepted must format to text that parses back to
// the same item, and formatting must be a fixed point.
void ExpectItemRoundTrip(const StanzaItem& item, const std::string& text) {
  const std::string normal = FormatStanzaItem(item);
  auto again = ParseStanzaItem(normal);
  ASSERT_TRUE(again) << text << " -> " << normal << ": "
                     << again.error().ToString();
  EXPECT_EQ(*again, item) << text << " -> " << normal;
  EXPECT_EQ(FormatStanzaItem(*again), normal);
}

void ExpectRefusal(const Status& status, std::string_view prefix,
                   const std::string& input) {
  EXPECT_EQ(status.code(), Code::kInvalidArgument) << status.ToString();
  EXPECT_FALSE(status.message().empty()) << input;
  EXPECT_EQ(status.message().rfind(prefix, 0), 0u)
      << status.message() << "\ninput:\n"
      << input;
}

// ------------------------------------------------------------ mutation

const std::vector<std::string>& ConfigSeeds() {
  static const std::vector<std::string> seeds = {
      "name = \"guest\"\nmemory = 512\n"
      "xenshm = [ \"allow=moo*\", \"deny=secret*\", \"ro=cam?\",\n"
      "  \"groups=video,audio\", \"gid=audio\", \"mode=0640\",\n"
      "  \"umask=022\", \"create=moo,size=128M,mode=0660,gid=video\",\n"
      "  \"max-region-memory=160M\", \"max-pending=2\" ]\n",
      "xenshm = [\n  'deny=[!a-c]*',\n  \"create=x.y_z-1,size=4K\",\n]\n"
      "xenshm += [ \"allow=*\" ] # comment\n",
      "groups = [ \"video\", \"audio\" ]\n"
      "default = [ \"deny=*\", \"max-regions=1\" ]\n"
      "xenshm = [ \"allow=*\", \"groups=video\", \"max-mapped=1G\" ]\n",
      "disk = [ 'phy:/dev/vg/g,xvda,w' ]; xenshm = [ \"allow=a\\x41\" ]\n",
      "xenshm = []\n",
  };
  return seeds;
}

const std::vector<std::string>& Tokens() {
  static const std::vector<std::string> tokens = {
      "allow=",
      "deny=",
      "ro=",
      "groups=",
      "gid=",
      "mode=",
      "umask=",
      "create=",
      ",size=",
      ",mode=",
      ",gid=",
      "xenshm",
      "default",
      "+=",
      "=",
      "[",
      "]",
      ",",
      "\"",
      "'",
      "\n",
      "#",
      "\\",
      "*",
      "?",
      "[!",
      "0777",
      "1G",
      "2G",
      "0",
      "0x",
      "K",
      "video",
      std::string(1, '\0'),
      "\xff",
      std::string(200, 'a'),
      "\t",
      ";",
      "\\x00",
      "\\\"",
      "max-regions=",
      "max-attachments=",
      "max-region-memory=",
      "max-mapped=",
      "max-pending=",
      "4096",
      "64G",
      "65G",
  };
  return tokens;
}

std::string Mutate(std::string text, std::mt19937& rng,
                   const std::vector<std::string>& seeds) {
  const int steps = 1 + static_cast<int>(Below(rng, 4));
  for (int step = 0; step < steps; ++step) {
    const size_t at = Below(rng, text.size() + 1);
    switch (Below(rng, 6)) {
      case 0:  // flip a byte
        if (!text.empty()) text[Below(rng, text.size())] ^= 1 << Below(rng, 8);
        break;
      case 1:  // insert a token
        text.insert(at, Pick(rng, Tokens()));
        break;
      case 2:  // delete a range
        text.erase(at, Below(rng, 16));
        break;
      case 3: {  // duplicate a range
        std::string piece = text.substr(at, Below(rng, 32));
        text.insert(Below(rng, text.size() + 1), piece);
        break;
      }
      case 4: {  // splice from another seed
        const std::string& other = Pick(rng, seeds);
        const size_t from = Below(rng, other.size() + 1);
        text.insert(at, other.substr(from, Below(rng, 64)));
        break;
      }
      case 5:  // a random byte
        text.insert(at, 1, static_cast<char>(Below(rng, 256)));
        break;
    }
  }
  return text;
}

// ------------------------------------------------------------ tests

TEST(PolicyFuzzTest, GeneratedStanzas) {
  std::mt19937 rng(99);
  int accepted = 0;
  int refused = 0;
  DomainPolicy neighbour;  // domain 4's policy: the last accepted one
  for (int i = 0; i < kIterations && !HasFailure(); ++i) {
    std::vector<GenItem> items(Below(rng, 10));
    for (GenItem& item : items) item = GenerateItem(rng);
    const std::string text = ConfigText(items);

    // Each item alone: refused exactly when the generator made it bad,
    // otherwise parsed to what it wrote, and back through its normal form.
    for (const GenItem& item : items) {
      auto parsed = ParseStanzaItem(item.text);
      ASSERT_EQ(parsed.has_value(), item.expected.has_value())
          << "'" << item.text
          << "': " << (parsed ? "accepted" : parsed.error().ToString());
      if (!parsed) {
        ExpectRefusal(parsed.error(), "", item.text);
        continue;
      }
      EXPECT_EQ(*parsed, *item.expected) << item.text;
      ExpectItemRoundTrip(*parsed, item.text);
    }

    // The stanza: accepted exactly when the model accepts it, to the same
    // policy; refused naming the item the model names.
    const ModelStanza expected = ModelBuild(items, "gen.cfg");
    auto policy = ParseGuestConfig(text, "gen.cfg");
    if (!expected.policy) {
      ++refused;
      ASSERT_FALSE(policy) << "accepted, but the model refuses item "
                           << expected.error_index + 1 << ":\n"
                           << text;
      const size_t at = expected.error_index;
      ExpectRefusal(policy.error(),
                    "gen.cfg:" + std::to_string(LineOf(at)) + ": '" +
                        items[at].text + "': ",
                    text);
      continue;
    }
    ASSERT_TRUE(policy) << policy.error().ToString() << "\n" << text;
    ASSERT_TRUE(*policy) << text;
    EXPECT_EQ(**policy, *expected.policy) << text;
    ++accepted;
    // Every other story has a policy file too: the neighbour's policy as
    // the `default` (domain 5, and 4 once dead), this one for dom0.
    Dom0Policy dom0;
    if (i % 2 == 1) {
      dom0.fallback = neighbour;
      dom0.fallback->pre_created.clear();
      dom0.dom0 = **policy;
    }
    PlayStory(rng, {{3, **policy}, {4, neighbour}}, dom0, text);
    neighbour = **policy;
  }
  RecordProperty("accepted", accepted);
  RecordProperty("refused", refused);
  if (HasFailure()) return;  // the loop stopped early; counts mean nothing
  // Both outcomes must be common, or one side goes untested.
  EXPECT_GT(accepted, kIterations / 10);
  EXPECT_GT(refused, kIterations / 10);
}

TEST(PolicyFuzzTest, StanzaItems) {
  std::mt19937 rng(31337);
  static const std::vector<std::string> seeds = {
      "allow=moo*",
      "ro=cam[0-3]",
      "groups=video, audio",
      "gid=video",
      "mode=0640",
      "umask=027",
      "create=moo,size=64K,mode=0660,gid=video",
      "create=x,size=0x1000",
      "max-regions=4",
      "max-region-memory=160M",
      "max-mapped = 0x1000"};
  int accepted = 0;
  for (int i = 0; i < kIterations && !HasFailure(); ++i) {
    const std::string text = Mutate(Pick(rng, seeds), rng, seeds);
    auto item = ParseStanzaItem(text);
    if (!item) {
      ExpectRefusal(item.error(), "", text);
      continue;
    }
    ++accepted;
    ExpectItemRoundTrip(*item, text);
  }
  RecordProperty("accepted", accepted);
  if (HasFailure()) return;
  EXPECT_GT(accepted, kIterations / 20);
}

TEST(PolicyFuzzTest, XlConfigs) {
  std::mt19937 rng(20240601);
  int parsed = 0;
  for (int i = 0; i < kIterations && !HasFailure(); ++i) {
    const auto& seeds = ConfigSeeds();
    const std::string text = Mutate(seeds[i % seeds.size()], rng, seeds);
    const SettingLines lines = FindSettingLines(text, kStanzaKey);
    EXPECT_LE(lines.key_line, static_cast<int>(text.size()) + 1);
    auto policy = ParseGuestConfig(text, "fuzz.cfg");
    if (!policy) {
      ExpectRefusal(policy.error(), "fuzz.cfg", text);
      continue;
    }
    if (!*policy) continue;
    ++parsed;
    PlayStory(rng, {{3, **policy}, {4, **policy}}, {}, text);
  }
  RecordProperty("parsed", parsed);
  if (HasFailure()) return;
  // The mutations must not be so wild that nothing ever parses.
  EXPECT_GT(parsed, kIterations / 50);
}

TEST(PolicyFuzzTest, Dom0PolicyFiles) {
  std::mt19937 rng(7);
  int parsed = 0;
  for (int i = 0; i < kIterations / 4 && !HasFailure(); ++i) {
    const auto& seeds = ConfigSeeds();
    const std::string text = Mutate(seeds[2], rng, seeds);
    auto dom0 = ParseDom0PolicyFile(text, "policy.cfg");
    if (!dom0) {
      ExpectRefusal(dom0.error(), "policy.cfg", text);
      continue;
    }
    ++parsed;
    // The default may not pre-create (a region cannot belong to every
    // domain without a stanza).
    if (dom0->fallback) {
      EXPECT_TRUE(dom0->fallback->pre_created.empty());
    }
    PlayStory(rng, {}, *dom0, text);
  }
  RecordProperty("parsed", parsed);
  if (HasFailure()) return;
  EXPECT_GT(parsed, kIterations / 200);
}

TEST(PolicyFuzzTest, SerializedPolicies) {
  std::vector<std::string> seeds;
  for (const std::string& config : ConfigSeeds()) {
    auto policy = ParseGuestConfig(config, "seed.cfg");
    if (policy && *policy) seeds.push_back(SerializePolicy(**policy).value());
  }
  ASSERT_GE(seeds.size(), 3u);
  std::mt19937 rng(4242);
  int parsed = 0;
  for (int i = 0; i < kIterations && !HasFailure(); ++i) {
    const std::string text = Mutate(seeds[i % seeds.size()], rng, seeds);
    auto policy = ParseSerializedPolicy(text);
    if (!policy) {
      ExpectRefusal(policy.error(), "policy", text);
      continue;
    }
    ++parsed;
    PlayStory(rng, {{3, *policy}}, {}, text);
  }
  RecordProperty("parsed", parsed);
  if (HasFailure()) return;
  EXPECT_GT(parsed, kIterations / 50);
}

}  // namespace
}  // namespace xenshm::policy
