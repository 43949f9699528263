// SPDX-License-Identifier: GPL-2.0-only
/*
 * xenshm.c: dom0-owned shared-memory regions, granted page by page to any
 * number of Xen domains. Mechanism only: the xenshmd daemon decides who may
 * see what; this module does what root asks and keeps the books honest.
 *
 * How this works:
 *
 * 1. /dev/xenshm (mode 0600, CAP_SYS_ADMIN checked at open) takes the ioctls
 *    of xenshm_uapi.h. Every object lives in module-global state under one
 *    mutex, xenshm_lock; nothing belongs to the fd. A daemon that exits or
 *    crashes leaves its regions in place, and its successor finds them with
 *    XENSHM_IOC_LIST. Each live region pins the module, so rmmod cannot drop
 *    a region the daemon still counts on.
 *
 * 2. XENSHM_IOC_ALLOC allocates zeroed order-0 pages (alloc_page) and gives
 *    the region an id from an IDR, cyclically, so a stale id held by a
 *    confused caller is unlikely to name a newer region. Each page starts
 *    with one reference: the region's own.
 *
 * 3. XENSHM_IOC_GRANT reserves one grant entry per page in a single batch
 *    (gnttab_alloc_grant_references), fills them with the page frames for
 *    one domain, and takes one more page reference per grant (get_page).
 *    Sharing N pages with M peers costs N*M entries of dom0's grant table;
 *    a full table is -ENOSPC before anything is granted (all or nothing).
 *
 * 4. XENSHM_IOC_REVOKE ends a domain's grants. Xen cannot take a grant back
 *    from a peer that still maps it, so gnttab_try_end_foreign_access() is
 *    tried first; an entry still in use goes on our own deferred list with
 *    its page reference. A delayed work retries the list every second (and
 *    XENSHM_IOC_COUNTS retries it before counting), so the deferred count
 *    we report is exact. The kernel's gnttab_end_foreign_access() would do
 *    the deferring too, but then nobody could count or show it.
 *
 * 5. XENSHM_IOC_RELEASE forgets the region id and revokes every grant on
 *    it. The region's own page references are dropped when its last
 *    deferred entry ends; until then it waits on xenshm_released and its
 *    pages still count against max_total_pages, because they are still
 *    memory we hold on a peer's behalf.
 *
 * 6. mmap() of the device at XENSHM_MMAP_OFFSET(id) inserts the region's
 *    pages into a dom0 process (vm_insert_page, which takes a reference per
 *    page). A mapping keeps its pages alive after RELEASE, like an unlinked
 *    file stays while it is open; those pages are then no longer counted.
 *
 * 7. XENSHM_IOC_RO_VIEW gives a region a second name in the same IDR, its
 *    read-only view (one per region, made on first use, removed with the
 *    region's id at RELEASE). Every ioctl but RO_VIEW sees only region
 *    names; mmap() of a view refuses VM_WRITE and clears VM_MAYWRITE, so
 *    mprotect() cannot make it writable. This guards an honest dom0
 *    program's read-only attachment against mistakes; every caller is
 *    root, and root can always LIST the regions and map one writable.
 *
 * 8. XENSHM_IOC_DOMAIN_USAGE tells the daemon what one domain costs us:
 *    its live grant entries, the deferred entries it still maps, and the
 *    released regions that only its mappings keep alive, so a peer that
 *    holds on to mappings while attaching again is charged for them.
 *
 * 9. rmmod (possible only with no live region and no open fd) hands every
 *    deferred entry to gnttab_end_foreign_access() together with its page
 *    reference, so the kernel's own deferred list frees the page whenever
 *    the peer lets go. Nothing is leaked and nothing is freed under a peer.
 *    The kernel refuses rmmod ("in use") before any code of ours runs, so
 *    we say why in advance: a line in the log when the first region goes
 *    live, and an "unload" line in /proc/xenshm with what pins us.
 *
 * 10. XENSHM_IOC_VERSION says which revision of xenshm_uapi.h we speak, so
 *     a daemon upgraded alone can tell whether we serve it.
 *
 * Lock order: mmap_lock, then xenshm_lock. So no ioctl touches user memory
 * while holding xenshm_lock (a fault would take mmap_lock in the wrong
 * order): arguments are copied in before locking and results out after.
 *
 * Counts and regions are shown for humans in /proc/xenshm (root only).
 */

#define pr_fmt(fmt) "xenshm: " fmt

#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/list.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/proc_fs.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include <xen/grant_table.h>
#include <xen/page.h>
#include <xen/xen.h>
#include <xen/interface/grant_table.h>
#include <asm/xen/hypercall.h>

#include "xenshm_uapi.h"

static unsigned int max_region_pages = 32768;	/* 128 MiB */
module_param(max_region_pages, uint, 0644);
MODULE_PARM_DESC(max_region_pages,
		 "Largest region in pages (at most 65535, default 32768)");

