/* heap.c: a thread's heap and the slow paths of malloc and free.
 *
 * Each thread reaches its heap through one initial-exec TLS pointer.
 * Before its first allocation that pointer names hk_heap_empty, whose
 * classes all point at hk_slab_empty (no free block), so the fast path
 * needs no "initialised?" test: it simply falls into the slow path here.
 *
 * Per class the heap keeps a ring of slabs that may have room; the head
 * is the slab the fast path pops from.  A slab found exhausted stays in
 * the ring once, the head passing to the next slab, so that blocks freed
 * into it meanwhile make it usable again at no cost; found exhausted a
 * second time it leaves the ring and is marked full, and the next free of
 * one of its blocks brings it back (directly when the owner frees,
 * through the heap's notice stack when another thread does).  Heaps are
 * never unmapped: an exited thread's heap goes to a pool for the next
 * thread, and its superslabs to the abandoned list (heap-abandon.c), from
 * which any heap that needs room reclaims them.
 */
#include <errno.h>
#include <pthread.h>

#include "lib/fastpath.h"
#include "lib/glibc.h"
#include "lib/heap-impl.h"
#include "lib/internal.h"
#include "lib/lock.h"
#include "lib/os.h"

HK_TLS struct hk_tls hk_tls = {
	.heap = &hk_heap_empty,
	.hot = 1,
	.direct = { [0 ... HK_DIRECT - 1] = &hk_slab_empty },
	.own = { [0 ... HK_OWN - 1] = 1 },
};
struct hk_slab hk_slab_empty;
/* Never written (every path that would write a heap tests for this one
 * first), so it lies in .data.rel.ro, made read-only after relocation:
 * a stray write faults at once, and .data stays small enough that the
 * small .bss globals share the page the loader writes anyway (segmap.c). */
struct hk_heap hk_heap_empty __attribute__((section(".data.rel.ro"))) = {
	.cur = { [0 ... HK_NCLASS - 1] = &hk_slab_empty },
	.hot = 1,
	.own = { [0 ... HK_OWN - 1] = 1 },
};

static pthread_mutex_t hk_heap_lock = PTHREAD_MUTEX_INITIALIZER;
static struct hk_heap *hk_heap_all;
static struct hk_heap *hk_heap_pool;
static uint64_t hk_heap_nlive;		/* heaps owned by a thread */

struct hk_heap *hk_heap_first(void)
{
	return __atomic_load_n(&hk_heap_all, __ATOMIC_ACQUIRE);
}

/* ---- the class lists ---------------------------------------------- */

/* The direct[] entries of the sizes up to HK_DIRECT_MAX that c serves,
 * (c's previous size, c's size], when h is the calling thread's heap
 * (hk_tls): a fork child abandons the heaps of the threads the fork
 * left behind. */
void hk_heap_set_direct(struct hk_heap *h, unsigned c, struct hk_slab *s)
{
	if (hk_class_size[c] > HK_DIRECT_MAX || h != hk_tls_heap)
		return;
	for (unsigned i = c ? hk_class_size[c - 1] / 16 + 1 : 0;
	     i <= hk_class_size[c] / 16; i++)
		hk_tls.direct[i] = s;
}

/* The head of class c's list, also in c's direct[] entries. */
static void hk_heap_set_cur(struct hk_heap *h, unsigned c, struct hk_slab *s)
{
	h->cur[c] = s;
	hk_heap_set_direct(h, c, s);
}

/* Each class's list is a ring: the head's prev is the tail and the
 * tail's next the head, so that a slab can join either end, and the
 * head can pass to the next slab (hk_heap_alloc_class) by moving cur
 * alone, with no write to the descriptors.  A slab joins as the tail
 * (as the head of an empty ring), not spent. */
static void hk_list_append(struct hk_heap *h, struct hk_slab *s)
{
	struct hk_slab *head = h->cur[s->cls];

	s->spent = 0;
	if (head == &hk_slab_empty) {
		s->next = s;
		s->prev = s;
		hk_heap_set_cur(h, s->cls, s);
		return;
	}
	s->next = head;
	s->prev = head->prev;
	head->prev->next = s;
	head->prev = s;
}

static void hk_list_push(struct hk_heap *h, struct hk_slab *s)
{
	hk_list_append(h, s);
	hk_heap_set_cur(h, s->cls, s);
}

void hk_list_remove(struct hk_heap *h, struct hk_slab *s)
{
	if (s->next == s) {
		hk_heap_set_cur(h, s->cls, &hk_slab_empty);
	} else {
		s->prev->next = s->next;
		s->next->prev = s->prev;
		if (h->cur[s->cls] == s)
			hk_heap_set_cur(h, s->cls, s->next);
	}
	s->next = NULL;
	s->prev = NULL;
	if (HK_UNLIKELY(h->lent))
		hk_heap_lend_drop(h, s);
}

