// StepTrace: how long each step of an operation took, printed on one line to
// stderr when the environment variable XENSHM_TRACE is set (docs/
// performance.md uses it to find where an attach spends its time). When it
// is not set, nothing reads the clock.
#ifndef XENSHM_FRONTEND_LIB_STEP_TRACE_H_
#define XENSHM_FRONTEND_LIB_STEP_TRACE_H_

#include <chrono>
#include <string>
#include <string_view>

namespace xenshm {

class StepTrace {
 public:
  explicit StepTrace(std::string what);
  ~StepTrace();
  StepTrace(const StepTrace&) = delete;
  StepTrace& operator=(const StepTrace&) = delete;

  // Ends the step that began at the last mark (or at construction).
  void Step(std::string_view name);

 private:
  using Clock = std::chrono::steady_clock;
  const bool enabled_;
  std::string line_;
  Clock::time_point start_, mark_;
};

}  // namespace xenshm

#endif  // XENSHM_FRONTEND_LIB_STEP_TRACE_H_