static unsigned int max_total_pages = 65536;	/* 256 MiB */
module_param(max_total_pages, uint, 0644);
MODULE_PARM_DESC(max_total_pages,
		 "Pages all regions may hold together, released ones included");

static unsigned int max_regions = 1024;
module_param(max_regions, uint, 0644);
MODULE_PARM_DESC(max_regions, "Live regions at most");

/* The oldest ABI whose callers we still serve (XENSHM_IOC_VERSION). */
#define XENSHM_MIN_ABI		1u

/* Retry deferred grant ends this often; warn about one stuck this long. */
#define XENSHM_RETRY_DELAY	HZ
#define XENSHM_WARN_AFTER	(60 * HZ)

struct xenshm_region;

/*
 * What xenshm_regions maps an id to: a region's own name or its read-only
 * view. Both are embedded in the region.
 */
struct xenshm_name {
	struct xenshm_region *region;	/* the region named */
	bool readonly;			/* the read-only view: mmap only, ro */
};

/* A region: pages owned by the module, named by an id. */
struct xenshm_region {
	u32 id;				/* IDR key; 0 once released */
	u32 ro_id;			/* its view's IDR key; 0 if none */
	struct xenshm_name name;	/* xenshm_regions[id] */
	struct xenshm_name ro_name;	/* xenshm_regions[ro_id] */
	unsigned int nr_pages;		/* length of pages[], 1..65535 */
	struct page **pages;		/* each holds one reference of ours */
	struct list_head grantees;	/* struct xenshm_grantee, one per domid */
	unsigned int nr_grantees;	/* entries on grantees */
	unsigned int nr_deferred;	/* deferred entries on our pages */
	struct list_head released;	/* on xenshm_released once released */
	/* DOMAIN_USAGE's tally of this released region's deferred entries */
	unsigned int usage_mine;	/* the asked domain's */
	unsigned int usage_other;	/* other domains' */
};

/* One domain's grants on every page of one region. */
struct xenshm_grantee {
	struct list_head next;		/* on region->grantees */
	u64 serial;			/* unique per GRANT call, never reused */
	domid_t domid;			/* the grantee */
	bool readonly;			/* granted read-only */
	grant_ref_t refs[];		/* refs[i] grants region->pages[i] */
};

/* A grant entry a peer still mapped when we ended it. */
struct xenshm_deferred {
	struct list_head next;		/* on xenshm_deferred_list */
	struct xenshm_region *region;	/* its nr_deferred counts us */
	struct page *page;		/* the grant's own page reference */
	grant_ref_t ref;		/* entry to end once unused */
	domid_t domid;			/* the peer holding it, for the log */
	unsigned long since;		/* jiffies when deferred */
	bool warned;			/* "still mapped" logged once */
};

static DEFINE_MUTEX(xenshm_lock);
/* Everything below is guarded by xenshm_lock. */
static DEFINE_IDR(xenshm_regions);		/* struct xenshm_name by id */
static LIST_HEAD(xenshm_released);		/* released, still deferred */
static LIST_HEAD(xenshm_deferred_list);	/* struct xenshm_deferred */
static u64 xenshm_nr_regions;			/* live regions */
static u64 xenshm_nr_released;			/* regions on xenshm_released */
static u64 xenshm_nr_pages;			/* pages of both, + reservations */
static u64 xenshm_nr_grants;			/* live grant entries */
static u64 xenshm_nr_deferred;			/* entries on the deferred list */
static u64 xenshm_serial;			/* last xenshm_grantee.serial */
static bool xenshm_exiting;			/* module exit: stop re-arming */
static atomic_t xenshm_nr_open = ATOMIC_INIT(0);	/* open /dev/xenshm */

static void xenshm_deferred_fn(struct work_struct *work);
static DECLARE_DELAYED_WORK(xenshm_deferred_work, xenshm_deferred_fn);

/*
 * REQUIRES: xenshm_lock. A region's name or its view's; ids come from user
 * space: anything may arrive.
 */
static struct xenshm_name *xenshm_find_name(u64 id)
{
	if (id == 0 || id > XENSHM_MAX_REGION_ID)
		return NULL;
	return idr_find(&xenshm_regions, (unsigned long)id);
}

/* REQUIRES: xenshm_lock. A region by its own id (never by its view's). */
static struct xenshm_region *xenshm_find(u64 id)
{
	struct xenshm_name *name = xenshm_find_name(id);

	return name && !name->readonly ? name->region : NULL;
}

/* REQUIRES: xenshm_lock. */
static struct xenshm_grantee *xenshm_find_grantee(struct xenshm_region *region,
						  domid_t domid)
{
	struct xenshm_grantee *g;

	list_for_each_entry(g, &region->grantees, next)
		if (g->domid == domid)
			return g;
	return NULL;
}

