/*
 * guest_shm.h: QNX's shmem vdev guest interface, over libxenshm.
 *
 * For programs written against QNX hypervisor guests' <guest_shm.h>: the
 * same structures, constants and status codes, with the behaviour QNX's
 * documentation gives them, on Xen. Written from that documentation; no QNX
 * file was copied. docs/porting-from-qnx.md lists every difference.
 *
 * How it maps
 * -----------
 * 1. Discovery. On QNX a driver finds the factory page by PCI or at a
 *    configured guest-physical address and checks its signature. Here
 *    guest_shm_factory_open() gives it (a private page of this process;
 *    signature GUEST_SHM_SIGNATURE), and guest_shm_factory_close() ends it.
 * 2. Creating or finding a connection attaches. QNX creates when the
 *    program stores the page count in `size` and finds when it stores to
 *    `find`; here those stores are guest_shm_create(factory, pages) and
 *    guest_shm_find(factory). Both read the name from factory->name and
 *    then set factory->status (a GSS_* code), factory->shmem and
 *    factory->vector, which the program reads with plain loads as on QNX.
 * 3. The connection. factory->shmem is the address (in this process, not
 *    guest-physical: nothing to map) of the connection's control page, and
 *    the region's data starts right after it, so
 *    `(char *)ctrl + 0x1000` is the data as on QNX. The control page is
 *    private to this process and read-only to the program. The library
 *    finds a spot where the kernel will map the region with a free page
 *    below it before attaching. A region larger than asked (its creator's
 *    size) may land elsewhere: if the page below it is taken, the library
 *    detaches and attaches once more for the real size (peers see a leave
 *    and a join); if that fails too, GSS_NOMEM and nothing stays.
 * 4. notify, status and detach are calls (guest_shm_notify,
 *    guest_shm_status, guest_shm_detach). On QNX they are stores to and
 *    loads from virtual registers that trap into the hypervisor. A Xen
 *    guest's store to its own memory traps nothing, so a store would
 *    silently do nothing; that is why the page is read-only: a store left
 *    from QNX code faults at once instead. `ctrl->idx` is a plain load.
 * 5. The interrupt. factory->vector is a file descriptor (xenshm's event
 *    fd) that polls readable when a peer notified this connection or the
 *    attached set changed; then call guest_shm_status. Do not read or close
 *    it. It is the connection's until guest_shm_detach.
 *
 * Clients
 * -------
 * A region has up to GUEST_SHM_MAX_CLIENTS compatibility peers, with
 * indices 0..15, as on QNX. xenshm itself allows 64 peers per region: a
 * create or find that would get an index of 16 or more detaches again and
 * fails with GSS_CLIENT_MAX. Native xenshm peers (xenshm.h programs) may
 * hold indices 16..63: they do not appear in the 16-bit masks of
 * guest_shm_status (neither as attached nor as notifier), and only
 * ~0 ("everyone but me") reaches them; with no attached bit to wait for,
 * a ~0 sent just after one attached may miss it.
 *
 * Errors and threads
 * ------------------
 * GSS_* codes are QNX's; a xenshm status with no QNX equivalent becomes
 * GSS_UNKNOWN_FAILURE (a grant budget or quota, GSS_NOMEM), and
 * guest_shm_last_error() has the detailed message of the failure. One factory
 * and its connections may be used from one thread at a time, as QNX's
 * single set of factory registers.
 *
 * Build: cc prog.c -lxenshm_qnx $(pkg-config --cflags --libs xenshm) -lstdc++
 */
#ifndef XENSHM_GUEST_SHM_H_
#define XENSHM_GUEST_SHM_H_

#include "xenshm/xenshm.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GUEST_SHM_MAX_CLIENTS 16
#define GUEST_SHM_MAX_NAME 32
#define GUEST_SHM_SIGNATURE 0x4d534732474d5651ULL

