/* os-batch.c: chunks for superslabs, carved from batch reservations and
 * recycled through a small cache of freed chunks.
 *
 * Why batches: an aligned 2 MiB region costs an over-map and two munmap
 * trims on kernels before 6.7; carving 2 MiB pieces from a 16-64 MiB
 * aligned reservation pays that once per reservation, and a lazy
 * reservation costs no memory until touched.  Why a cache: on a VM with
 * free page reporting a fresh chunk can cost 10-20x a warm one
 * (doc/KERNEL-COSTS.md, section 4), and a reused chunk costs no fault at all.
 *
 * What a fresh chunk becomes (commit, advice, prefault, promotion) is
 * probe/chunk.c's plan; this file carries it out through the backend
 * table.  The lock (os.c) covers the tables only: mmap of a reservation
 * happens under it (rare), commit, advice and prefault of a chunk
 * outside it.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "probe/kconst.h"
#include "lib/os-dense.h"
#include "lib/os-impl.h"

#define HK_MIB ((size_t)1 << 20)
#define HK_BATCH_MIN (16 * HK_MIB)	/* first reservation */
#define HK_BATCH_MAX (64 * HK_MIB)	/* each next one doubles up to this */
#define HK_BATCH_RANGES 8		/* reservations with room left */
#define HK_CACHE_SLOTS 32
#define HK_CACHE_BYTES (64 * HK_MIB)	/* cached chunks, at most */
#define HK_CACHE_WARM (16 * HK_MIB)	/* kept unpurged; above, purged first
					 * (hk_batch_warm) */

/* Unused reserved memory: reads as zero.  reserved_only: PROT_NONE
 * address space, each piece needs a commit (mmap MAP_FIXED). */
struct hk_batch_range {
	char *p;
	size_t len;
	bool reserved_only;
};

/* A chunk given back by hk_os_chunk_free. */
struct hk_batch_cached {
	char *p;
	size_t len;
	bool zeroed;	/* purged with MADV_DONTNEED: reads as zero */
};

static struct hk_batch_range hk_batch_ranges[HK_BATCH_RANGES];
static int hk_batch_nranges;
static struct hk_batch_cached hk_batch_cache[HK_CACHE_SLOTS];
static int hk_batch_ncached;
static size_t hk_batch_cached_bytes;
static size_t hk_batch_next = HK_BATCH_MIN;
static uint64_t hk_batch_handed;	/* bytes of fresh chunks handed out */

/* Under the lock; atomic because hk_os_chunk_free peeks without it. */
static void hk_batch_cached_add(size_t delta)
{
	__atomic_store_n(&hk_batch_cached_bytes, hk_batch_cached_bytes + delta,
			 __ATOMIC_RELAXED);
}

/* HK_CACHE_WARM, or under a cgroup memory limit its share, as the
 * allocator's other caches (hk_os_keep_max). */
static size_t hk_batch_warm(void)
{
	size_t k = hk_os_keep_max();

	return k < HK_CACHE_WARM ? k : HK_CACHE_WARM;
}

/* Most recently freed first: the warmest in cache and TLB.  A purged
 * hugetlb chunk leaves the fork child's map (os-hugefork.c) until its
 * page is back (hk_batch_alloc). */
static bool hk_batch_cache_take(size_t len, void **out, bool *zeroed, bool *huge)
{
	for (int i = hk_batch_ncached - 1; i >= 0; i--) {
		if (hk_batch_cache[i].len != len)
			continue;
		*out = hk_batch_cache[i].p;
		*zeroed = hk_batch_cache[i].zeroed;
		*huge = *zeroed && hk_hugetlb_unmark(*out, len);
		for (; i < hk_batch_ncached - 1; i++)
			hk_batch_cache[i] = hk_batch_cache[i + 1];
		hk_batch_ncached--;
		hk_batch_cached_add(-len);
		return true;
	}
	return false;
}

