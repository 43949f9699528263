#include "base/undo_log.h"

#include <gtest/gtest.h>

#include <string>

namespace xenshm {
namespace {

TEST(UndoLog, UndoesNewestFirstWhenNotCommitted) {
  std::string trail;
  {
    UndoLog undo;
    undo.Add([&] { trail += "1"; });
    undo.Add([&] { trail += "2"; });
  }
  EXPECT_EQ(trail, "21");
}

TEST(UndoLog, CommitKeepsEveryStep) {
  std::string trail;
  {
    UndoLog undo;
    undo.Add([&] { trail += "1"; });
    undo.Commit();
  }
  EXPECT_EQ(trail, "");
}

}  // namespace
}  // namespace xenshm
