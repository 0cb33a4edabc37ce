/* remote.c: frees into slabs of other heaps, gathered in batches.
 *
 * A block freed by a thread other than its slab's owner goes to the
 * slab's remote list (slab.c) by a CAS on a word that every thread
 * freeing there and the owner (when it collects) share.  Consecutive
 * frees into one slab gather instead in the freeing thread's heap,
 * chained exactly as the remote list holds them (free key written, next
 * pointers encoded, a count), and the chain goes over with one CAS,
 * which also answers the owner's wish for a notice (bit 0): when a free
 * into another slab needs the entry, when the entry reaches its bound,
 * and whenever the blocks must be seen: the heap's purge tick (every 64
 * slow paths, and at the next slow path once memory runs short:
 * malloc_trim in any thread, no new superslab; hk_pressure in heap.c),
 * malloc_trim in this thread, and thread exit, before the heap is
 * abandoned.  A fork child keeps the forking thread's batches (a
 * consistent copy); the other threads', which the fork may have stopped
 * half way through a free, it pushes where it can show them whole, and
 * forgets otherwise (hk_remote_fork_recover): their blocks stay in use
 * there, a leak rather than a risk of a second free.
 *
 * Entries are picked by the block's slice address, not by size class,
 * whose byte is in the slab descriptor's first cache line: a free that
 * continues a batch reads nothing of the superslab or the descriptor
 * (producer/consumer: the owner writes that line on each malloc, and it
 * went back and forth on every free).  The batch keeps the slab's
 * geometry for the block check and the owner's count of blocks handed
 * out as last read; a block beyond it reads the count again.
 *
 * Blocks in a batch still count as used in their slab, which therefore
 * cannot empty, be released or be set up again under them (which is
 * also why the inline free may trust an entry's range without the
 * segment map); only their owner sees them late.  A second free of a
 * block in a batch finds the free key and aborts, as any double free.
 * What a thread holds back is bounded: HK_RB_BYTES and HK_RB_MAX blocks
 * per entry, HK_RB entries: 512 KiB at the very most, in practice a
 * partial batch for each slab it freed into lately, and only until its
 * next flush (a thread that stops allocating and freeing keeps its
 * batches until it exits).  Blocks of classes above HK_RB_BYTES / 2 go
 * over one by one; a thread still without a heap has no batches.
 */
#include "lib/fastpath.h"

_Static_assert(HK_RB <= 64, "rb_mask has a bit per entry");
_Static_assert(HK_RB_MAX < 65536, "n and lim are 16 bits");

static void hk_rb_push(struct hk_heap *h, struct hk_rbatch *e)
{
	struct hk_slab *s = e->slab;
	uint32_t n = e->n;

	h->rb_mask &= ~((uint64_t)1 << (e - h->rb));
	e->n = 0;
	e->len = 0;
	/* Emptied before the CAS hands the blocks over: a fork child must
	 * never find them both on the slab's list and in a batch it takes
	 * for consistent (hk_remote_fork_recover). */
	__atomic_signal_fence(__ATOMIC_RELEASE);
	if (hk_slab_remote_push_list(s, e->head, e->tail, n))
		hk_heap_notify(hk_ss_of(s), s);
}

void hk_remote_flush(struct hk_heap *h)
{
	while (h->rb_mask)
		hk_rb_push(h, &h->rb[__builtin_ctzll(h->rb_mask)]);
}

void hk_remote_forget(struct hk_heap *h)
{
	for (unsigned i = 0; i < HK_RB; i++) {
		h->rb[i].n = 0;
		h->rb[i].len = 0;
	}
	h->rb_mask = 0;
}

/* hk_slab_is_block on e's copy: the count of blocks handed out only
 * grows while e holds some of them. */
static bool hk_rb_is_block(struct hk_rbatch *e, const void *p)
{
	uint64_t i = hk_block_index(e->start, e->inv, e->shift, p);

	if (HK_LIKELY(i < e->nbump))
		return true;
	e->nbump = __atomic_load_n(&e->slab->nbump, __ATOMIC_RELAXED);
	return i < e->nbump;
}

void hk_rb_add(struct hk_heap *h, struct hk_rbatch *e, void *p,
	       const char *fn)
{
	if (HK_UNLIKELY(!hk_rb_is_block(e, p) || hk_block_is_free(p)))
		hk_bad_free(fn, p);
	((uintptr_t *)p)[1] = hk_free_key;
	hk_set_next(p, e->head);
	/* p keyed and linked before head names it: a fork child finds head
	 * and n either both before this free or both after it, or else a
	 * chain that no longer ends at tail after n blocks, which it
	 * forgets (hk_remote_fork_recover).  Orders the code, costs no
	 * instruction. */
	__atomic_signal_fence(__ATOMIC_RELEASE);
	e->head = p;
	if (HK_UNLIKELY(++e->n >= e->lim))
		hk_rb_push(h, e);
}