/* REQUIRES: xenshm_lock, no grant and no deferred entry left on region. */
static void xenshm_free_region(struct xenshm_region *region)
{
	unsigned int i;

	for (i = 0; i < region->nr_pages; i++)
		put_page(region->pages[i]);
	xenshm_nr_pages -= region->nr_pages;
	kvfree(region->pages);
	kfree(region);
}

/*
 * REQUIRES: xenshm_lock. A deferred entry has ended: drop the region's count
 * and free a released region whose last entry this was. The caller has dealt
 * with d->page and d->ref.
 */
static void xenshm_deferred_done(struct xenshm_deferred *d)
{
	struct xenshm_region *region = d->region;

	list_del(&d->next);
	xenshm_nr_deferred--;
	kfree(d);
	if (--region->nr_deferred == 0 && region->id == 0) {
		list_del(&region->released);
		xenshm_nr_released--;
		xenshm_free_region(region);
	}
}

/*
 * REQUIRES: xenshm_lock. End one grant entry and drop its page reference,
 * now if the peer does not map it, else later. Returns 1 if deferred.
 *
 * A hostile peer can keep a page mapped forever: the entry then stays
 * deferred (and counted, and logged once) but never blocks the caller.
 */
static int xenshm_end_ref(struct xenshm_region *region, grant_ref_t ref,
			  struct page *page, domid_t domid)
{
	struct xenshm_deferred *d;

	if (gnttab_try_end_foreign_access(ref)) {
		put_page(page);
		return 0;
	}

	d = kmalloc(sizeof(*d), GFP_KERNEL);
	if (!d) {
		/* Let the kernel defer it; it owns ref and page from here. */
		pr_warn("no memory to track grant %u (domain %u); kernel defers it\n",
			ref, domid);
		gnttab_end_foreign_access(ref, page);
		return 1;
	}
	d->region = region;
	d->page = page;
	d->ref = ref;
	d->domid = domid;
	d->since = jiffies;
	d->warned = false;
	list_add_tail(&d->next, &xenshm_deferred_list);
	region->nr_deferred++;
	xenshm_nr_deferred++;
	return 1;
}

/* REQUIRES: xenshm_lock. Ends every grant of g; returns how many deferred. */
static unsigned int xenshm_revoke_grantee(struct xenshm_region *region,
					  struct xenshm_grantee *g)
{
	unsigned int i, deferred = 0;

	for (i = 0; i < region->nr_pages; i++)
		deferred += xenshm_end_ref(region, g->refs[i],
					   region->pages[i], g->domid);
	xenshm_nr_grants -= region->nr_pages;
	region->nr_grantees--;
	list_del(&g->next);
	kvfree(g);
	return deferred;
}

/*
 * REQUIRES: xenshm_lock. Forget a live region's id and revoke all its grants.
 * Returns how many entries were deferred. The caller drops the module pin.
 */
static unsigned int xenshm_release_region(struct xenshm_region *region)
{
	struct xenshm_grantee *g, *tmp;
	unsigned int deferred = 0;

	idr_remove(&xenshm_regions, region->id);
	region->id = 0;
	if (region->ro_id) {
		idr_remove(&xenshm_regions, region->ro_id);
		region->ro_id = 0;
	}
	xenshm_nr_regions--;
	list_for_each_entry_safe(g, tmp, &region->grantees, next)
		deferred += xenshm_revoke_grantee(region, g);

	if (region->nr_deferred == 0) {
		xenshm_free_region(region);
	} else {
		list_add_tail(&region->released, &xenshm_released);
		xenshm_nr_released++;
	}
	return deferred;
}

/* REQUIRES: xenshm_lock. Retry every deferred entry; returns how many stay. */
static u64 xenshm_retry_deferred(void)
{
	struct xenshm_deferred *d, *tmp;

	list_for_each_entry_safe(d, tmp, &xenshm_deferred_list, next) {
		if (gnttab_try_end_foreign_access(d->ref)) {
			put_page(d->page);
			xenshm_deferred_done(d);
		} else if (!d->warned &&
			   time_after(jiffies, d->since + XENSHM_WARN_AFTER)) {
			d->warned = true;
			pr_warn("domain %u still maps grant %u after %d s\n",
				d->domid, d->ref, XENSHM_WARN_AFTER / HZ);
		}
	}
	return xenshm_nr_deferred;
}

/* REQUIRES: xenshm_lock. */
static void xenshm_kick_deferred(void)
{
	if (xenshm_nr_deferred && !xenshm_exiting)
		schedule_delayed_work(&xenshm_deferred_work, XENSHM_RETRY_DELAY);
}