/* Mark s full and ask for a notice of the next remote free, unless one
 * slipped in already (then false: s has room after all). */
static bool hk_slab_try_full(struct hk_slab *s)
{
	uintptr_t zero = 0;

	if (!__atomic_compare_exchange_n(&s->remote, &zero, 1, false,
					 __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		return false;
	s->used |= HK_SLAB_FULL;
	return true;
}

static bool hk_heap_mark_full(struct hk_heap *h, struct hk_slab *s)
{
	if (!hk_slab_try_full(s))
		return false;
	hk_list_remove(h, s);
	return true;
}

/* A slab that a free brought back from full has one block or few: as
 * the head it would send the next mallocs back to the slow path at once
 * (larson-1t took a slow path on 7% of its mallocs and frees), so it
 * joins the tail and gathers frees while the slabs in front are used up;
 * but while the head's never-used blocks are fresh memory, it goes in
 * front, so that freed blocks are reused before new pages are touched. */
static void hk_heap_unfull(struct hk_heap *h, struct hk_slab *s)
{
	struct hk_slab *head = h->cur[s->cls];
	uintptr_t one = 1;

	s->used &= ~HK_SLAB_FULL;
	__atomic_compare_exchange_n(&s->remote, &one, 0, false,
				    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	if (head->bump < head->end && head->zero)
		hk_list_push(h, s);
	else
		hk_list_append(h, s);
}

/* ---- superslab lists ----------------------------------------------- */

/* Every unlink from h->ss comes here, to keep h->ss_tail. */
static void hk_heap_unlink_ss(struct hk_heap *h, struct hk_superslab *ss)
{
	if (h->ss_tail == ss)
		h->ss_tail = ss->prev;
	hk_ss_unlink(&h->ss, ss);
}

/* hot names h's superslab while it owns one only, and none (1) while
 * it owns several, rather than the one it allocates from: a free tests
 * hot first and own[] next (hk_fast_slab), and blocks freed in random
 * order fall in the superslab malloc uses or another one at random, a
 * branch that mispredicts (alloc-test-1t: 8% of its time; mstress:
 * 12% of free's samples), while "never hot, then own[]" is predicted
 * right.  A heap of one superslab (most threads, random-mixed) spares
 * the own[] slot's arithmetic: 5 instructions per malloc+free pair. */
static void hk_heap_set_hot(struct hk_heap *h)
{
	h->hot = h->nss == 1 ? (uintptr_t)h->ss : 1;
	hk_heap_sync_hot();
}

/* h takes ss (new or adopted): first in its list, and in own[]. */
static void hk_heap_take_ss(struct hk_heap *h, struct hk_superslab *ss)
{
	__atomic_store_n(&ss->owner, h, __ATOMIC_RELEASE);
	if (!h->ss)
		h->ss_tail = ss;
	hk_ss_push(&h->ss, ss);
	h->nss++;
	hk_heap_own_set(h, hk_own_slot(ss), (uintptr_t)ss);
	hk_heap_set_hot(h);
}

/* h gives ss up (to be freed): every path that does must come here,
 * so that own[] never names a superslab h does not own. */
void hk_heap_drop_ss(struct hk_heap *h, struct hk_superslab *ss)
{
	hk_heap_unlink_ss(h, ss);
	h->nss--;
	hk_heap_set_hot(h);
	if (h->own[hk_own_slot(ss)] == (uintptr_t)ss)
		hk_heap_own_set(h, hk_own_slot(ss), 1);
}

/* Superslabs with free slices stay in front of the full ones.  The
 * tail is kept, not found: a heap of a GiB has hundreds of superslabs,
 * and each one that fills up goes there (bench/frag). */
static void hk_ss_to_tail(struct hk_heap *h, struct hk_superslab *ss)
{
	struct hk_superslab *t = h->ss_tail;

	if (!ss->next)
		return;
	hk_heap_unlink_ss(h, ss);
	t->next = ss;
	ss->prev = t;
	h->ss_tail = ss;
}

/* ---- notices from other threads ------------------------------------ */

/* A notice is the slab's descriptor on its owner heap's stack, pushed
 * by the thread whose remote free took the owner's wish (bit 0 of
 * remote).  It must reach the heap that owns the superslab when it
 * arrives, whatever happened since the free: the owner may have exited
 * (its heap pooled, then reused by another thread), the superslab may
 * have been reclaimed by another heap, or the slab released.  Three
 * rules hold that whole class of orderings:
 *
 * - The token (in_delayed) is held by whoever holds the notice: on a
 *   stack, or in the hands of a thread passing it on.  One notice per
 *   slab at a time; a second free that wants one finds the token taken
 *   and leaves it to the first, whose delivery the owner reads after
 *   both frees (it clears the token before it looks at the slab).
 * - A notice goes to ss->owner as read when it is passed on, and the
 *   thread that pushed it reads owner again after the push: if the heap
 *   gave the superslab up meanwhile, its last drain may have run before
 *   the push, so the pusher takes that heap's stack over and passes
 *   every notice there on again (hk_notice_deliver).  A heap that
 *   abandons drains after its superslabs' owner went NULL (seq_cst both
 *   sides: either its drain sees the push, or the pusher sees the new
 *   owner).  A pooled heap's stack is therefore empty but for moments.
 * - What a notice names is checked when the owner takes it: a slab of
 *   its superslab (slab_of), marked full.  A released descriptor is not
 *   full (hk_superslab_slab_free), so a late notice of one is dropped,
 *   never put back on a list.
 *
 * No thread touches a superslab's header after it went back to the OS:
 * the token or a guard (notifying, taken before the push, slab.c) is
 * held across every step, and a superslab is freed only when quiet. */

bool hk_ss_quiet(struct hk_superslab *ss)
{
	for (unsigned i = 1; i < HK_SLICES; i++)
		if (__atomic_load_n(&ss->slabs[i].in_delayed, __ATOMIC_ACQUIRE) ||
		    __atomic_load_n(&ss->slabs[i].notifying, __ATOMIC_ACQUIRE))
			return false;
	return true;
}

static void hk_notice_push(struct hk_heap *h, struct hk_slab *s)
{
	struct hk_slab *top = __atomic_load_n(&h->delayed, __ATOMIC_RELAXED);

	do
		s->delayed_next = top;
	while (!__atomic_compare_exchange_n(&h->delayed, &top, s, true,
					    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED));
}

/* A full slab that malloc_trim in another thread emptied, its pages
 * purged and its blocks reset (heap-trim.c): back to its superslab, as
 * clean slices, unless the idle list holds it (which releases it). */
static void hk_heap_trimmed(struct hk_heap *h, struct hk_slab *s)
{
	if (s->in_idle) {
		s->idle_since = 0;
		hk_heap_unfull(h, s);
		return;
	}
	s->used = 0;
	hk_heap_slab_release(h, hk_ss_of(s), s, hk_now_ms());
}

/* Pass on the notice of s, whose token the caller holds, under a guard
 * on s (notifying) that the caller holds too: to the owner of its
 * superslab, or nowhere if none (an abandoned superslab's slabs are
 * sorted again when reclaimed).  The notices of a heap that gave the
 * superslab up between the read of owner and the push are taken over
 * and passed on in turn, each under a guard of its own. */
static void hk_notice_deliver(struct hk_slab *s)
{
	struct hk_slab *more = NULL;
	bool own_guard = false;

	for (;;) {
		struct hk_superslab *ss = hk_ss_of(s);
		struct hk_heap *h = __atomic_load_n(&ss->owner, __ATOMIC_SEQ_CST);

		if (!h) {
			__atomic_store_n(&s->in_delayed, 0, __ATOMIC_RELEASE);
			/* A free into an abandoned full slab: work for the
			 * purge ticks (heap-abandon.c). */
			hk_heap_abandoned_freed();
		} else {
			hk_notice_push(h, s);
			if (__atomic_load_n(&ss->owner, __ATOMIC_SEQ_CST) != h) {
				struct hk_slab *l = __atomic_exchange_n(&h->delayed, NULL,
									__ATOMIC_SEQ_CST);
				struct hk_slab *t = l;

				while (t && t->delayed_next)
					t = t->delayed_next;
				if (t) {
					t->delayed_next = more;
					more = l;
				}
			}
		}
		if (own_guard)
			__atomic_fetch_sub(&s->notifying, 1, __ATOMIC_RELEASE);
		if (!more)
			return;
		s = more;
		more = s->delayed_next;
		/* Its token keeps its superslab mapped until the guard is on. */
		__atomic_fetch_add(&s->notifying, 1, __ATOMIC_SEQ_CST);
		own_guard = true;
	}
}

void hk_heap_notify(struct hk_superslab *ss, struct hk_slab *s)
{
	uint8_t no = 0;

	(void)ss;
	/* The push read the wish of a marking made after its owner took
	 * the superslab (hk_slab_try_full): that owner is seen below. */
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	if (__atomic_compare_exchange_n(&s->in_delayed, &no, 1, false,
					__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		hk_notice_deliver(s);
	__atomic_fetch_sub(&s->notifying, 1, __ATOMIC_RELEASE);
}

/* Take the notices: a full slab of ours goes back on its list; a notice
 * of a superslab that is no longer ours is passed on to its owner. */
static void hk_heap_drain(struct hk_heap *h)
{
	struct hk_slab *s = __atomic_exchange_n(&h->delayed, NULL, __ATOMIC_SEQ_CST);

	while (s) {
		struct hk_slab *n = s->delayed_next;
		struct hk_superslab *ss = hk_ss_of(s);

		if (__atomic_load_n(&ss->owner, __ATOMIC_SEQ_CST) == h) {
			__atomic_store_n(&s->in_delayed, 0, __ATOMIC_RELEASE);
			/* Full with no block out: only trim leaves a slab so. */
			if (ss->slab_of[s->slice] == s->slice &&
			    s->used == HK_SLAB_FULL)
				hk_heap_trimmed(h, s);
			else if (ss->slab_of[s->slice] == s->slice &&
				 (s->used & HK_SLAB_FULL))
				hk_heap_unfull(h, s);
		} else {
			__atomic_fetch_add(&s->notifying, 1, __ATOMIC_SEQ_CST);
			hk_notice_deliver(s);
			__atomic_fetch_sub(&s->notifying, 1, __ATOMIC_RELEASE);
		}
		s = n;
	}
}

/* ---- slabs in and out of the heap ---------------------------------- */

void hk_heap_slab_release(struct hk_heap *h, struct hk_superslab *ss,
			  struct hk_slab *s, uint64_t now)
{
	hk_superslab_slab_free(ss, s, now);
	h->dirty = true;
	/* Much released: the next tick weighs it (hk_heap_purge_eager). */
	h->released += s->span;
	if (h->released >= hk_heap_eager_at(h->shrink))
		h->slow = 63;
	/* To the front: the next slab goes into these dirty slices, already
	 * faulted in, rather than touching fresh pages elsewhere. */
	if (ss != h->ss) {
		hk_heap_unlink_ss(h, ss);
		hk_ss_push(&h->ss, ss);
	}
}

static void hk_heap_tick(struct hk_heap *h);

/* Slabs that empty stay in their class list, so that a class that
 * empties and fills again (a working set that breathes) does not give
 * its slabs back and set them up again each time; the purge tick
 * releases those that stayed empty for the purge delay, and a heap that
 * runs out of slices releases them all first (hk_heap_slab_new), so
 * that the kept slabs never make the heap map more memory.  The bound,
 * in slices (16 MiB; under a cgroup memory limit hk_os_keep_max(), purge.c),
 * limits what a heap holds back from the other
 * threads and keeps the tick's walk of the list short; and when memory
 * runs short (malloc_trim, or no new superslab) hk_pressure asks every
 * heap to release what it keeps at its next slow path.  A process that
 * ran out of memory once (hk_tight) keeps nothing back from then on:
 * another thread cannot take what a heap keeps until that heap's next
 * slow path. */
#define HK_IDLE_MAX 512

uint32_t hk_pressure;
static bool hk_tight;

/* Keep s, empty, on the idle list if the bound allows. */
static bool hk_heap_idle_keep(struct hk_heap *h, struct hk_slab *s)
{
	if (h->nidle + s->span > HK_IDLE_MAX || h->shrink ||
	    __atomic_load_n(&hk_tight, __ATOMIC_RELAXED) ||
	    ((size_t)(h->nidle + s->span) << HK_SLICE_SHIFT) > hk_os_keep_max())
		return false;
	s->in_idle = 1;
	s->idle_next = h->idle;
	h->idle = s;
	h->nidle += s->span;
	h->dirty = true;
	return true;
}

/* s emptied: its blocks came back in any order, so hand them out from
 * the start again, in address order, rather than down a free list that
 * jumps through cold blocks (alloc-test: every class, every round).
 * The head of its class too, once it handed out more than s->keep
 * blocks since its last reset (HK_REWIND_HEAD, or half its blocks if
 * fewer): its next mallocs then take the bump path, which reads nothing
 * from the blocks.  A shorter list is in cache still, and a head
 * rewound each time it empties makes its next mallocs take the bump
 * path, then the list, a branch that turns each time (random-mixed:
 * each class's head empties every few dozen of its frees, with a dozen
 * blocks or fewer out; 74,000 more mispredicts in 1,000,000 steps,
 * callgrind --branch-sim, when every head rewinds). */
static inline void hk_slab_rewind(struct hk_heap *h, struct hk_slab *s)
{
	if (h->cur[s->cls] == s && s->nbump <= s->keep)
		return;
	s->free = NULL;
	s->bump = s->start;
	s->nbump = 0;
	s->zero = 0;
}

/* hk_heap_put's general case. */
static __attribute__((noinline)) void
hk_heap_put_back(struct hk_heap *h, struct hk_superslab *ss, struct hk_slab *s)
{
	if (s->used & HK_SLAB_FULL)
		hk_heap_unfull(h, s);
	if (s->used == 0) {
		hk_slab_rewind(h, s);
		if (s->in_idle || hk_heap_idle_keep(h, s)) {
			s->idle_since = 0;
			h->dirty = true;
		} else {
			hk_list_remove(h, s);
			hk_heap_slab_release(h, ss, s, hk_now_ms());
		}
	}
	/* Last: the tick may release slabs, s among them. */
	hk_heap_tick(h);
}

/* The head of its class emptied and is kept idle already: what
 * hk_heap_put_back would do for it, without the frame that one sets up
 * (random-mixed: nearly every slow free, one free in 25). */
static inline bool hk_heap_put_head(struct hk_heap *h, struct hk_slab *s)
{
	if (s->used != 0 || !s->in_idle || h->cur[s->cls] != s)
		return false;
	hk_slab_rewind(h, s);
	s->idle_since = 0;
	h->dirty = true;
	hk_heap_tick(h);
	return true;
}

void hk_heap_put(struct hk_slab *s)
{
	struct hk_heap *h = hk_tls_heap;

	if (!hk_heap_put_head(h, s))
		hk_heap_put_back(h, hk_ss_of(s), s);
}

/* Take over an abandoned superslab: sort its slabs into our lists. */
void hk_heap_adopt(struct hk_heap *h, struct hk_superslab *ss)
{
	uint64_t now = hk_now_ms();

	hk_heap_take_ss(h, ss);
	/* Its dirty slices are ours to purge now. */
	h->dirty |= ss->dirty_mask != 0;
	for (unsigned i = 1; i < HK_SLICES; i++) {
		struct hk_slab *s = hk_ss_slab_collect(ss, i, now);

		if (!s)
			continue;
		s->used &= ~HK_SLAB_FULL;
		if (s->used == 0 && h->cur[s->cls] == &hk_slab_empty &&
		    hk_heap_idle_keep(h, s)) {
			/* As its class's only slab: its blocks and pages
			 * are reused where the last owner left them. */
			hk_list_push(h, s);
		} else if (s->used == 0) {
			hk_heap_slab_release(h, ss, s, now);
		} else if (hk_slab_refill(s) || !hk_slab_try_full(s)) {
			hk_list_push(h, s);
		}
	}
	hk_stat_add(HK_ST_SS_RECLAIM, 1);
}

/* A new slab in one of our superslabs with free slices (those that
 * had slabs released lately come first); if dirty, over dirty slices in
 * one of the first HK_REUSE_LOOK. */
#define HK_REUSE_LOOK 8

static struct hk_slab *hk_heap_carve(struct hk_heap *h, unsigned cls, bool dirty,
				     struct hk_superslab **where)
{
	unsigned n = 0;

	for (struct hk_superslab *ss = h->ss; ss && ss->free_mask; ss = ss->next) {
		struct hk_slab *s = hk_superslab_slab_new(ss, cls, dirty);

		if (s) {
			*where = ss;
			return s;
		}
		if (dirty && ++n == HK_REUSE_LOOK)
			break;
	}
	return NULL;
}

/* A shorter slab in one of our superslabs (hk_superslab_slab_fit). */
static struct hk_slab *hk_heap_fit(struct hk_heap *h, unsigned cls,
				   struct hk_superslab **where)
{
	for (struct hk_superslab *ss = h->ss; ss && ss->free_mask; ss = ss->next) {
		struct hk_slab *s = hk_superslab_slab_fit(ss, cls);

		if (s) {
			*where = ss;
			return s;
		}
	}
	return NULL;
}

/* An idle slab of another class over as many slices as cls needs, set
 * up again for cls: memory already touched, and no search for slices. */
static struct hk_slab *hk_heap_idle_take(struct hk_heap *h, unsigned cls)
{
	struct hk_slab **pp = &h->idle, *s;

	while ((s = *pp) != NULL) {
		if (s->used == 0 && s->span == hk_class_span[cls])
			break;
		pp = &s->idle_next;
	}
	if (!s)
		return NULL;
	*pp = s->idle_next;
	s->in_idle = 0;
	h->nidle -= s->span;
	hk_list_remove(h, s);
	hk_slab_init(s, s->start, (char *)hk_ss_of(s) +
		     ((size_t)(s->slice + s->span) << HK_SLICE_SHIFT), cls, false);
	return s;
}

/* Memory already faulted in first: an idle slab of another class,
 * dirty slices of ours, then of an abandoned superslab (within our
 * share); then any free run of ours (after releasing the idle slabs), of
 * an abandoned superslab, a shorter one of ours, a new superslab. */
static struct hk_slab *hk_heap_slab_new(struct hk_heap *h, unsigned cls)
{
	struct hk_superslab *ss = NULL;
	struct hk_slab *s;

	h->shrink = false;	/* it grows again (hk_heap_purge_eager) */
	s = hk_heap_idle_take(h, cls);
	if (s) {
		ss = hk_ss_of(s);
		hk_heap_own_set(h, hk_own_slot(ss), (uintptr_t)ss);
		return s;
	}
	s = hk_heap_carve(h, cls, true, &ss);
	while (!s && hk_heap_abandoned_any() && hk_heap_within_share(h) &&
	       (ss = hk_heap_reclaim(h, HK_NCLASS, true)) != NULL)
		s = hk_superslab_slab_new(ss, cls, true);
	if (!s)
		s = hk_heap_carve(h, cls, false, &ss);
	if (!s && h->nidle) {
		hk_heap_release_idle(h, true, hk_now_ms());
		s = hk_heap_carve(h, cls, false, &ss);
	}
	while (!s && (ss = hk_heap_reclaim(h, HK_NCLASS, false)) != NULL)
		s = hk_superslab_slab_new(ss, cls, false);
	if (!s)
		s = hk_heap_fit(h, cls, &ss);
	if (!s && h->nss == 1 && hk_superslab_grow(h->ss)) {
		ss = h->ss;
		s = hk_superslab_slab_new(ss, cls, false);
	}
	if (!s) {
		/* A heap's first superslab is small (hk_superslab_new): most
		 * threads allocate little. */
		ss = hk_superslab_new(h->nss == 0 &&
				      hk_class_span[cls] < HK_SS_SMALL_SLICES);
		if (!ss) {
			__atomic_store_n(&hk_tight, true, __ATOMIC_RELAXED);
			__atomic_fetch_add(&hk_pressure, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		hk_heap_take_ss(h, ss);
		h->dirty |= ss->dirty_mask != 0;
		s = hk_superslab_slab_new(ss, cls, false);
	}
	if (!ss->free_mask)
		hk_ss_to_tail(h, ss);
	hk_heap_own_set(h, hk_own_slot(ss), (uintptr_t)ss);
	return s;
}

/* A slab of cls with room, at the head of its list, when the list had
 * none.  An abandoned superslab with such a slab comes first: its
 * blocks (and pages already faulted in) are there to be used, and a
 * new slab carved while they wait would only add to the memory in use
 * (mstress: threads that come and go); within our share. */
static struct hk_slab *hk_heap_slab_more(struct hk_heap *h, unsigned cls)
{
	struct hk_slab *s;

	while (hk_heap_abandoned_any() && hk_heap_within_share(h) &&
	       hk_heap_reclaim(h, cls, false)) {
		s = h->cur[cls];
		if (s != &hk_slab_empty && hk_slab_refill(s))
			return s;
	}
	s = hk_heap_slab_new(h, cls);
	if (s)
		hk_list_push(h, s);
	return s;
}

/* ---- malloc's slow path -------------------------------------------- */

struct hk_heap *hk_heap_get(void)
{
	struct hk_heap *h;

	hk_init();
	hk_lock(&hk_heap_lock);
	h = hk_heap_pool;
	if (h) {
		hk_heap_pool = h->next_pool;
	} else {
		h = hk_meta_alloc(sizeof(*h));
		if (h) {
			for (unsigned c = 0; c < HK_NCLASS; c++)
				hk_heap_set_cur(h, c, &hk_slab_empty);
			h->hot = 1;
			for (unsigned i = 0; i < HK_OWN; i++)
				h->own[i] = 1;
			h->next_all = hk_heap_all;
			__atomic_store_n(&hk_heap_all, h, __ATOMIC_RELEASE);
		}
	}
	if (h) {
		__atomic_store_n(&h->trim_off, false, __ATOMIC_RELAXED);
		__atomic_store_n(&h->busy_at, hk_now_ms(), __ATOMIC_RELAXED);
		__atomic_store_n(&h->live, true, __ATOMIC_RELAXED);
		__atomic_store_n(&hk_heap_nlive, hk_heap_nlive + 1, __ATOMIC_RELAXED);
	}
	hk_unlock(&hk_heap_lock);
	return h;
}

static struct hk_heap *hk_heap_new(void)
{
	struct hk_heap *h = hk_heap_get();

	if (!h)
		return NULL;
	hk_tls_heap = h;
	hk_heap_sync_hot();
	hk_init_thread(h);
	hk_stat_add(HK_ST_THREADS, 1);
	return h;
}

/* The tick's work: the notices, and every 64 slow paths (at once when
 * hk_pressure moved) the remote batches and the purge. */
static __attribute__((noinline)) void hk_heap_tick_work(struct hk_heap *h,
							 uint32_t pressure)
{
	if (__atomic_load_n(&h->delayed, __ATOMIC_RELAXED))
		hk_heap_drain(h);
	if (HK_UNLIKELY(h->pressure != pressure)) {
		h->pressure = pressure;
		hk_remote_flush(h);
		hk_heap_purge(h, true);
	} else if (++h->slow >= 64) {
		h->slow = 0;
		__atomic_store_n(&h->busy_at, hk_now_ms(), __ATOMIC_RELAXED);
		hk_remote_flush(h);
		if (h->released >= hk_heap_eager_at(true))
			hk_heap_purge_eager(h);
		if (h->dirty)
			hk_heap_purge(h, false);
		hk_heap_tick_abandoned();
		hk_large_trim(false);
	}
}

/* Most ticks only count: that much needs no frame (random-mixed: one
 * free in 25 comes here). */
static void hk_heap_tick(struct hk_heap *h)
{
	uint32_t pressure = __atomic_load_n(&hk_pressure, __ATOMIC_RELAXED);

	if (HK_LIKELY(!__atomic_load_n(&h->delayed, __ATOMIC_RELAXED) &&
		      h->pressure == pressure && h->slow < 63)) {
		h->slow++;
		return;
	}
	hk_heap_tick_work(h, pressure);
}

/* Walk the ring from its head to a slab with room, which becomes the
 * head.  An exhausted slab seen for the first time stays (spent), one
 * seen again leaves as full: a slab that fills and empties as a working
 * set breathes (alloc-test: every slab of a class, every round) is not
 * taken out of the ring and put back with a compare-and-swap each time
 * (hk_slab_try_full, hk_heap_unfull), and a heap whose slabs never get
 * blocks back still marks each full after two visits. */
void *hk_heap_alloc_class(struct hk_heap *h, unsigned cls)
{
	struct hk_slab *s;

	hk_heap_tick(h);	/* first: it may release the head */
	s = h->cur[cls];
	while (s != &hk_slab_empty) {
		struct hk_slab *next = s->next == s ? &hk_slab_empty : s->next;

		if (hk_slab_refill(s)) {
			s->spent = 0;
			if (s != h->cur[cls])
				hk_heap_set_cur(h, cls, s);
			return hk_slab_alloc(s);
		}
		if (!s->spent) {
			s->spent = 1;
			s = s->next;
		} else if (hk_heap_mark_full(h, s)) {
			s = next;
		}
	}
	if (h->cur[cls] == &hk_slab_empty) {
		/* A class's first blocks may come from a slab of a larger
		 * class, and its own slab once that one runs out
		 * (heap-lend.c). */
		void *b = hk_heap_lend(h, cls, __atomic_load_n(&hk_heap_nlive,
							    __ATOMIC_RELAXED) == 1);

		if (b)
			return b;
		hk_heap_lend_end(h, cls);
	}
	s = hk_heap_slab_more(h, cls);
	if (!s)
		return NULL;
	return hk_slab_alloc(s);
}

void *hk_heap_malloc_slow(size_t size)
{
	struct hk_heap *h = hk_tls_heap;
	void *b;

	if (size > HK_SMALL_MAX)
		return hk_large_alloc(size, 0, false);
	if (HK_UNLIKELY(h == &hk_heap_empty)) {
		/* Every thread's first small block: hakmem's or glibc's is
		 * decided before it (glibc.h). */
		const struct hk_glibc *g = hk_glibc();

		if (HK_UNLIKELY(g != NULL))
			return g->malloc(size);
		if (HK_UNLIKELY(hk_heap_late_now()))
			return hk_heap_late_malloc(size);
		h = hk_heap_new();
		if (!h) {
			errno = ENOMEM;
			return NULL;
		}
	}
	b = hk_heap_alloc_class(h, hk_size_class(size));
	if (!b)
		errno = ENOMEM;
	return b;
}

/* ---- thread exit --------------------------------------------------- */

void hk_heap_abandon(struct hk_heap *h)
{
	struct hk_superslab *ss, *next;

	if (h == &hk_heap_empty || !h->live)
		return;
	/* No malloc_trim works on h's slabs from here on (heap-trim.c). */
	hk_heap_trim_exclude(h);
	/* The thread's own exit: what it allocates from now on, in the
	 * key destructors that run after hakmem's, comes from the late
	 * heap (heap-late.c), so that no heap outlives the thread. */
	if (h == hk_tls_heap)
		hk_heap_late_mark();
	/* First: a block it pushes may bring a notice to h itself. */
	hk_remote_flush(h);
	h->hot = 1;
	hk_heap_sync_hot();
	for (unsigned i = 0; i < HK_OWN; i++)
		hk_heap_own_set(h, i, 1);
	hk_heap_drain(h);
	for (struct hk_slab *s = h->idle; s; s = s->idle_next)
		s->in_idle = 0;
	h->idle = NULL;
	h->nidle = 0;
	/* Each superslab leaves h->ss before it joins the abandoned list: a
	 * fork child abandons what h->ss holds again, and a superslab on
	 * the list twice makes a cycle there (the child's purge walk then
	 * never ends). */
	for (ss = h->ss; ss; ss = next) {
		next = ss->next;
		h->ss = next;
		if (next)
			next->prev = NULL;
		ss->next = NULL;
		ss->prev = NULL;
		hk_heap_abandon_ss(h, ss, hk_now_ms());
	}
	h->ss = NULL;
	h->ss_tail = NULL;
	h->nss = 0;
	/* Last: the notices that came after the first drain, pushed by
	 * threads that read owner before the superslabs left (see the
	 * notices above). */
	hk_heap_drain(h);
	h->dirty = false;
	for (unsigned c = 0; c < HK_NCLASS; c++)
		hk_heap_set_cur(h, c, &hk_slab_empty);
	h->lent = 0;
	h->lent_once = 0;
	hk_lock(&hk_heap_lock);
	__atomic_store_n(&h->live, false, __ATOMIC_RELAXED);
	__atomic_store_n(&hk_heap_nlive, hk_heap_nlive - 1, __ATOMIC_RELAXED);
	h->next_pool = hk_heap_pool;
	hk_heap_pool = h;
	hk_unlock(&hk_heap_lock);
}

/* ---- fork ---------------------------------------------------------- */

void hk_heap_fork_prepare(void)
{
	hk_heap_late_fork_prepare();
	hk_heap_trim_fork_prepare();
	pthread_mutex_lock(&hk_heap_lock);
	pthread_mutex_lock(&hk_abandoned_lock);
}

void hk_heap_fork_parent(void)
{
	pthread_mutex_unlock(&hk_abandoned_lock);
	pthread_mutex_unlock(&hk_heap_lock);
	hk_heap_trim_fork_parent();
	hk_heap_late_fork_parent();
}

/* The slabs of h, whose owner the fork may have stopped in a malloc
 * (hk_slab_fork_mend). */
static void hk_heap_fork_mend(struct hk_heap *h)
{
	for (struct hk_superslab *ss = h->ss; ss; ss = ss->next)
		for (unsigned i = 1; i < HK_SLICES; i++)
			if (ss->slab_of[i] == i)
				hk_slab_fork_mend(&ss->slabs[i]);
}

/* The child has one thread: the other heaps' owners are gone, so their
 * superslabs are abandoned for this thread to reclaim, their slabs
 * mended first.  Their batches of remote frees go to the slabs' remote
 * lists where found consistent, before any heap is abandoned (abandon
 * takes those lists in); a batch its thread left half written is
 * forgotten, its blocks in use for good (remote.c). */
void hk_heap_fork_child(void)
{
	struct hk_heap *h;

	pthread_mutex_init(&hk_abandoned_lock, NULL);
	pthread_mutex_init(&hk_heap_lock, NULL);
	hk_heap_late_fork_child();
	/* The late heap (heap-late.c) is whole, its lock held across the
	 * fork, and stays: it has no thread, and no batches. */
	hk_heap_trim_fork_child();
	for (h = hk_heap_all; h; h = h->next_all)
		if (h->live && h != hk_tls_heap && h != hk_heap_late_heap)
			hk_heap_fork_mend(h);
	for (h = hk_heap_all; h; h = h->next_all)
		if (h->live && h != hk_tls_heap && h != hk_heap_late_heap)
			hk_remote_fork_recover(h);
	for (h = hk_heap_all; h; h = h->next_all)
		if (h->live && h != hk_tls_heap && h != hk_heap_late_heap)
			hk_heap_abandon(h);
	/* A thread the fork stopped while it passed a notice on held its
	 * token or a guard for good.  With the stacks of the heaps that
	 * own superslabs now (ours and the late one) drained and every
	 * other one emptied (the live heaps' drained by their abandon; a
	 * pooled one holds at most what a stopped thread was passing on),
	 * none is held. */
	if (hk_tls_heap != &hk_heap_empty)
		hk_heap_drain(hk_tls_heap);
	if (hk_heap_late_heap)
		hk_heap_drain(hk_heap_late_heap);
	for (h = hk_heap_all; h; h = h->next_all)
		if (h != hk_tls_heap && h != hk_heap_late_heap)
			h->delayed = NULL;
	hk_heap_fork_unguard(hk_tls_heap);
	if (hk_heap_late_heap)
		hk_heap_fork_unguard(hk_heap_late_heap);
	hk_heap_fork_unguard(NULL);
}