static bool hk_batch_range_take(size_t len, char **out, bool *reserved_only)
{
	for (int i = 0; i < hk_batch_nranges; i++) {
		struct hk_batch_range *r = &hk_batch_ranges[i];

		if (r->len < len)
			continue;
		*out = r->p;
		*reserved_only = r->reserved_only;
		r->p += len;
		r->len -= len;
		if (r->len == 0)
			*r = hk_batch_ranges[--hk_batch_nranges];
		return true;
	}
	return false;
}

/* Full table: the smallest range goes back to the OS (rare: it takes
 * eight reservations each left with room). */
static void hk_batch_range_add(char *p, size_t len, bool reserved_only)
{
	int slot = hk_batch_nranges;

	if (slot == HK_BATCH_RANGES) {
		slot = 0;
		for (int i = 1; i < HK_BATCH_RANGES; i++)
			if (hk_batch_ranges[i].len < hk_batch_ranges[slot].len)
				slot = i;
		hk_os_sys_unmap(hk_batch_ranges[slot].p, hk_batch_ranges[slot].len);
	} else {
		hk_batch_nranges++;
	}
	hk_batch_ranges[slot] = (struct hk_batch_range){ p, len, reserved_only };
}

/* A new reservation of at least len, from the backend in force.  Under
 * vm.overcommit_memory=2 every private writable byte is charged at mmap
 * time, so the reservation is address space only and each chunk is
 * committed by itself.  Called with the lock held. */
static int hk_batch_reserve(size_t len)
{
	bool strict = hk_os_caps()->overcommit == 2;
	size_t size = len > hk_batch_next ? len : hk_batch_next;
	const struct hk_os_backend *b;
	bool reserved_only;
	void *p;
	int err;

	for (;;) {
		b = hk_os_current();
		reserved_only = hk_chunk_reserve_only(b->commit != NULL, strict);
		err = reserved_only ? hk_os_sys_reserve(size, HK_CHUNK_SIZE, &p)
				    : b->acquire(size, HK_CHUNK_SIZE, &p);
		if (!err)
			break;
		HK_OS_COUNT(b->id, failures, 1);
		if (hk_os_demotable(b, err))
			hk_os_demote(b, "acquire", err);
		else if (size > len)
			size = len;
		else
			return err;
	}
	if (!reserved_only) {
		HK_OS_COUNT(b->id, regions, 1);
		HK_OS_COUNT(b->id, bytes, size);
	}
	if (size >= hk_batch_next && hk_batch_next < HK_BATCH_MAX)
		hk_batch_next *= 2;
	hk_batch_range_add(p, size, reserved_only);
	return 0;
}

/* The plan for a chunk (probe/chunk.h) under the backend in force now:
 * planned again after each demotion, which changes it. */
static const struct hk_os_backend *hk_batch_plan(struct hk_chunk_in *in,
						 struct hk_chunk_plan *plan)
{
	const struct hk_os_backend *b = hk_os_current();

	in->backend = b->id;
	in->backend_commits = b->commit != NULL;
	hk_select_chunk(in, plan);
	return b;
}

/* Make a carved piece usable as planned: commit it where the range is
 * only reserved or the backend's mapping is what commits (MAP_POPULATE,
 * MAP_HUGETLB), demoting along the chain when that fails. */
static int hk_batch_commit(char *p, size_t len, struct hk_chunk_in *in)
{
	const struct hk_os_backend *b;
	struct hk_chunk_plan plan;
	int err;

	for (;;) {
		b = hk_batch_plan(in, &plan);
		if (plan.commit == HK_COMMIT_NONE)
			return 0;
		err = plan.commit == HK_COMMIT_BACKEND ? b->commit(p, len)
						       : hk_os_sys_fixed(p, len, 0);
		if (!err)
			break;
		HK_OS_COUNT(b->id, failures, 1);
		if (plan.commit != HK_COMMIT_BACKEND || !hk_os_demotable(b, err))
			return err;
		hk_os_demote(b, "commit", err);
	}
	HK_OS_COUNT(b->id, regions, 1);
	HK_OS_COUNT(b->id, bytes, len);
	return 0;
}