static void xenshm_deferred_fn(struct work_struct *work)
{
	mutex_lock(&xenshm_lock);
	xenshm_retry_deferred();
	xenshm_kick_deferred();
	mutex_unlock(&xenshm_lock);
}

/* Grant table geometry: how many entries one frame holds. */
static unsigned int xenshm_entries_per_frame(void)
{
	struct gnttab_get_version v = { .dom = DOMID_SELF };

	if (HYPERVISOR_grant_table_op(GNTTABOP_get_version, &v, 1) == 0 &&
	    v.version == 2)
		return XEN_PAGE_SIZE / sizeof(union grant_entry_v2);
	return XEN_PAGE_SIZE / sizeof(struct grant_entry_v1);
}

static long xenshm_ioctl_alloc(void __user *uarg)
{
	struct xenshm_region *region;
	struct xenshm_alloc op;
	unsigned int i = 0;
	long rc;
	int id;

	if (copy_from_user(&op, uarg, sizeof(op)))
		return -EFAULT;
	if (op.pad || op.nr_pages == 0)
		return -EINVAL;
	if (op.nr_pages > min(READ_ONCE(max_region_pages),
			      XENSHM_MAX_REGION_PAGES))
		return -E2BIG;

	region = kzalloc(sizeof(*region), GFP_KERNEL);
	if (!region)
		return -ENOMEM;
	INIT_LIST_HEAD(&region->grantees);
	region->name.region = region;
	region->ro_name.region = region;
	region->ro_name.readonly = true;
	region->nr_pages = op.nr_pages;
	region->pages = kvcalloc(op.nr_pages, sizeof(*region->pages),
				 GFP_KERNEL);
	if (!region->pages) {
		rc = -ENOMEM;
		goto out_free;
	}

	/*
	 * Reserve against the limits before the slow part, so that callers
	 * racing each other cannot overshoot them together.
	 */
	mutex_lock(&xenshm_lock);
	if (xenshm_nr_regions + xenshm_nr_released >= READ_ONCE(max_regions) ||
	    xenshm_nr_pages + op.nr_pages > READ_ONCE(max_total_pages)) {
		mutex_unlock(&xenshm_lock);
		rc = -ENOMEM;
		goto out_free;
	}
	xenshm_nr_pages += op.nr_pages;
	mutex_unlock(&xenshm_lock);

	for (i = 0; i < op.nr_pages; i++) {
		region->pages[i] = alloc_page(GFP_KERNEL | __GFP_ZERO |
					      __GFP_NOWARN);
		if (!region->pages[i]) {
			rc = -ENOMEM;
			goto out_unreserve;
		}
		if (fatal_signal_pending(current)) {
			i++;
			rc = -EINTR;
			goto out_unreserve;
		}
		cond_resched();
	}

	mutex_lock(&xenshm_lock);
	id = idr_alloc_cyclic(&xenshm_regions, &region->name, 1,
			      (int)XENSHM_MAX_REGION_ID + 1, GFP_KERNEL);
	if (id < 0) {
		mutex_unlock(&xenshm_lock);
		rc = id;
		goto out_unreserve;
	}
	region->id = id;
	xenshm_nr_regions++;
	__module_get(THIS_MODULE);	/* dropped by RELEASE */
	if (xenshm_nr_regions == 1)
		pr_info_ratelimited("unload refused while regions live (\"in use\"): /proc/xenshm lists them; xenshmd releases them, xenshmd --reset those of an earlier xenshmd\n");
	mutex_unlock(&xenshm_lock);

	op.region_id = id;
	if (copy_to_user(uarg, &op, sizeof(op))) {
		/*
		 * The caller cannot learn the id: undo, unless another
		 * thread already released it (then the id names nothing).
		 */
		mutex_lock(&xenshm_lock);
		if (xenshm_find(id) == region) {
			xenshm_release_region(region);
			module_put(THIS_MODULE);
		}
		mutex_unlock(&xenshm_lock);
		return -EFAULT;
	}
	return 0;

out_unreserve:
	while (i--)
		if (region->pages[i])
			put_page(region->pages[i]);
	mutex_lock(&xenshm_lock);
	xenshm_nr_pages -= op.nr_pages;
	mutex_unlock(&xenshm_lock);
out_free:
	kvfree(region->pages);
	kfree(region);
	return rc;
}

