// UndoLog: the one undo path of a multi-step operation. Each step that
// succeeds adds how to take itself back; if the operation returns before
// Commit(), the destructor runs those undos newest first, so a failure at
// step N leaves nothing of steps 1..N-1 behind.
//
//   UndoLog undo;
//   XENSHM_RETURN_IF_ERROR(StepOne());
//   undo.Add([&] { UndoStepOne(); });
//   XENSHM_RETURN_IF_ERROR(StepTwo());  // failing here undoes step one
//   undo.Commit();
#ifndef XENSHM_BASE_UNDO_LOG_H_
#define XENSHM_BASE_UNDO_LOG_H_

#include <functional>
#include <utility>
#include <vector>

namespace xenshm {

class UndoLog {
 public:
  UndoLog() = default;
  UndoLog(const UndoLog&) = delete;
  UndoLog& operator=(const UndoLog&) = delete;
  ~UndoLog() {
    for (auto undo = undos_.rbegin(); undo != undos_.rend(); ++undo) (*undo)();
  }

  void Add(std::function<void()> undo) { undos_.push_back(std::move(undo)); }
  // The operation succeeded: keep every step.
  void Commit() { undos_.clear(); }

 private:
  std::vector<std::function<void()>> undos_;
};

}  // namespace xenshm

#endif  // XENSHM_BASE_UNDO_LOG_H_