static void hk_batch_advise(char *p, size_t len, enum hk_advice advice)
{
	if (advice != HK_ADVICE_NONE)
		hk_os_sys_advise(p, len, advice == HK_ADVICE_HUGEPAGE ? MADV_HUGEPAGE
								       : MADV_NOHUGEPAGE);
}

/* The backend's prefault; failing with an error a plainer backend would
 * not hit demotes; any other failure (a real ENOMEM) leaves the chunk
 * lazy, which is still correct memory. */
static void hk_batch_prefault(char *p, size_t len, bool touch)
{
	const struct hk_os_backend *b;
	int err;

	for (;;) {
		b = hk_os_current();
		err = b->prefault(p, len);
		if (!err) {
			HK_OS_COUNT(b->id, prefaults, 1);
			break;
		}
		HK_OS_COUNT(b->id, failures, 1);
		if (!hk_os_demotable(b, err))
			break;
		hk_os_demote(b, "prefault", err);
	}
	if (touch)
		hk_os_sys_touch(p, len);
}

/* A dense chunk's promotion: huge page first (advice, then the timed
 * first fault), populated when THP failed or brought no huge page and
 * populate still works.  MADV_POPULATE_WRITE is what the populate
 * backend's prefault does. */
static void hk_batch_promote(char *p, size_t len, enum hk_dense_act act)
{
	bool populate;
	int err;

	if (act == HK_DENSE_THP) {
		err = hk_os_sys_advise(p, len, MADV_HUGEPAGE);
		if (err)
			populate = hk_dense_fail(act, hk_os_demotable(&hk_os_thp, err), err);
		else
			populate = hk_dense_time_thp(p);
		if (!populate)
			return;
		act = HK_DENSE_POPULATE;
	}
	if (act != HK_DENSE_POPULATE)
		return;
	err = hk_os_populate.prefault(p, len);
	if (err)
		hk_dense_fail(act, hk_os_demotable(&hk_os_populate, err), err);
	else
		hk_dense_populated();
}

void hk_dense_apply(char *p, size_t len, enum hk_dense_act act)
{
	struct hk_chunk_in in = {
		.backend = HK_BACKEND_LAZY, .thp_always = hk_os_thp_always(),
		.prefault = HK_PREFAULT_OFF, .dense = true, .act = act,
	};
	struct hk_chunk_plan plan;

	hk_select_chunk(&in, &plan);
	hk_batch_advise(p, len, plan.advice);
	hk_batch_promote(p, len, plan.promote);
}

/* A fresh piece of len bytes: carve, then carry out its plan (commit,
 * advise, prefault; under auto, promote it if the memory is dense). */
static int hk_batch_fresh(size_t len, void **out)
{
	bool dense = hk_dense_active();
	struct hk_chunk_in in = { .act = HK_DENSE_PROBE };
	struct hk_chunk_plan plan;
	bool (*tight)(void);
	char *p = NULL;
	int err = 0;

	hk_os_lock();
	if (!hk_batch_range_take(len, &p, &in.reserved_only)) {
		err = hk_batch_reserve(len);
		if (!err)
			hk_batch_range_take(len, &p, &in.reserved_only);
	}
	in.early = hk_batch_handed < HK_OS_LAZY_BYTES;
	in.dense = dense && !in.early;
	if (!err)
		hk_batch_handed += len;
	if (!err && in.dense)
		in.act = hk_dense_pick(p, len);
	hk_os_unlock();
	if (err)
		return err;
	in.thp_always = hk_os_thp_always();
	in.prefault = hk_os_choice()->prefault;
	in.small_pages = hk_os_choice()->small_pages;
	tight = __atomic_load_n(&hk_os_tight, __ATOMIC_ACQUIRE);
	in.tight = tight && tight();
	err = hk_batch_commit(p, len, &in);
	if (err) {
		hk_os_sys_unmap(p, len);
		return err;
	}
	hk_batch_plan(&in, &plan);
	hk_batch_advise(p, len, plan.advice);
	if (plan.prefault)
		hk_batch_prefault(p, len, plan.touch);
	hk_batch_promote(p, len, plan.promote);
	*out = p;
	return 0;
}