static long xenshm_ioctl_grant(void __user *uarg)
{
	struct xenshm_region *region;
	struct xenshm_grantee *g;
	struct xenshm_grant op;
	grant_ref_t *refs_out;
	grant_ref_t head;
	unsigned int i;
	u64 serial;
	long rc;

	if (copy_from_user(&op, uarg, sizeof(op)))
		return -EFAULT;
	/*
	 * The domid is not checked against live domains: Xen lets us grant
	 * to any id, a dead one just never maps. Policy is the daemon's.
	 */
	if (op.pad || op.readonly > 1 || op.domid >= DOMID_FIRST_RESERVED ||
	    op.nr_refs == 0 || op.nr_refs > XENSHM_MAX_REGION_PAGES)
		return -EINVAL;

	/* Sized by the caller's claim; checked against the region below. */
	g = kvmalloc(struct_size(g, refs, op.nr_refs), GFP_KERNEL);
	refs_out = kvmalloc_array(op.nr_refs, sizeof(*refs_out), GFP_KERNEL);
	if (!g || !refs_out) {
		rc = -ENOMEM;
		goto out_free;
	}

	mutex_lock(&xenshm_lock);
	region = xenshm_find(op.region_id);
	if (!region) {
		rc = -ENOENT;
		goto out_unlock;
	}
	if (op.nr_refs != region->nr_pages) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (xenshm_find_grantee(region, op.domid)) {
		rc = -EEXIST;
		goto out_unlock;
	}
	/* All entries at once, or -ENOSPC with nothing granted. */
	rc = gnttab_alloc_grant_references(op.nr_refs, &head);
	if (rc)
		goto out_unlock;
	for (i = 0; i < op.nr_refs; i++) {
		/* Cannot fail: head holds exactly nr_refs entries. */
		g->refs[i] = gnttab_claim_grant_reference(&head);
		get_page(region->pages[i]);	/* the grant's reference */
		gnttab_page_grant_foreign_access_ref_one(g->refs[i], op.domid,
							 region->pages[i],
							 op.readonly);
	}
	g->serial = ++xenshm_serial;
	g->domid = op.domid;
	g->readonly = op.readonly;
	list_add_tail(&g->next, &region->grantees);
	region->nr_grantees++;
	xenshm_nr_grants += op.nr_refs;
	memcpy(refs_out, g->refs, op.nr_refs * sizeof(*refs_out));
	serial = g->serial;
	g = NULL;	/* the region owns it now */
	mutex_unlock(&xenshm_lock);

	rc = 0;
	if (copy_to_user(u64_to_user_ptr(op.refs), refs_out,
			 op.nr_refs * sizeof(*refs_out))) {
		/*
		 * All or nothing: take the grant back, unless it is gone
		 * already (a concurrent REVOKE or RELEASE; the serial tells
		 * a later grant to the same domain apart). The peer may have
		 * guessed a ref and mapped it meanwhile: deferred, not lost.
		 */
		mutex_lock(&xenshm_lock);
		region = xenshm_find(op.region_id);
		g = region ? xenshm_find_grantee(region, op.domid) : NULL;
		if (g && g->serial == serial)
			xenshm_revoke_grantee(region, g);
		g = NULL;
		xenshm_kick_deferred();
		rc = -EFAULT;
		goto out_unlock;
	}
	goto out_free;

out_unlock:
	mutex_unlock(&xenshm_lock);
out_free:
	kvfree(refs_out);
	kvfree(g);
	return rc;
}

static long xenshm_ioctl_revoke(void __user *uarg)
{
	struct xenshm_region *region;
	struct xenshm_grantee *g;
	struct xenshm_revoke op;
	long rc = 0;

	if (copy_from_user(&op, uarg, sizeof(op)))
		return -EFAULT;
	if (op.pad)
		return -EINVAL;

	mutex_lock(&xenshm_lock);
	region = xenshm_find(op.region_id);
	g = region ? xenshm_find_grantee(region, op.domid) : NULL;
	if (g) {
		op.nr_deferred = xenshm_revoke_grantee(region, g);
		xenshm_kick_deferred();
	} else {
		rc = -ENOENT;
	}
	mutex_unlock(&xenshm_lock);

	if (!rc && copy_to_user(uarg, &op, sizeof(op)))
		rc = -EFAULT;	/* revoked all the same */
	return rc;
}

static long xenshm_ioctl_release(void __user *uarg)
{
	struct xenshm_region *region;
	struct xenshm_release op;
	long rc = 0;

	if (copy_from_user(&op, uarg, sizeof(op)))
		return -EFAULT;
	if (op.pad)
		return -EINVAL;

	mutex_lock(&xenshm_lock);
	region = xenshm_find(op.region_id);
	if (region) {
		op.nr_deferred = xenshm_release_region(region);
		xenshm_kick_deferred();
		module_put(THIS_MODULE);	/* our fd still pins it */
	} else {
		rc = -ENOENT;
	}
	mutex_unlock(&xenshm_lock);

	if (!rc && copy_to_user(uarg, &op, sizeof(op)))
		rc = -EFAULT;	/* released all the same */
	return rc;
}

