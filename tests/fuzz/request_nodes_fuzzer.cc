// Fuzz target for what a frontend writes under
// /local/domain/<d>/device/xenshm/<handle>/ (xenstore-schema/schema.h,
// attach_request.h): ReadAttachRequest over a MemoryXenStore built from the
// input, and every schema value parser on every value.
//
// Input: lines `key=value` (the value is the rest of the line, any bytes but
// '\n'). `domain=N` and `handle=N` choose the requester (default 1 and 0;
// digits only, taken modulo the valid range); `fail=NODE` makes reads of
// that request node fail with kAgain; every other key is a request node.
//
// Invariants:
//  - ReadAttachRequest's result is what reading the nodes in order (name,
//    size, mode, access, then dom0's pid) with each node's own parser
//    predicts: the first missing, oversized or malformed node's Status
//    (kIllegalName for an oversized name), the injected read failure
//    unchanged, or the request.
//  - An accepted request is within bounds (name legal, 1 <= size <= 1 GiB,
//    pid only for dom0 and within 1..PID_MAX_LIMIT), its values are the
//    nodes' canonical spellings, and WriteAttachRequest then
//    ReadAttachRequest gives it back.
//  - Every value parser (ParseRegionName, ParseSize, ParseMode, ParseAccess,
//    ParseState, ParseHandle, ParsePid, ParseDomainId, ParsePeerIndex,
//    ParsePort, ParsePeerRef, ParseFrontendPath, CodeFromName): an accepted
//    value is within its documented range and is its value's only spelling
//    (formatting gives the text back); a refused one has a Status with a
//    bounded printable reason. CheckFrontendTransition allows exactly the
//    documented moves.
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tests/fuzz/fuzz_check.h"
#include "tests/fuzz/memory_xenstore.h"
#include "xenstore-schema/attach_request.h"
#include "xenstore-schema/limits.h"
#include "xenstore-schema/schema.h"

