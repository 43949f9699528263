/*
 * libxenshm: named shared-memory regions and selective signals between Xen
 * domains. The stable C API; libxenshm.so.1 exports this and nothing else
 * (the C++ API, xenshm/client.h, is a header-only layer over it).
 *
 * Concepts
 * --------
 * A region is a named block of memory owned by dom0 (xenshmd and the xenshm
 * kernel module). xenshm_attach(client, "moo", size, ...) creates the region
 * if no one has it (the creator's size wins) or joins it. Every attachment
 * is a peer with an index (0..63); the last detach destroys the region. In a
 * guest the pages arrive as grants from dom0 and are mapped with the stock
 * xen-gntdev driver; in dom0 they are mapped through the kernel module.
 * Peers signal each other selectively: a signal goes to a set of peer
 * indices (bit i = peer i), and each receiver reads who signaled it and who
 * is attached, QNX shmem-style.
 *
 * Lifetime
 * --------
 * xenshm_open gives a client (one per process is enough); xenshm_attach on
 * it gives regions. xenshm_detach leaves a region but keeps the handle, so
 * its accessors and the failure can still be read; xenshm_region_free
 * releases the handle (detaching first if needed). xenshm_close releases the
 * client; regions attached through it stay valid until they are freed (they
 * keep what they need of the client alive).
 *
 * Errors
 * ------
 * Every call that can fail returns an int: 0 (XENSHM_OK) on success, else a
 * value of enum xenshm_status, the same codes xenshmd writes to xenstore's
 * `status` node and the xenshm CLI prints. On failure errno is also set (the
 * mapping is listed at enum xenshm_status), and xenshm_last_error() returns
 * this thread's detailed message: which region, handle, rule or path. Out
 * parameters are written only on success unless a function says otherwise.
 * Nothing logs.
 *
 * Partial failures
 * ----------------
 * A failed attach leaves nothing behind: no mapping, no channel, no request
 * in xenstore. A failed detach has still tried every step (see
 * xenshm_detach): the region is unmapped whatever it returns.
 *
 * Threads
 * -------
 * Different clients and different regions are independent. On one region,
 * any number of threads may call xenshm_signal, xenshm_signal_domain,
 * xenshm_take_status, xenshm_peek_status, xenshm_peers,
 * xenshm_reachable_peers and xenshm_wait at once; in particular one thread
 * may block in xenshm_wait (or poll xenshm_event_fd) while another signals.
 * No lock is held while a call blocks for events; a waiter is woken when
 * another thread's call read the event it was waiting for. When two threads
 * take the status, each signal is reported to exactly one of them. The
 * event fd is a hint: another thread's call may read the event that made it
 * readable (the news is kept for the next take or wait), so a thread that
 * polls it while others call into the region polls with a timeout, or uses
 * xenshm_wait instead. xenshm_detach and
 * xenshm_region_free must not run while any other call on the same region is
 * in progress or may start: the caller ensures that (stop the waiter first,
 * e.g. with a timeout or a wake-up fd polled beside xenshm_event_fd).
 * xenshm_attach may run on one client from several threads at once.
 *
 * fork
 * ----
 * A child process must not use the parent's clients or regions (their
 * event-channel and xenstore connections belong to the parent). The mapping
 * is inherited like any shared mapping, but xenshmd does not count the child
 * as a peer: open a client and attach again in the child.
 *
 * Build: cc prog.c $(pkg-config --cflags --libs xenshm)
 */
#ifndef XENSHM_XENSHM_H_
#define XENSHM_XENSHM_H_

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Opaque handles. */
typedef struct xenshm_client xenshm_client;
typedef struct xenshm_region xenshm_region;

/* A set of peer indices: bit i is peer i. */
typedef uint64_t xenshm_peer_set;
/* Everyone but me (QNX's ~0). */
#define XENSHM_ALL_PEERS (~(xenshm_peer_set)0)
/* A region has at most this many peers: a xenshm_peers buffer this long is
 * always large enough. */
#define XENSHM_MAX_PEERS 64

/* Why a call failed. The values are stable (they are ABI) and equal the
 * project's internal codes; the names in quotes are xenshm_status_name's. */