/* What the last create or find gave (factory->status). */
enum guest_shm_status {
  GSS_OK = 0,              /* connected */
  GSS_UNKNOWN_FAILURE = 1, /* anything else: guest_shm_last_error() */
  GSS_NOMEM = 2,           /* no memory, grants or quota for it */
  GSS_CLIENT_MAX = 3,      /* 16 compatibility peers already attached */
  GSS_ILLEGAL_NAME = 4,    /* empty, or not xenshm's [A-Za-z0-9._-] */
  GSS_NO_PERMISSION = 5,   /* the policy refused it */
  GSS_DOES_NOT_EXIST = 6   /* find: no region of that name */
};

/* The factory page. The library writes every field but `name`; the
 * program writes `name` and reads the rest. `size` and `find` are kept for
 * the layout; storing to them does nothing (call guest_shm_create and
 * guest_shm_find). */
struct guest_shm_factory {
  uint64_t signature; /* GUEST_SHM_SIGNATURE */
  uint64_t shmem;     /* the last connection's control page (an address) */
  uint32_t vector;    /* the last connection's event fd */
  uint32_t status;    /* enum guest_shm_status of the last create/find */
  uint32_t size;      /* the last connection's size in 4 KiB pages */
  char name[GUEST_SHM_MAX_NAME]; /* NUL-terminated unless 32 bytes long */
  uint32_t find;                 /* unused */
};

/* A connection's control page (4 KiB, read-only to the program); the
 * region's data follows it. */
struct guest_shm_control {
  uint32_t status; /* 0: read it with guest_shm_status() */
  uint32_t idx;    /* this connection's index, 0..15 */
  uint32_t notify; /* unused: call guest_shm_notify() */
  uint32_t detach; /* unused: call guest_shm_detach() */
};

#define GUEST_SHM_CONTROL_SIZE 0x1000

/* Discovery: a factory over a new xenshm client of this domain
 * (xenshm_open). NULL on failure, with errno set and guest_shm_last_error()
 * saying why (no xenstore, no gntdev, ...). */
struct guest_shm_factory *guest_shm_factory_open(void);
/* The same over a client the caller opened and keeps open until the
 * factory is closed (tests, programs that also use xenshm.h). */
struct guest_shm_factory *guest_shm_factory_open_on(xenshm_client *client);
/* Detaches every connection still attached and frees the factory. NULL is
 * allowed. */
void guest_shm_factory_close(struct guest_shm_factory *factory);

/* QNX's `factory->size = pages`: creates region factory->name of `pages`
 * 4 KiB pages, or joins it if it exists (the creator's size wins: read
 * factory->size). Returns factory->status, a GSS_* code. */
uint32_t guest_shm_create(struct guest_shm_factory *factory, uint32_t pages);
/* QNX's store to `find`: joins region factory->name if it exists
 * (GSS_DOES_NOT_EXIST if not). Returns factory->status. */
uint32_t guest_shm_find(struct guest_shm_factory *factory);

/* QNX's `ctrl->notify = clients`: notifies the connections whose bits are
 * set (bit i = index i; bits 16..31 are ignored); ~0 notifies every peer
 * but this one, native ones included. 0, or -1 with errno EINVAL when
 * `ctrl` is no attached connection of this process. */
int guest_shm_notify(struct guest_shm_control *ctrl, uint32_t clients);
/* QNX's load of `ctrl->status`: low 16 bits, who notified this connection
 * since the last call (cleared by reading, as on QNX); high 16 bits, who is
 * attached now and reachable by a notify from here, this connection
 * included. A new peer's bit appears once both sides' libraries have looked
 * (any call; a peer blocked on its fd wakes for it), so a notify sent after
 * its bit is seen is never lost. 0 when `ctrl` is not attached. */
uint32_t guest_shm_status(struct guest_shm_control *ctrl);
/* QNX's `ctrl->detach = 0`: leaves the region and unmaps the control page
 * and the data (the pointers become invalid). 0, or -1 with errno EINVAL
 * for an unknown `ctrl`; the connection is gone whatever xenshmd says. */
int guest_shm_detach(struct guest_shm_control *ctrl);

/* The detailed message of this thread's last failed call of guest_shm.h or
 * hyp_shm.h (the region, the rule, the index it got), "" if none failed.
 * Valid until this thread's next failing call. */
const char *guest_shm_last_error(void);

#ifdef __cplusplus
}
#endif

#endif /* XENSHM_GUEST_SHM_H_ */
