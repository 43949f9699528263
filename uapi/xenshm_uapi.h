/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * xenshm_uapi.h: the ioctl interface of /dev/xenshm (backend/kmod/xenshm.c).
 *
 * Shared by the kernel module and by user space (C or C++). Every struct has
 * a fixed size checked below; the size is part of the ioctl number, so a
 * struct never changes once released: a new layout gets a new number.
 *
 * Conventions for every ioctl:
 *  - "in" fields are written by the caller, "out" fields by the module.
 *  - Every pad/reserved field must be zero on input (else -EINVAL), so they
 *    can be given a meaning later.
 *  - Errors are returned as -1/errno: EPERM (no CAP_SYS_ADMIN), ENOENT
 *    (unknown region or grant), EINVAL (malformed argument), E2BIG (region
 *    larger than max_region_pages), EEXIST (region already granted to that
 *    domain), ENOMEM (no memory, or over max_total_pages or max_regions),
 *    ENOSPC (dom0's grant table is full), EFAULT (bad user pointer; a GRANT
 *    whose refs cannot be written back is undone), ENOTTY (unknown ioctl),
 *    EACCES (a writable mmap() of a read-only view).
 *
 * Mapping a region in a dom0 process: mmap() the /dev/xenshm fd with
 * MAP_SHARED at offset XENSHM_MMAP_OFFSET(region_id) (plus a page-aligned
 * byte offset inside the region, if only part of it is wanted). Regions
 * belong to the module, not to the fd: they outlive the process that
 * allocated them until XENSHM_IOC_RELEASE (a restarted daemon finds them
 * with XENSHM_IOC_LIST).
 *
 * Read-only mappings: XENSHM_IOC_RO_VIEW names a region's read-only view,
 * an id of its own in the same id space (so its mmap offset is
 * XENSHM_MMAP_OFFSET(view_id)). mmap() of a view refuses PROT_WRITE
 * (EACCES) and clears VM_MAYWRITE, so mprotect() cannot add it later. The
 * view is not derived from the region id (it is allocated like one) and
 * LIST does not show it. Every caller is root: this keeps an honest
 * program's read-only attachment read-only, it does not stop root from
 * mapping the region itself.
 */
#ifndef XENSHM_UAPI_H
#define XENSHM_UAPI_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define XENSHM_DEVICE_PATH "/dev/xenshm"

/* Largest region: gnttab_alloc_grant_references() reserves at most a u16. */
#define XENSHM_MAX_REGION_PAGES 65535u

/*
 * mmap offsets: region `id` starts at byte offset id << XENSHM_MMAP_SHIFT.
 * Each region has a 64 GiB window, so 64-bit off_t fits ids below 2^27;
 * the module never hands out a larger id.
 */
#define XENSHM_MMAP_SHIFT 36
#define XENSHM_MAX_REGION_ID ((1ull << (63 - XENSHM_MMAP_SHIFT)) - 1)
#define XENSHM_MMAP_OFFSET(id) ((__u64)(id) << XENSHM_MMAP_SHIFT)

/* XENSHM_IOC_ALLOC: allocate a region of zeroed pages. */
struct xenshm_alloc {
	__u32 nr_pages;		/* in: 1..max_region_pages */
	__u32 pad;		/* in: zero */
	__u64 region_id;	/* out: 1..XENSHM_MAX_REGION_ID */
};

/*
 * XENSHM_IOC_GRANT: grant every page of a region to one domain. All or
 * nothing: on error no grant of this call remains. refs[i] names page i.
 */
struct xenshm_grant {
	__u64 region_id;	/* in */
	__u64 refs;		/* in: user pointer to __u32[nr_refs], out: filled */
	__u32 nr_refs;		/* in: must equal the region's page count */
	__u16 domid;		/* in: grantee, below DOMID_FIRST_RESERVED */
	__u8 readonly;		/* in: 0 = read-write, 1 = read-only */
	__u8 pad;		/* in: zero */
};