enum xenshm_status {
  XENSHM_OK = 0,
  XENSHM_UNKNOWN_FAILURE = 1,      /* "unknown-failure"; errno EIO */
  XENSHM_NO_MEMORY = 2,            /* "no-memory"; ENOMEM */
  XENSHM_CLIENT_MAX = 3,           /* "client-max": region full; EUSERS */
  XENSHM_ILLEGAL_NAME = 4,         /* "illegal-name"; EINVAL */
  XENSHM_NO_PERMISSION = 5,        /* "no-permission": policy refused; EACCES */
  XENSHM_DOES_NOT_EXIST = 6,       /* "does-not-exist"; ENOENT */
  XENSHM_GRANT_BUDGET = 7,         /* "grant-budget": dom0's grants; ENOSPC */
  XENSHM_ALREADY_ATTACHED = 8,     /* "already-attached"; EEXIST */
  XENSHM_INVALID_ARGUMENT = 9,     /* "invalid-argument"; EINVAL (ERANGE:
                                      buffer too small) */
  XENSHM_BACKEND_UNAVAILABLE = 10, /* "backend-unavailable": no xenshmd
                                      answered, or it closed this
                                      attachment; ECONNREFUSED */
  XENSHM_TIMED_OUT = 11,           /* "timed-out"; ETIMEDOUT */
  XENSHM_AGAIN = 12,               /* "again": transient; EAGAIN */
  XENSHM_QUOTA_EXCEEDED = 13,      /* "quota-exceeded"; EDQUOT */
  XENSHM_IO_ERROR = 14,            /* "io-error"; EIO */
  XENSHM_NOT_FOUND = 15,           /* "not-found"; ENOENT */
  XENSHM_BUSY = 16,                /* "busy"; EBUSY */
  XENSHM_RATE_LIMITED = 17         /* "rate-limited"; EAGAIN */
};

/* The stable lower-case name of a status ("ok", "no-permission", ...), as
 * xenstore and the CLI spell it; "unknown-failure" for a value not listed
 * above. Never NULL; static storage. */
const char *xenshm_status_name(int status);
/* A short English sentence for a status ("Permission denied by xenshm
 * policy"); never NULL; static storage. */
const char *xenshm_strerror(int status);
/* The detailed message of the last call that failed on this thread (region,
 * handle, path, rule), "" if none did. Successful calls leave it unchanged.
 * Valid until this thread's next failing call. */
const char *xenshm_last_error(void);

/* Opens the real platform of the domain this program runs in: xenstore,
 * xen-gntdev and xen-evtchn, and in dom0 also the xenshm kernel module.
 * `flags` must be 0 (reserved). On success *out is a new client.
 * Fails with the platform's status (e.g. XENSHM_IO_ERROR, XENSHM_NOT_FOUND:
 * a device or xenstore is missing; XENSHM_BACKEND_UNAVAILABLE: dom0 without
 * the kernel module); *out is left untouched. */
int xenshm_open(unsigned flags, xenshm_client **out);
/* Releases the client. NULL is allowed. Regions it attached stay usable
 * until freed. */
void xenshm_close(xenshm_client *client);
/* The domain id the client runs in (0 for dom0). */
uint16_t xenshm_client_domain(const xenshm_client *client);

enum xenshm_attach_mode {
  XENSHM_CREATE_OR_ATTACH = 0, /* create the region if no one has it */
  XENSHM_ATTACH_ONLY = 1       /* join; XENSHM_DOES_NOT_EXIST if absent */
};
enum xenshm_access {
  XENSHM_READ_WRITE = 0,
  XENSHM_READ_ONLY = 1 /* the mapping is read-only (a write faults) */
};

/* Attach options. Extensible: set it up with xenshm_attach_options_init,
 * which fills struct_size; a later library version reads only the fields a
 * caller's struct_size covers and uses defaults for the rest. */
struct xenshm_attach_options {
  size_t struct_size; /* sizeof(struct xenshm_attach_options) */
  int mode;           /* enum xenshm_attach_mode; default create */
  int access;         /* enum xenshm_access; default read-write */
  int use_handle;     /* nonzero: attach with `handle`, not the lowest free
                         one; a handle in use: XENSHM_ALREADY_ATTACHED */
  uint32_t handle;    /* see use_handle */
  int32_t timeout_ms; /* how long to wait for xenshmd; default 10000 */
};
/* Fills the defaults and struct_size. */
void xenshm_attach_options_init(struct xenshm_attach_options *options);

/* Creates or joins region `name` (1..64 bytes of [A-Za-z0-9._-], not
 * starting with '.'). `size` (bytes, 1 up to the project's maximum) matters
 * only when this attach creates the region: read xenshm_region_size for the
 * real one. `options` may be NULL (defaults). On success *out is a new region.
 * Fails: XENSHM_INVALID_ARGUMENT (NULL client/name/out, bad size, bad
 * options: unknown mode or access, struct_size too small), XENSHM_ILLEGAL_NAME,
 * or what xenshmd answered (XENSHM_NO_PERMISSION, XENSHM_CLIENT_MAX,
 * XENSHM_GRANT_BUDGET, XENSHM_DOES_NOT_EXIST, ...), or
 * XENSHM_BACKEND_UNAVAILABLE when it did not answer within the timeout.
 * Nothing is left attached on failure, and *out is untouched. */
int xenshm_attach(xenshm_client *client, const char *name, uint64_t size,
                  const struct xenshm_attach_options *options,
                  xenshm_region **out);