static long xenshm_ioctl_list(void __user *uarg)
{
	struct xenshm_region_info *info = NULL;
	struct xenshm_region *region;
	struct xenshm_name *name;
	struct xenshm_list op;
	unsigned int n = 0;
	long rc = 0;
	int id;

	if (copy_from_user(&op, uarg, sizeof(op)))
		return -EFAULT;

	mutex_lock(&xenshm_lock);
	op.nr_regions = xenshm_nr_regions;
	/* A huge max_entries costs nothing: we never allocate past the count. */
	if (op.max_entries && xenshm_nr_regions) {
		info = kvcalloc(min_t(u64, op.max_entries, xenshm_nr_regions),
				sizeof(*info), GFP_KERNEL);
		if (!info) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		idr_for_each_entry(&xenshm_regions, name, id) {
			if (name->readonly)
				continue;
			if (n == op.max_entries)
				break;
			region = name->region;
			info[n].region_id = region->id;
			info[n].nr_pages = region->nr_pages;
			info[n].nr_grantees = region->nr_grantees;
			n++;
		}
	}
	mutex_unlock(&xenshm_lock);

	if (n && copy_to_user(u64_to_user_ptr(op.entries), info,
			      n * sizeof(*info)))
		rc = -EFAULT;
	else if (copy_to_user(uarg, &op, sizeof(op)))
		rc = -EFAULT;
	kvfree(info);
	return rc;

out_unlock:
	mutex_unlock(&xenshm_lock);
	return rc;
}

static long xenshm_ioctl_counts(void __user *uarg)
{
	struct xenshm_counts op = {};

	mutex_lock(&xenshm_lock);
	xenshm_retry_deferred();	/* so a peer's unmap shows at once */
	op.regions = xenshm_nr_regions;
	op.released_regions = xenshm_nr_released;
	op.pages = xenshm_nr_pages;
	op.grants = xenshm_nr_grants;
	op.deferred = xenshm_nr_deferred;
	mutex_unlock(&xenshm_lock);
	op.max_region_pages = min(READ_ONCE(max_region_pages),
				  XENSHM_MAX_REGION_PAGES);
	op.max_total_pages = READ_ONCE(max_total_pages);

	if (copy_to_user(uarg, &op, sizeof(op)))
		return -EFAULT;
	return 0;
}

static long xenshm_ioctl_grant_entries(void __user *uarg)
{
	struct xenshm_grant_entries op;
	u64 used = GNTTAB_NR_RESERVED_ENTRIES;
	grant_ref_t head;

	if (copy_from_user(&op, uarg, sizeof(op)))
		return -EFAULT;
	if (op.probe > U16_MAX)
		return -EINVAL;

	op.probe_ok = 0;
	if (op.probe && gnttab_alloc_grant_references(op.probe, &head) == 0) {
		gnttab_free_grant_references(head);
		op.probe_ok = 1;
	}
	op.max_frames = gnttab_max_grant_frames();
	op.entries_per_frame = xenshm_entries_per_frame();
	op.max_entries = (u64)op.max_frames * op.entries_per_frame;

	mutex_lock(&xenshm_lock);
	op.module_entries = xenshm_nr_grants + xenshm_nr_deferred;
	mutex_unlock(&xenshm_lock);
	used += op.module_entries;
	op.free_estimate = op.max_entries > used ? op.max_entries - used : 0;

	if (copy_to_user(uarg, &op, sizeof(op)))
		return -EFAULT;
	return 0;
}

static long xenshm_ioctl_ro_view(void __user *uarg)
{
	struct xenshm_region *region;
	struct xenshm_name *name;
	struct xenshm_ro_view op;
	long rc = 0;
	int id;

	if (copy_from_user(&op, uarg, sizeof(op)))
		return -EFAULT;
	if (op.pad)
		return -EINVAL;

	mutex_lock(&xenshm_lock);
	name = xenshm_find_name(op.id);
	if (!name) {
		rc = -ENOENT;
		goto out_unlock;
	}
	region = name->region;
	if (!region->ro_id) {
		/* Cyclic, like region ids: nothing about it names the region. */
		id = idr_alloc_cyclic(&xenshm_regions, &region->ro_name, 1,
				      (int)XENSHM_MAX_REGION_ID + 1, GFP_KERNEL);
		if (id < 0) {
			rc = id;
			goto out_unlock;
		}
		region->ro_id = id;
	}
	op.view_id = region->ro_id;
	op.nr_pages = region->nr_pages;
out_unlock:
	mutex_unlock(&xenshm_lock);

	/* A view the caller did not learn is harmless: it goes at RELEASE. */
	if (!rc && copy_to_user(uarg, &op, sizeof(op)))
		rc = -EFAULT;
	return rc;
}