/*
 * XENSHM_IOC_REVOKE: end `domid`'s grants on a region. Entries the peer still
 * maps cannot be ended yet: they go on the deferred list and end (and drop
 * their page) when the peer unmaps.
 */
struct xenshm_revoke {
	__u64 region_id;	/* in */
	__u16 domid;		/* in */
	__u16 pad;		/* in: zero */
	__u32 nr_deferred;	/* out: entries this call had to defer */
};

/*
 * XENSHM_IOC_RELEASE: drop a region: revoke every grant on it, forget its id.
 * Its pages are freed once no deferred entry of it remains (pages a dom0
 * process still has mmap()ed stay with that mapping until munmap).
 */
struct xenshm_release {
	__u64 region_id;	/* in */
	__u32 nr_deferred;	/* out: entries this call had to defer */
	__u32 pad;		/* in: zero */
};

/* One entry of XENSHM_IOC_LIST. */
struct xenshm_region_info {
	__u64 region_id;	/* out */
	__u32 nr_pages;		/* out */
	__u32 nr_grantees;	/* out: domains the region is granted to */
};

/*
 * XENSHM_IOC_LIST: the live (unreleased) regions, by increasing id. Call
 * with max_entries = 0 to learn nr_regions, then again with room.
 */
struct xenshm_list {
	__u64 entries;		/* in: user pointer to xenshm_region_info[] */
	__u32 max_entries;	/* in: room at `entries` */
	__u32 nr_regions;	/* out: live regions (may exceed max_entries) */
};

/* XENSHM_IOC_COUNTS: the module's counters (also in /proc/xenshm). */
struct xenshm_counts {
	__u64 regions;		/* out: live regions */
	__u64 released_regions;	/* out: released, waiting for deferred ends */
	__u64 pages;		/* out: pages held by live + released regions */
	__u64 grants;		/* out: grant entries live (not deferred) */
	__u64 deferred;		/* out: grant entries a peer still maps */
	__u64 max_region_pages;	/* out: module parameter */
	__u64 max_total_pages;	/* out: module parameter */
	__u64 reserved[5];	/* out: zero */
};

/*
 * XENSHM_IOC_GRANT_ENTRIES: dom0's grant table budget. The kernel does not
 * say how many entries other dom0 drivers hold, so free_estimate only
 * subtracts this module's; a set `probe` asks the real question instead:
 * could `probe` entries be reserved right now? (They are released at once;
 * GRANT stays all-or-nothing and fails with ENOSPC if the table is full.)
 */
struct xenshm_grant_entries {
	__u32 probe;		/* in: entries to try to reserve, 0..65535 */
	__u32 probe_ok;		/* out: 1 if `probe` entries could be reserved */
	__u32 max_frames;	/* out: gnttab_max_grant_frames() */
	__u32 entries_per_frame; /* out: 512 (v1) or 256 (v2) */
	__u64 max_entries;	/* out: max_frames * entries_per_frame */
	__u64 module_entries;	/* out: entries held by this module */
	__u64 free_estimate;	/* out: max - reserved - module_entries */
};

/*
 * XENSHM_IOC_RO_VIEW: the read-only view of a live region, created on the
 * first call and the same for every later one; it goes with the region at
 * RELEASE. `id` may be the region's id or its view's (then the view is its
 * own view). GRANT, REVOKE and RELEASE take region ids only (ENOENT for a
 * view id).
 */
struct xenshm_ro_view {
	__u64 id;		/* in: a live region or its read-only view */
	__u64 view_id;		/* out: the region's read-only view */
	__u32 nr_pages;		/* out: the region's page count */
	__u32 pad;		/* in: zero */
};

/*
 * XENSHM_IOC_DOMAIN_USAGE: what this module holds on behalf of one domain.
 * A deferred entry is one the domain still mapped when it was revoked (or
 * its region released); it occupies a grant entry, and it keeps a released
 * region's pages until it ends. Counted after retrying every deferred entry,
 * like COUNTS. An entry the module had no memory to track (it then hands it
 * to the kernel, logged) is not counted.
 */