/* Leaves the region: unmaps it (xenshm_region_data becomes NULL at once,
 * whatever is returned), closes this peer's channels, tells xenshmd, waits up
 * to 5 s for it to confirm, then withdraws the request from xenstore.
 * 0: this peer has left. On failure every step was still tried and the
 * first failure is returned: telling xenshmd failed (the xenstore write's
 * status); xenshmd did not confirm (XENSHM_BACKEND_UNAVAILABLE; unmapped and
 * withdrawn all the same); withdrawing failed (the xenstore status). A second
 * call returns 0 and does nothing. The handle stays valid: free it with
 * xenshm_region_free. REQUIRES: no other call on this region in progress. */
int xenshm_detach(xenshm_region *region);
/* Detaches if still attached (ignoring the status) and releases the handle.
 * NULL is allowed. REQUIRES: no other call on this region in progress. */
void xenshm_region_free(xenshm_region *region);

/* Accessors. They cannot fail; on a NULL region they return NULL/0. */
const char *xenshm_region_name(const xenshm_region *region);
/* The region's real size in bytes (the creator's), whatever was asked. */
uint64_t xenshm_region_size(const xenshm_region *region);
/* The mapping: size bytes, page aligned; NULL once detached. */
void *xenshm_region_data(const xenshm_region *region);
uint32_t xenshm_region_peer_index(const xenshm_region *region);
uint32_t xenshm_region_handle(const xenshm_region *region);
/* 1 if the mapping is writable, 0 if read-only. */
int xenshm_region_writable(const xenshm_region *region);

struct xenshm_peer_info {
  uint32_t index;  /* peer index in the region */
  uint16_t domain; /* the domain it attached from */
  uint32_t handle; /* its request handle in that domain */
};
/* The peers attached now (this one included), ordered by index, into
 * `peers` (room for `capacity`). On success *count is how many were
 * written. Buffer too small: XENSHM_INVALID_ARGUMENT with errno ERANGE,
 * *count set to the number needed and nothing written (a buffer of
 * XENSHM_MAX_PEERS always suffices). `peers` may be NULL when capacity is 0
 * (to ask the count). If xenshmd has closed this attachment (restarted with
 * --reset), its status: XENSHM_BACKEND_UNAVAILABLE, "xenshmd restarted...".
 * Detached: XENSHM_INVALID_ARGUMENT. */
int xenshm_peers(const xenshm_region *region, struct xenshm_peer_info *peers,
                 size_t capacity, size_t *count);

/* What a sender learns: `reached` peers got an interrupt; `missed` were
 * asked for but are not attached, are this peer itself, or have no channel
 * to it (yet, or by policy). For XENSHM_ALL_PEERS, missed holds only peers
 * that are attached but could not be reached. */
struct xenshm_signal_report {
  xenshm_peer_set reached;
  xenshm_peer_set missed;
};
/* What a receiver sees: who signaled it since it last took the status, and
 * who is attached now (itself included). */
struct xenshm_signal_status {
  xenshm_peer_set signaled_by;
  xenshm_peer_set attached;
};

/* Signals the peers in `targets` (may be XENSHM_ALL_PEERS); one notify per
 * peer, nothing else. `report` may be NULL. Reaching no one is not a
 * failure: read the report. Detached: XENSHM_INVALID_ARGUMENT. */
int xenshm_signal(xenshm_region *region, xenshm_peer_set targets,
                  struct xenshm_signal_report *report);
/* Signals every peer attached from domain `domain`; none:
 * XENSHM_DOES_NOT_EXIST. `report` may be NULL. */
int xenshm_signal_domain(xenshm_region *region, uint16_t domain,
                         struct xenshm_signal_report *report);
/* The status now, without blocking; clears signaled_by. */
int xenshm_take_status(xenshm_region *region,
                       struct xenshm_signal_status *status);
/* The same without clearing anything (for loops that wait for peers and
 * must not swallow a signal meant for later). */
int xenshm_peek_status(xenshm_region *region,
                       struct xenshm_signal_status *status);
/* Blocks until a peer signals us or the attached set changes, then takes
 * the status like xenshm_take_status. `timeout_ms` < 0 waits forever;
 * XENSHM_TIMED_OUT after timeout_ms (up to twice that if woken without news
 * meanwhile: the clock is read only then, to keep the signal path lean). */
int xenshm_wait(xenshm_region *region, int timeout_ms,
                struct xenshm_signal_status *status);
/* Readable (poll/epoll) when there may be news; then call
 * xenshm_take_status. -1 with errno EINVAL when detached or NULL. The fd
 * belongs to the region: do not read or close it. */
int xenshm_event_fd(const xenshm_region *region);
/* Peers a signal would reach now, into *reachable. Channels to a new peer
 * are set up while both sides' libraries run (any call here, or
 * xenshm_take_status after the event fd polls readable), so a peer that
 * never looks is never reachable. */
int xenshm_reachable_peers(xenshm_region *region, xenshm_peer_set *reachable);

#ifdef __cplusplus
}
#endif

#endif /* XENSHM_XENSHM_H_ */
