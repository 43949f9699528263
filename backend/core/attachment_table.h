// AttachmentTable: the one map of Attachment records, by (domain, handle).
// Pure bookkeeping, no Xen calls.
#ifndef XENSHM_BACKEND_CORE_ATTACHMENT_TABLE_H_
#define XENSHM_BACKEND_CORE_ATTACHMENT_TABLE_H_

#include <map>
#include <vector>

#include "backend/core/attachment.h"

namespace xenshm::backend {

class AttachmentTable {
 public:
  // The record of `key`, created (Initialising, unanswered) if new;
  // `created` says which.
  Attachment& Open(AttachmentKey key, bool* created = nullptr);
  Attachment* Find(AttachmentKey key);
  const Attachment* Find(AttachmentKey key) const;
  // The joined attachment whose control channel is `port`.
  Attachment* FindByControlPort(EventPort port);
  void Erase(AttachmentKey key);

  // Keys of `domain`'s records, in handle order.
  std::vector<AttachmentKey> KeysOf(DomainId domain) const;
  const std::map<AttachmentKey, Attachment>& all() const { return records_; }
  std::map<AttachmentKey, Attachment>& all() { return records_; }

 private:
  std::map<AttachmentKey, Attachment> records_;
};

}  // namespace xenshm::backend

#endif  // XENSHM_BACKEND_CORE_ATTACHMENT_TABLE_H_