struct xenshm_domain_usage {
	__u16 domid;		/* in: below DOMID_FIRST_RESERVED */
	__u16 pad;		/* in: zero */
	__u32 pinned_regions;	/* out: released regions kept only by domid */
	__u64 grants;		/* out: live grant entries to domid */
	__u64 deferred;		/* out: deferred entries domid still maps */
	__u64 pinned_pages;	/* out: pages of the pinned_regions */
	__u64 shared_pinned_pages; /* out: pages of released regions that
				    * domid keeps together with other domains */
	__u64 reserved[3];	/* out: zero */
};

/*
 * XENSHM_IOC_VERSION: which interface the loaded module speaks, so that a
 * daemon upgraded without the module (or the other way round) can tell
 * before it relies on anything. `abi` numbers revisions of this header.
 * A revision only adds ioctls (a released struct never changes), so a
 * module of ABI N serves callers written for any ABI from min_abi to N;
 * min_abi stays 1 unless a revision ever drops something. ABI 1 is every
 * ioctl up to XENSHM_IOC_DOMAIN_USAGE: a module that answers this ioctl
 * with ENOTTY predates it and is ABI 1. ABI 2 adds XENSHM_IOC_VERSION.
 * `features` is for optional behaviours that modules of one ABI may or may
 * not have; none is defined yet, so it is 0.
 */
#define XENSHM_ABI_VERSION 2u

struct xenshm_version {
	__u32 abi;		/* out: the module's XENSHM_ABI_VERSION */
	__u32 min_abi;		/* out: oldest ABI whose callers it serves */
	__u64 features;		/* out: optional behaviours; 0 (none defined) */
	__u64 reserved[2];	/* out: zero */
};

#define XENSHM_IOC_MAGIC 'X'
#define XENSHM_IOC_ALLOC _IOWR(XENSHM_IOC_MAGIC, 0xa0, struct xenshm_alloc)
#define XENSHM_IOC_GRANT _IOW(XENSHM_IOC_MAGIC, 0xa1, struct xenshm_grant)
#define XENSHM_IOC_REVOKE _IOWR(XENSHM_IOC_MAGIC, 0xa2, struct xenshm_revoke)
#define XENSHM_IOC_RELEASE _IOWR(XENSHM_IOC_MAGIC, 0xa3, struct xenshm_release)
#define XENSHM_IOC_LIST _IOWR(XENSHM_IOC_MAGIC, 0xa4, struct xenshm_list)
#define XENSHM_IOC_COUNTS _IOR(XENSHM_IOC_MAGIC, 0xa5, struct xenshm_counts)
#define XENSHM_IOC_GRANT_ENTRIES \
	_IOWR(XENSHM_IOC_MAGIC, 0xa6, struct xenshm_grant_entries)
#define XENSHM_IOC_RO_VIEW _IOWR(XENSHM_IOC_MAGIC, 0xa7, struct xenshm_ro_view)
#define XENSHM_IOC_DOMAIN_USAGE \
	_IOWR(XENSHM_IOC_MAGIC, 0xa8, struct xenshm_domain_usage)
#define XENSHM_IOC_VERSION _IOR(XENSHM_IOC_MAGIC, 0xa9, struct xenshm_version)

/* Sizes are ABI: same on 32- and 64-bit, in C and in C++. */
#ifdef __cplusplus
#define XENSHM_UAPI_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define XENSHM_UAPI_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_alloc) == 16, "xenshm_alloc");
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_grant) == 24, "xenshm_grant");
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_revoke) == 16, "xenshm_revoke");
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_release) == 16, "xenshm_release");
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_region_info) == 16,
		   "xenshm_region_info");
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_list) == 16, "xenshm_list");
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_counts) == 96, "xenshm_counts");
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_grant_entries) == 40,
		   "xenshm_grant_entries");
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_ro_view) == 24, "xenshm_ro_view");
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_domain_usage) == 64,
		   "xenshm_domain_usage");
XENSHM_UAPI_ASSERT(sizeof(struct xenshm_version) == 32, "xenshm_version");
#undef XENSHM_UAPI_ASSERT

#endif /* XENSHM_UAPI_H */