static long xenshm_ioctl_domain_usage(void __user *uarg)
{
	struct xenshm_domain_usage op;
	struct xenshm_region *region;
	struct xenshm_grantee *g;
	struct xenshm_deferred *d;
	struct xenshm_name *name;
	unsigned int i;
	int id;

	if (copy_from_user(&op, uarg, sizeof(op)))
		return -EFAULT;
	if (op.pad || op.domid >= DOMID_FIRST_RESERVED)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(op.reserved); i++)
		if (op.reserved[i])
			return -EINVAL;
	op.pinned_regions = 0;
	op.grants = 0;
	op.deferred = 0;
	op.pinned_pages = 0;
	op.shared_pinned_pages = 0;

	mutex_lock(&xenshm_lock);
	xenshm_retry_deferred();	/* so a peer's unmap shows at once */
	idr_for_each_entry(&xenshm_regions, name, id) {
		if (name->readonly)
			continue;
		g = xenshm_find_grantee(name->region, op.domid);
		if (g)
			op.grants += name->region->nr_pages;
	}
	/* One pass over the deferred list, tallied per released region. */
	list_for_each_entry(region, &xenshm_released, released) {
		region->usage_mine = 0;
		region->usage_other = 0;
	}
	list_for_each_entry(d, &xenshm_deferred_list, next) {
		if (d->domid == op.domid)
			op.deferred++;
		if (d->region->id)
			continue;	/* live: its pages are its own */
		if (d->domid == op.domid)
			d->region->usage_mine++;
		else
			d->region->usage_other++;
	}
	list_for_each_entry(region, &xenshm_released, released) {
		if (!region->usage_mine)
			continue;
		if (region->usage_other) {
			op.shared_pinned_pages += region->nr_pages;
		} else {
			op.pinned_regions++;
			op.pinned_pages += region->nr_pages;
		}
	}
	mutex_unlock(&xenshm_lock);

	if (copy_to_user(uarg, &op, sizeof(op)))
		return -EFAULT;
	return 0;
}

static long xenshm_ioctl_version(void __user *uarg)
{
	struct xenshm_version op = {
		.abi = XENSHM_ABI_VERSION,
		.min_abi = XENSHM_MIN_ABI,
	};

	if (copy_to_user(uarg, &op, sizeof(op)))
		return -EFAULT;
	return 0;
}

static long xenshm_ioctl(struct file *filp, unsigned int cmd,
			 unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case XENSHM_IOC_ALLOC:
		return xenshm_ioctl_alloc(uarg);
	case XENSHM_IOC_GRANT:
		return xenshm_ioctl_grant(uarg);
	case XENSHM_IOC_REVOKE:
		return xenshm_ioctl_revoke(uarg);
	case XENSHM_IOC_RELEASE:
		return xenshm_ioctl_release(uarg);
	case XENSHM_IOC_LIST:
		return xenshm_ioctl_list(uarg);
	case XENSHM_IOC_COUNTS:
		return xenshm_ioctl_counts(uarg);
	case XENSHM_IOC_GRANT_ENTRIES:
		return xenshm_ioctl_grant_entries(uarg);
	case XENSHM_IOC_RO_VIEW:
		return xenshm_ioctl_ro_view(uarg);
	case XENSHM_IOC_DOMAIN_USAGE:
		return xenshm_ioctl_domain_usage(uarg);
	case XENSHM_IOC_VERSION:
		return xenshm_ioctl_version(uarg);
	default:
		return -ENOTTY;
	}
}

/*
 * Map pages [first, first + count) of region `id` (or of its read-only
 * view), where the offset is XENSHM_MMAP_OFFSET(id) + first * PAGE_SIZE.
 * Only MAP_SHARED: a private mapping would copy on write and silently stop
 * sharing.
 */
static int xenshm_mmap(struct file *filp, struct vm_area_struct *vma)
{
	const unsigned int shift = XENSHM_MMAP_SHIFT - PAGE_SHIFT;
	unsigned long first = vma->vm_pgoff & ((1UL << shift) - 1);
	unsigned long count = vma_pages(vma);
	struct xenshm_region *region;
	struct xenshm_name *name;
	unsigned long i;
	int rc = 0;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;

	mutex_lock(&xenshm_lock);
	name = xenshm_find_name(vma->vm_pgoff >> shift);
	if (!name) {
		rc = -ENOENT;
		goto out_unlock;
	}
	region = name->region;
	if (first >= region->nr_pages || count > region->nr_pages - first) {
		rc = -EINVAL;
		goto out_unlock;
	}
	if (name->readonly) {
		/* EACCES, as for PROT_WRITE on a file opened read-only. */
		if (vma->vm_flags & VM_WRITE) {
			rc = -EACCES;
			goto out_unlock;
		}
		/* mprotect(PROT_WRITE) now fails; so does a FOLL_FORCE write. */
		vma->vm_flags &= ~VM_MAYWRITE;
	}
	vma->vm_flags |= VM_DONTEXPAND | VM_DONTDUMP;
	/*
	 * Each inserted page takes its own reference, so the mapping stays
	 * valid after RELEASE. On error the core unmaps what we inserted.
	 */
	for (i = 0; i < count && !rc; i++)
		rc = vm_insert_page(vma, vma->vm_start + i * PAGE_SIZE,
				    region->pages[first + i]);
out_unlock:
	mutex_unlock(&xenshm_lock);
	return rc;
}