/* Before the layer has started: the first HK_OS_LAZY_BYTES of chunks
 * are lazy 4 KiB pages whatever the backend, so they come from one
 * reservation of that size without probing the kernel (which costs a
 * fresh process 100-200 us: a small program never needs it).  Once the
 * layer starts, an unused rest joins the ranges.  Under the lock. */
static char *hk_batch_early_p;
static size_t hk_batch_early_left;

/* The early chunks' plan, before anything is probed: THP may be
 * "always", where one touch would cost 2 MiB (EINVAL without THP is
 * fine). */
static enum hk_advice hk_batch_early_advice(void)
{
	struct hk_chunk_in in = { .backend = HK_BACKEND_LAZY, .early = true,
				  .thp_always = true, .prefault = HK_PREFAULT_OFF };
	struct hk_chunk_plan plan;

	hk_select_chunk(&in, &plan);
	return plan.advice;
}

static bool hk_batch_early(size_t len, void **out)
{
	void *p;

	if (hk_batch_handed + len > HK_OS_LAZY_BYTES)
		return false;
	if (!hk_batch_early_p) {
		hk_os_early_page();
		if (hk_os_sys_map(HK_OS_LAZY_BYTES, HK_CHUNK_SIZE, 0, &p) != 0)
			return false;
		hk_batch_advise(p, HK_OS_LAZY_BYTES, hk_batch_early_advice());
		hk_batch_early_p = p;
		hk_batch_early_left = HK_OS_LAZY_BYTES;
		HK_OS_COUNT(HK_BACKEND_LAZY, regions, 1);
		HK_OS_COUNT(HK_BACKEND_LAZY, bytes, HK_OS_LAZY_BYTES);
	}
	if (hk_batch_early_left < len)
		return false;
	*out = hk_batch_early_p + (HK_OS_LAZY_BYTES - hk_batch_early_left);
	hk_batch_early_left -= len;
	hk_batch_handed += len;
	return true;
}

/* The layer has started: what the early reservation did not hand out
 * becomes an ordinary range. */
static void hk_batch_early_retire(void)
{
	if (!hk_batch_early_p)
		return;
	if (hk_batch_early_left)
		hk_batch_range_add(hk_batch_early_p + (HK_OS_LAZY_BYTES - hk_batch_early_left),
				   hk_batch_early_left, false);
	hk_batch_early_p = NULL;
	hk_batch_early_left = 0;
}

size_t (*hk_os_reclaim)(enum hk_reclaim how);
bool (*hk_os_tight)(void);

/* Out of address space or commit (RLIMIT_AS, overcommit=2): what another
 * cache keeps mapped may be what the reservation needs.  Worth a retry
 * even when it gave nothing: another thread may have just done it. */
static bool hk_batch_reclaim(void)
{
	size_t (*fn)(enum hk_reclaim) = __atomic_load_n(&hk_os_reclaim, __ATOMIC_ACQUIRE);

	if (fn)
		fn(HK_RECLAIM_CACHES);
	return fn != NULL;
}

static int hk_batch_alloc(size_t len, void **out, bool *fresh)
{
	bool started = hk_os_started(), hit, early, huge = false;
	enum hk_backend_id id = started ? hk_os_current()->id : HK_BACKEND_LAZY;

	hk_os_lock();
	if (started)
		hk_batch_early_retire();
	hit = hk_batch_cache_take(len, out, fresh, &huge);
	early = !hit && !started && hk_batch_early(len, out);
	hk_os_unlock();
	if (hit && huge) {
		/* Its page back first: what a child finds marked is there. */
		hk_os_sys_touch(*out, len);
		hk_hugetlb_mark(*out, len);
	}
	if (hit) {
		HK_OS_COUNT(id, cache_hits, 1);
	} else if (!early) {
		/* Past the early chunks: this starts the layer if needed. */
		if (hk_batch_fresh(len, out))
			return ENOMEM;
		id = hk_os_current()->id;
	}
	if (!hit)
		*fresh = true;
	HK_OS_COUNT(id, chunks, 1);
	return 0;
}

