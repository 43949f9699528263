#include "platform/xenstore_retry.h"

namespace xenshm {

Status RetryOnAgain(XenStore& xenstore,
                    const std::function<Status(XsTransaction)>& body) {
  for (int attempt = 0; attempt < kTransactionAttempts; ++attempt) {
    auto t = xenstore.TransactionStart();
    if (!t) return t.error();
    Status done = body(*t);
    if (!done.ok()) {
      (void)xenstore.TransactionEnd(*t, false);
      return done;
    }
    Status committed = xenstore.TransactionEnd(*t, true);
    if (committed.code() != Code::kAgain) return committed;
  }
  return Status(Code::kAgain, "xenstore transaction kept conflicting (" +
                                  std::to_string(kTransactionAttempts) +
                                  " attempts)");
}

}  // namespace xenshm
