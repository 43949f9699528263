// The one way to run a xenstore transaction: start, run the body, commit,
// and start over while the commit conflicts (kAgain), as xenstored asks.
#ifndef XENSHM_PLATFORM_XENSTORE_RETRY_H_
#define XENSHM_PLATFORM_XENSTORE_RETRY_H_

#include <functional>

#include "base/status.h"
#include "platform/xenstore.h"

namespace xenshm {

// How often a conflicting transaction is started again before giving up.
inline constexpr int kTransactionAttempts = 16;

// Runs `body` in a transaction until it commits. A body that fails aborts
// the transaction and its Status is returned (nothing it wrote is kept);
// a commit that still conflicts after kTransactionAttempts is kAgain.
// Errors of TransactionStart (kQuotaExceeded when the domain holds too many
// transactions) are returned as they are.
Status RetryOnAgain(XenStore& xenstore,
                    const std::function<Status(XsTransaction)>& body);

}  // namespace xenshm

#endif  // XENSHM_PLATFORM_XENSTORE_RETRY_H_
