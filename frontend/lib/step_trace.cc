#include "frontend/lib/step_trace.h"

#include <cstdio>
#include <cstdlib>

namespace xenshm {
namespace {

double MillisecondsBetween(std::chrono::steady_clock::time_point from,
                           std::chrono::steady_clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

}  // namespace

StepTrace::StepTrace(std::string what)
    : enabled_(std::getenv("XENSHM_TRACE") != nullptr) {
  if (!enabled_) return;
  line_ = "xenshm trace: " + what + ":";
  start_ = mark_ = Clock::now();
}

void StepTrace::Step(std::string_view name) {
  if (!enabled_) return;
  const Clock::time_point now = Clock::now();
  char took[32];
  std::snprintf(took, sizeof took, " %.1f ms", MillisecondsBetween(mark_, now));
  line_ += " ";
  line_ += name;
  line_ += took;
  mark_ = now;
}

StepTrace::~StepTrace() {
  if (!enabled_) return;
  std::fprintf(stderr, "%s; total %.1f ms\n", line_.c_str(),
               MillisecondsBetween(start_, Clock::now()));
}

}  // namespace xenshm
