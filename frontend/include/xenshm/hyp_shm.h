/*
 * hyp_shm.h: QNX host programs' shared-memory calls (libhyp's hyp_shm_*),
 * for dom0 programs, over libxenshm.
 *
 * libhyp's reference (QNX's "Virtualization API Reference") is not public.
 * What QNX documents publicly is that host programs create and attach
 * regions by name like guests, are peers with an index like guests, and
 * notify selectively. Every signature below is therefore INFERRED: the
 * calls a QNX host sample needs (a handle, attach by name and size with an
 * optional mode and group, data, size, index, name, poke everyone but me,
 * detach), with names in libhyp's style. A port may need to rename calls;
 * docs/porting-from-qnx.md says what each does.
 *
 * Differences from QNX: notification arrives on a file descriptor
 * (hyp_shm_event_fd; poll it, then hyp_shm_status) instead of a pulse; the
 * index rules are guest_shm.h's (0..15 for compatibility peers, native
 * peers above 15 are not in the masks). A region's mode and group come
 * from dom0's xenshm policy (/etc/xenshm/policy.cfg, `xenshm = [
 * "mode=0660", "gid=video" ]`), so hyp_shm_attach accepts only the
 * defaults and refuses others rather than ignoring them.
 *
 * Status codes are guest_shm.h's GSS_* values (enum guest_shm_status).
 * One handle may be used from one thread at a time.
 */
#ifndef XENSHM_HYP_SHM_H_
#define XENSHM_HYP_SHM_H_

#include "xenshm/guest_shm.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hyp_shm hyp_shm;

/* hyp_shm_attach's mode and gid that mean "as the policy says". */
#define HYP_SHM_MODE_DEFAULT 0u
#define HYP_SHM_GID_DEFAULT (-1)

/* INFERRED. A handle, not attached, over a new xenshm client of dom0
 * (xenshm_open). NULL with errno set on failure (guest_shm_last_error()). */
hyp_shm *hyp_shm_create(void);
/* Not in libhyp: the same over a client the caller keeps open until
 * hyp_shm_destroy (tests; programs that also use xenshm.h). */
hyp_shm *hyp_shm_create_on(xenshm_client *client);
/* INFERRED. Detaches if attached and frees the handle. NULL is allowed. */
void hyp_shm_destroy(hyp_shm *shm);

/* INFERRED. Creates region `name` (1..32 bytes) of `size` bytes (rounded
 * up to 4 KiB pages) or joins it (the creator's size wins: hyp_shm_size).
 * `mode` HYP_SHM_MODE_DEFAULT and `gid` HYP_SHM_GID_DEFAULT: anything else
 * is GSS_UNKNOWN_FAILURE with errno EINVAL (set them in the policy).
 * Returns a GSS_* code; GSS_CLIENT_MAX as for guests. A handle already
 * attached: GSS_UNKNOWN_FAILURE, errno EBUSY. */
int hyp_shm_attach(hyp_shm *shm, const char *name, size_t size, unsigned mode,
                   int gid);
/* INFERRED. The mapping (NULL when not attached), its size in bytes, this
 * peer's index (0..15) and the region's name ("" when not attached). */
void *hyp_shm_data(const hyp_shm *shm);
size_t hyp_shm_size(const hyp_shm *shm);
unsigned hyp_shm_idx(const hyp_shm *shm);
const char *hyp_shm_name(const hyp_shm *shm);
/* INFERRED. Notifies the peers whose bits are set in `clients` (bits
 * 16..31 ignored); ~0 is everyone but me, native peers included. 0, or -1
 * with errno EINVAL when not attached. */
int hyp_shm_poke(hyp_shm *shm, uint32_t clients);
/* Not in libhyp (pulses carry this there): guest_shm_status's word, who
 * notified us since the last call (low 16 bits; reading clears them) and
 * who is attached and reachable from here (high 16). 0 when not attached. */
uint32_t hyp_shm_status(hyp_shm *shm);
/* Not in libhyp: readable when there is news for hyp_shm_status; -1 with
 * errno EINVAL when not attached. Do not read or close it. */
int hyp_shm_event_fd(const hyp_shm *shm);
/* INFERRED. Leaves the region; the mapping is gone whatever it returns. 0,
 * or -1 with errno set (EINVAL: not attached; else xenshmd did not confirm
 * in time, see guest_shm_last_error()). The handle can attach again. */
int hyp_shm_detach(hyp_shm *shm);

#ifdef __cplusplus
}
#endif

#endif /* XENSHM_HYP_SHM_H_ */
