#include "frontend/lib/step_trace.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

namespace xenshm {
namespace {

std::string TraceOutput(bool enabled) {
  if (enabled) {
    setenv("XENSHM_TRACE", "1", 1);
  } else {
    unsetenv("XENSHM_TRACE");
  }
  ::testing::internal::CaptureStderr();
  {
    StepTrace trace("attach 'moo'");
    trace.Step("request");
    trace.Step("map");
  }
  return ::testing::internal::GetCapturedStderr();
}

TEST(StepTrace, PrintsEveryStepInOrderWhenAsked) {
  const std::string line = TraceOutput(true);
  const size_t request = line.find(" request ");
  const size_t map = line.find(" map ");
  EXPECT_EQ(line.rfind("xenshm trace: attach 'moo':", 0), 0u) << line;
  ASSERT_NE(request, std::string::npos) << line;
  ASSERT_NE(map, std::string::npos) << line;
  EXPECT_LT(request, map);
  EXPECT_NE(line.find("; total "), std::string::npos) << line;
}

TEST(StepTrace, SilentByDefault) { EXPECT_EQ(TraceOutput(false), ""); }

}  // namespace
}  // namespace xenshm