int hk_os_chunk_alloc(size_t len, void **out, bool *fresh)
{
	len = (len + HK_CHUNK_SIZE - 1) & ~(HK_CHUNK_SIZE - 1);
	if (len == 0)
		return ENOMEM;
	/* The retry looks in the cache again: another thread may have
	 * freed a chunk meanwhile. */
	if (hk_batch_alloc(len, out, fresh) == 0 ||
	    (hk_batch_reclaim() && hk_batch_alloc(len, out, fresh) == 0))
		return 0;
	return ENOMEM;
}

void hk_os_chunk_free(void *p, size_t len)
{
	const struct hk_os_backend *b;
	bool zeroed = false, keep, huge;

	len = (len + HK_CHUNK_SIZE - 1) & ~(HK_CHUNK_SIZE - 1);
	/* A hugetlb chunk leaves the fork child's map while it may be
	 * purged and is in no table (os-hugefork.c), and is marked again
	 * in the cache, which the child drops. */
	huge = hk_hugetlb_unmark(p, len);
	/* Past the warm share, purge before caching (outside the lock; the
	 * racy read only decides whether a purge is worth it). */
	if (__atomic_load_n(&hk_batch_cached_bytes, __ATOMIC_RELAXED) >= hk_batch_warm())
		hk_os_purge(p, len, &zeroed);
	/* Not huge for its next user unless that user's own promotion
	 * makes it so (probe/chunk.h). */
	hk_batch_advise(p, len, hk_chunk_release_advice(hk_dense_active(),
							  hk_dense_advised()));
	hk_os_lock();
	keep = hk_batch_ncached < HK_CACHE_SLOTS &&
	       hk_batch_cached_bytes + len <= HK_CACHE_BYTES;
	if (keep) {
		hk_batch_cache[hk_batch_ncached++] =
			(struct hk_batch_cached){ p, len, zeroed };
		hk_batch_cached_add(len);
		if (huge)
			hk_hugetlb_mark(p, len);
	}
	hk_os_unlock();
	if (keep)
		return;
	b = hk_os_current();
	if (b->release(p, len) == 0)
		HK_OS_COUNT(b->id, released, len);
}

void hk_os_batch_fork_child(void)
{
	int kept = 0;

	for (int i = 0; i < hk_batch_ncached; i++) {
		struct hk_batch_cached c = hk_batch_cache[i];

		if (hk_hugetlb_unmark(c.p, c.len)) {
			hk_batch_cached_add(-c.len);
			hk_os_sys_unmap(c.p, c.len);
		} else {
			hk_batch_cache[kept++] = c;
		}
	}
	hk_batch_ncached = kept;
}

/* Under the lock: take one unused reservation out of the table. */
static bool hk_batch_range_pop(struct hk_batch_range *out)
{
	if (hk_batch_nranges == 0)
		return false;
	*out = hk_batch_ranges[--hk_batch_nranges];
	return true;
}

size_t hk_os_chunk_trim(void)
{
	const struct hk_os_backend *b;
	struct hk_batch_cached c;
	struct hk_batch_range r;
	size_t total = 0;

	for (;;) {
		hk_os_lock();
		if (hk_batch_ncached == 0) {
			hk_os_unlock();
			break;
		}
		c = hk_batch_cache[--hk_batch_ncached];
		hk_batch_cached_add(-c.len);
		hk_hugetlb_unmark(c.p, c.len);
		hk_os_unlock();
		b = hk_os_current();
		if (b->release(c.p, c.len) == 0) {
			HK_OS_COUNT(b->id, released, c.len);
			total += c.len;
		}
	}
	/* Unused reservations hold no memory but address space, which is
	 * what RLIMIT_AS and strict overcommit count. */
	for (;;) {
		bool got;

		hk_os_lock();
		hk_batch_early_retire();
		got = hk_batch_range_pop(&r);
		hk_os_unlock();
		if (!got)
			return total;
		if (hk_os_sys_unmap(r.p, r.len) == 0)
			total += r.len;
	}
}