/* Root only; the fd is the capability, whoever it is later passed to. */
static int xenshm_open(struct inode *inode, struct file *filp)
{
	int rc;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	rc = nonseekable_open(inode, filp);
	if (!rc)
		atomic_inc(&xenshm_nr_open);
	return rc;
}

static int xenshm_release(struct inode *inode, struct file *filp)
{
	atomic_dec(&xenshm_nr_open);
	return 0;
}

static const struct file_operations xenshm_fops = {
	.owner = THIS_MODULE,
	.open = xenshm_open,
	.release = xenshm_release,
	.unlocked_ioctl = xenshm_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = xenshm_mmap,
	.llseek = no_llseek,
};

static struct miscdevice xenshm_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "xenshm",
	.fops = &xenshm_fops,
	.mode = 0600,
};

static int xenshm_proc_show(struct seq_file *m, void *v)
{
	struct xenshm_region *region;
	struct xenshm_grantee *g;
	struct xenshm_name *name;
	int id;

	mutex_lock(&xenshm_lock);
	xenshm_retry_deferred();
	seq_printf(m, "regions %llu\nreleased_regions %llu\npages %llu\n",
		   xenshm_nr_regions, xenshm_nr_released, xenshm_nr_pages);
	seq_printf(m, "grants %llu\ndeferred %llu\n", xenshm_nr_grants,
		   xenshm_nr_deferred);
	/* rmmod cannot say why it is refused; this line does. */
	if (xenshm_nr_regions || atomic_read(&xenshm_nr_open))
		seq_printf(m, "unload refused: %llu live regions, %d open /dev/xenshm\n",
			   xenshm_nr_regions, atomic_read(&xenshm_nr_open));
	else
		seq_puts(m, "unload possible\n");
	idr_for_each_entry(&xenshm_regions, name, id) {
		region = name->region;
		if (name->readonly) {
			seq_printf(m, "ro-view %u region %u\n", region->ro_id,
				   region->id);
			continue;
		}
		seq_printf(m, "region %u pages %u deferred %u grantees",
			   region->id, region->nr_pages, region->nr_deferred);
		list_for_each_entry(g, &region->grantees, next)
			seq_printf(m, " %u:%s", g->domid,
				   g->readonly ? "ro" : "rw");
		seq_putc(m, '\n');
	}
	list_for_each_entry(region, &xenshm_released, released)
		seq_printf(m, "released pages %u deferred %u\n",
			   region->nr_pages, region->nr_deferred);
	mutex_unlock(&xenshm_lock);
	return 0;
}

static int __init xenshm_init(void)
{
	int rc;

	if (!xen_domain())
		return -ENODEV;

	rc = misc_register(&xenshm_miscdev);
	if (rc)
		return rc;
	if (!proc_create_single("xenshm", 0400, NULL, xenshm_proc_show)) {
		misc_deregister(&xenshm_miscdev);
		return -ENOMEM;
	}
	pr_info("ready: abi %u, max_region_pages=%u max_total_pages=%u\n",
		XENSHM_ABI_VERSION, max_region_pages, max_total_pages);
	return 0;
}

static void __exit xenshm_exit(void)
{
	struct xenshm_deferred *d, *tmp;
	struct xenshm_name *name;
	int id;

	remove_proc_entry("xenshm", NULL);
	misc_deregister(&xenshm_miscdev);

	mutex_lock(&xenshm_lock);
	xenshm_exiting = true;
	mutex_unlock(&xenshm_lock);
	cancel_delayed_work_sync(&xenshm_deferred_work);

	mutex_lock(&xenshm_lock);
	/* Live regions pin the module; this only runs if that ever breaks. */
	idr_for_each_entry(&xenshm_regions, name, id) {
		WARN_ON_ONCE(1);
		if (!name->readonly)
			xenshm_release_region(name->region);
	}
	/* The kernel's deferred list takes over each entry and its page ref. */
	list_for_each_entry_safe(d, tmp, &xenshm_deferred_list, next) {
		gnttab_end_foreign_access(d->ref, d->page);
		xenshm_deferred_done(d);
	}
	idr_destroy(&xenshm_regions);
	mutex_unlock(&xenshm_lock);
}

module_init(xenshm_init);
module_exit(xenshm_exit);

MODULE_DESCRIPTION("xenshm: dom0 shared-memory regions granted to Xen domains");
MODULE_LICENSE("GPL");