namespace xenshm::fuzz {
namespace {

using namespace xenshm::schema;

constexpr size_t kMaxCheckedValues = 12;

// The harness's own numbers: digits only, anything else ignored, reduced
// modulo `modulo`; `fallback` when there are no digits.
uint32_t HarnessNumber(std::string_view text, uint32_t modulo,
                       uint32_t fallback) {
  uint64_t value = 0;
  bool any = false;
  for (char c : text) {
    if (c < '0' || c > '9') continue;
    value = (value * 10 + static_cast<uint64_t>(c - '0')) % modulo;
    any = true;
  }
  return any ? static_cast<uint32_t>(value) : fallback;
}

// Both results: same code and message.
template <typename T>
bool SameError(const Result<T>& result, const Status& expected) {
  return !result && result.error().code() == expected.code() &&
         result.error().message() == expected.message();
}

std::string Describe(const Result<AttachRequest>& result) {
  if (!result) return "refused: " + result.error().ToString();
  return "accepted " + result->name + " size " + std::to_string(result->size);
}

// Checks that `parsed` spells back as `value`, or that its rejection is a
// good one.
template <typename T, typename Format>
void CheckCanonical(const Result<T>& parsed, std::string_view value,
                    Format format, std::initializer_list<Code> codes,
                    const char* parser) {
  if (!parsed) {
    CheckRejection(parsed.error(), codes, parser, 512);
    return;
  }
  FUZZ_CHECK(format(*parsed) == value,
             std::string(parser) + ": " + std::string(value));
}

void CheckValueParsers(std::string_view value) {
  auto decimal = [](auto n) { return std::to_string(n); };

  auto name = ParseRegionName(value);
  if (name) {
    FUZZ_CHECK(*name == value, value);
    FUZZ_CHECK(!name->empty() && name->size() <= kMaxNameLength, value);
    FUZZ_CHECK(name->front() != '.', value);
    for (char c : *name) FUZZ_CHECK(IsRegionNameChar(c), value);
  } else {
    CheckRejection(name.error(), {Code::kIllegalName}, "ParseRegionName", 512);
  }

  auto size = ParseSize(value);
  if (size) FUZZ_CHECK(*size >= 1 && *size <= kMaxRegionBytes, value);
  CheckCanonical(size, value, decimal, {Code::kInvalidArgument}, "ParseSize");
  CheckCanonical(ParseMode(value), value, ModeName, {Code::kInvalidArgument},
                 "ParseMode");
  CheckCanonical(ParseAccess(value), value, AccessName,
                 {Code::kInvalidArgument}, "ParseAccess");

  auto state = ParseState(value);
  CheckCanonical(state, value, StateValue, {Code::kInvalidArgument},
                 "ParseState");
  if (state) {
    const int to = static_cast<int>(*state);
    FUZZ_CHECK(to >= 0 && to <= 6, value);
    for (int from = 0; from <= 6; ++from) {
      Status moved =
          CheckFrontendTransition(static_cast<XenbusState>(from), *state);
      const bool allowed = to >= from && *state != XenbusState::kUnknown &&
                           *state != XenbusState::kInitWait;
      FUZZ_CHECK(moved.ok() == allowed,
                 std::to_string(from) + " -> " + std::to_string(to));
      if (!allowed) {
        CheckRejection(moved, {Code::kInvalidArgument},
                       "CheckFrontendTransition");
      }
    }
  }

  auto handle = ParseHandle(value);
  if (handle) FUZZ_CHECK(*handle <= kMaxHandle, value);
  CheckCanonical(handle, value, decimal, {Code::kInvalidArgument},
                 "ParseHandle");
  auto pid = ParsePid(value);
  if (pid) FUZZ_CHECK(*pid >= 1 && *pid <= 4194304, value);
  CheckCanonical(pid, value, decimal, {Code::kInvalidArgument}, "ParsePid");
  auto domain = ParseDomainId(value);
  if (domain) FUZZ_CHECK(*domain < 0x7ff0, value);
  CheckCanonical(domain, value, decimal, {Code::kInvalidArgument},
                 "ParseDomainId");
  auto index = ParsePeerIndex(value);
  if (index) FUZZ_CHECK(*index < kMaxPeers, value);
  CheckCanonical(index, value, decimal, {Code::kInvalidArgument},
                 "ParsePeerIndex");
  auto port = ParsePort(value);
  if (port) FUZZ_CHECK(*port >= 1 && *port < (1u << 17), value);
  CheckCanonical(port, value, decimal, {Code::kInvalidArgument}, "ParsePort");

  auto peer = ParsePeerRef(value);
  if (peer) {
    FUZZ_CHECK(peer->domain < 0x7ff0 && peer->handle <= kMaxHandle, value);
  }
  CheckCanonical(peer, value, FormatPeerRef, {Code::kInvalidArgument},
                 "ParsePeerRef");

  if (auto location = ParseFrontendPath(value)) {
    FUZZ_CHECK(location->domain < 0x7ff0, value);
    if (!location->handle) {
      FUZZ_CHECK(value == FrontendRoot(location->domain), value);
    } else {
      FUZZ_CHECK(*location->handle <= kMaxHandle, value);
      const std::string path =
          FrontendPath(location->domain, *location->handle);
      FUZZ_CHECK(value.starts_with(path), value);
      FUZZ_CHECK(value.size() == path.size() || value[path.size()] == '/',
                 value);
    }
  }

  if (auto code = CodeFromName(value)) {
    FUZZ_CHECK(CodeName(*code) == value, value);
  }
}

// What ReadAttachRequest must answer, derived from the nodes alone.
Result<AttachRequest> Predict(const std::map<std::string, std::string>& nodes,
                              const std::set<std::string>& failing,
                              DomainId domain) {
  AttachRequest request;
  for (std::string_view node : {kNodeName, kNodeSize, kNodeMode, kNodeAccess}) {
    const std::string key(node);
    if (failing.contains(key)) {
      return Error(Code::kAgain, "the injected read failure");
    }
    auto found = nodes.find(key);
    if (found == nodes.end()) {
      return Error(Code::kInvalidArgument,
                   "request node '" + key + "' is missing");
    }
    const std::string& value = found->second;
    if (value.size() > kMaxValueLength) {
      return Error(
          node == kNodeName ? Code::kIllegalName : Code::kInvalidArgument,
          "request node '" + key + "' is " + std::to_string(value.size()) +
              " bytes, over " + std::to_string(kMaxValueLength));
    }
    if (node == kNodeName) {
      auto name = ParseRegionName(value);
      if (!name) return Error(name.error());
      request.name = *name;
    } else if (node == kNodeSize) {
      auto size = ParseSize(value);
      if (!size) return Error(size.error());
      request.size = *size;
    } else if (node == kNodeMode) {
      auto mode = ParseMode(value);
      if (!mode) return Error(mode.error());
      request.mode = *mode;
    } else {
      auto access = ParseAccess(value);
      if (!access) return Error(access.error());
      request.access = *access;
    }
  }
  const std::string pid_key(kNodePid);
  if (domain == kDom0 && nodes.contains(pid_key) &&
      !failing.contains(pid_key)) {
    auto pid = ParsePid(nodes.at(pid_key));
    if (!pid) return Error(pid.error());
    request.pid = *pid;
  }
  return request;
}

bool SameRequest(const AttachRequest& a, const AttachRequest& b) {
  return a.name == b.name && a.size == b.size && a.mode == b.mode &&
         a.access == b.access && a.pid == b.pid;
}

}  // namespace
}  // namespace xenshm::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace xenshm;
  using namespace xenshm::fuzz;
  using namespace xenshm::schema;
  std::string_view text = AsText(data, size);
  DomainId domain = 1;
  uint32_t handle = 0;
  std::map<std::string, std::string> nodes;
  std::set<std::string> failing;
  std::vector<std::string_view> values;
  while (!text.empty()) {
    const size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    const size_t equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    const std::string key(line.substr(0, equals));
    const std::string_view value = line.substr(equals + 1);
    values.push_back(value);
    if (key == "domain") {
      domain = static_cast<DomainId>(HarnessNumber(value, 0x7ff0, 1));
    } else if (key == "handle") {
      handle = HarnessNumber(value, kMaxHandle + 1, 0);
    } else if (key == "fail") {
      failing.insert(std::string(value));
    } else if (!key.empty() && key.find('/') == std::string::npos) {
      nodes[key] = std::string(value);
    }
  }

  // Every value meets every parser; past the first few, more values of
  // one input add nothing but time.
  for (size_t i = 0; i < values.size() && i < kMaxCheckedValues; ++i) {
    CheckValueParsers(values[i]);
  }

  MemoryXenStore store;
  for (const auto& [node, value] : nodes) {
    FUZZ_CHECK(store.Write(1, FrontendNode(domain, handle, node), value).ok(),
               node);
  }
  for (const std::string& node : failing) {
    store.FailReads(FrontendNode(domain, handle, node), Code::kAgain);
  }
  auto request = ReadAttachRequest(store, 1, domain, handle);
  auto predicted = Predict(nodes, failing, domain);
  if (!predicted) {
    if (predicted.error().code() == Code::kAgain) {
      // The injected failure, passed on as it came.
      FUZZ_CHECK(!request && request.error().code() == Code::kAgain,
                 Describe(request));
      FUZZ_CHECK(
          request.error().message().starts_with("injected read failure of "),
          Describe(request));
    } else {
      FUZZ_CHECK(
          SameError(request, predicted.error()),
          Describe(request) + " but expected " + predicted.error().ToString());
    }
    CheckRejection(request.error(),
                   {Code::kIllegalName, Code::kInvalidArgument, Code::kAgain},
                   "ReadAttachRequest", 512);
    return 0;
  }
  FUZZ_CHECK(request && SameRequest(*request, *predicted),
             Describe(request) + " but expected " + Describe(predicted));
  FUZZ_CHECK(ParseRegionName(request->name).has_value(), request->name);
  FUZZ_CHECK(request->size >= 1 && request->size <= kMaxRegionBytes,
             Describe(request));
  FUZZ_CHECK(std::to_string(request->size) == nodes.at("size"),
             nodes.at("size"));
  FUZZ_CHECK(ModeName(request->mode) == nodes.at("mode"), nodes.at("mode"));
  FUZZ_CHECK(AccessName(request->access) == nodes.at("access"),
             nodes.at("access"));
  if (request->pid) {
    FUZZ_CHECK(domain == kDom0, "a guest's request has a pid");
    FUZZ_CHECK(*request->pid >= 1 && *request->pid <= 4194304, nodes.at("pid"));
    FUZZ_CHECK(std::to_string(*request->pid) == nodes.at("pid"),
               nodes.at("pid"));
  }

  MemoryXenStore written;
  FUZZ_CHECK(WriteAttachRequest(written, 1, domain, handle, *request).ok(),
             Describe(request));
  auto reread = ReadAttachRequest(written, 1, domain, handle);
  FUZZ_CHECK(reread && SameRequest(*reread, *request),
             Describe(reread) + " after writing " + Describe(request));
  for (const auto& [path, value] : written.values()) {
    const std::string node = path.substr(path.rfind('/') + 1);
    FUZZ_CHECK(nodes.contains(node) && nodes.at(node) == value,
               "WriteAttachRequest wrote " + path + " = " + value);
  }
  return 0;
}