/* One block, pushed at once: no heap to hold a batch, or a class too
 * large for one. */
static void hk_remote_free_one(struct hk_superslab *ss, struct hk_slab *s,
			       void *p, const char *fn)
{
	if (HK_UNLIKELY(!hk_free_ok(s, p)))
		hk_bad_free(fn, p);
	/* Before the push: after it the owner may hand the block out. */
	if (s->block >= HK_DISCARD_MIN && hk_purge_pressed())
		hk_purge_block(p, s->block);
	((uintptr_t *)p)[1] = hk_free_key;
	if (hk_slab_remote_push(s, p))
		hk_heap_notify(ss, s);
}

/* A block of s that no batch of h holds: it starts one in its entry,
 * pushing what the entry held for another slab, unless s's blocks go one
 * by one (a zeroed descriptor has block 0: the check fails there). */
void hk_remote_free(struct hk_heap *h, struct hk_superslab *ss,
		    struct hk_slab *s, void *p, const char *fn)
{
	uint32_t lim = s->block ? HK_RB_BYTES / s->block : 0;
	struct hk_rbatch *e = hk_rb_at(h, p);

	if (h == &hk_heap_empty || lim < 2 || !hk_slab_is_block(s, p)) {
		hk_remote_free_one(ss, s, p, fn);
		return;
	}
	if (e->n)
		hk_rb_push(h, e);
	e->slab = s;
	e->start = s->start;
	e->len = (uint64_t)(s->end - s->start);
	e->inv = s->inv;
	e->shift = s->shift;
	e->nbump = __atomic_load_n(&s->nbump, __ATOMIC_RELAXED);
	e->lim = (uint16_t)(lim < HK_RB_MAX ? lim : HK_RB_MAX);
	e->head = NULL;
	e->tail = p;
	h->rb_mask |= (uint64_t)1 << (e - h->rb);
	hk_rb_add(h, e, p, fn);
}

/* ---- fork: the batches of the threads the fork stopped ------------- */

/* The slab e names, if e->slab is a slab's descriptor (a first
 * slice's, in a superslab the segment map knows); else NULL.  Its
 * blocks are then checked against it, not against e's copy. */
static struct hk_slab *hk_rb_fork_slab(const struct hk_rbatch *e)
{
	struct hk_slab *s = e->slab;
	struct hk_superslab *ss = hk_ss_of(s);
	uintptr_t off = (uintptr_t)s - (uintptr_t)ss -
			offsetof(struct hk_superslab, slabs);
	uintptr_t i = off / sizeof(*s);

	if (hk_segmap_get(s) != ((uintptr_t)ss | HK_SEG_SS) ||
	    off % sizeof(*s) || i == 0 || i >= HK_SLICES || ss->slab_of[i] != i)
		return NULL;
	return s;
}

/* Does e chain exactly its n blocks from head to tail, each a block of
 * s handed out and keyed, and tail's next NULL (as the batch's first
 * free wrote it, hk_remote_free)?  That end also rules a block seen
 * twice out: a walk that came back to one would go round the loop to
 * its last step, whose next is then not NULL.  No block is written, and
 * none is read outside s's superslab (mapped whole), whatever s holds. */
static bool hk_rb_fork_chain(const struct hk_rbatch *e, struct hk_slab *s)
{
	void *b = e->head;

	if (e->n == 0 || e->n > HK_RB_MAX)
		return false;
	for (unsigned k = 0; k < e->n; k++, b = hk_next(b))
		if (hk_ss_of(b) != hk_ss_of(s) || !hk_slab_is_block(s, b) ||
		    !hk_block_is_free(b) || (k + 1 == e->n && b != e->tail))
			return false;
	return b == NULL;
}

/* The child holds a stopped thread's stores up to where it stopped, in
 * the order of the code: hk_remote_free sets an entry up while n is 0,
 * hk_rb_add keys and links a block before head or n names it, and
 * hk_rb_push empties the entry before its CAS (the signal fences).  An
 * entry with its bit in rb_mask and n > 0 therefore holds n blocks, none
 * on a slab's list yet, chained from head to tail; or a free stopped
 * between the stores of head and n (either first), and the walk of n
 * blocks from head stops one short of tail or runs into tail's NULL
 * next.  The first goes over, with one CAS as ever; the
 * second, or an entry memory gone bad left unfit, is forgotten with its
 * blocks; so is the block of a free stopped before head moved, in no
 * batch yet.  They stay in use: a leak, never a second free. */
void hk_remote_fork_recover(struct hk_heap *h)
{
	for (uint64_t m = h->rb_mask; m; m &= m - 1) {
		struct hk_rbatch *e = &h->rb[__builtin_ctzll(m)];
		struct hk_slab *s = hk_rb_fork_slab(e);

		if (s && hk_rb_fork_chain(e, s))
			hk_rb_push(h, e);
	}
	hk_remote_forget(h);
}
