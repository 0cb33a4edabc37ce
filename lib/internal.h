/* internal.h: declarations shared between the allocator's files,
 * grouped under a heading per file.  Nothing here is exported.
 *
 * Glossary.  A superslab is a 2 MiB aligned region from the OS layer; its
 * header holds the slab descriptors and the owner heap.  It is cut into 64 slices of 32 KiB (slice 0 holds
 * the header); a slab is a run of slices holding blocks of one size
 * class.  A heap is one thread's
 * set of superslabs and, per class, the list of slabs with room.  Large
 * objects (above HK_SMALL_MAX) are mappings of their own.  The segment
 * map says, for any 2 MiB of address space, whether it is ours.
 */
#ifndef HK_INTERNAL_H
#define HK_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/sizeclass.h"

/* Every declaration below is hidden: the compiler then reaches the
 * globals PC-relative instead of through the GOT (-fvisibility=hidden
 * covers definitions, not extern declarations). */
#pragma GCC visibility push(hidden)

/* Exported symbols (the malloc family, C++ operator new/delete,
 * lib/cxx-new.c, and hk_*) carry HK_EXPORT; the
 * library is built with -fvisibility=hidden and lib/libhakmem.sym. */
#define HK_EXPORT __attribute__((visibility("default")))

#define HK_LIKELY(x) __builtin_expect(!!(x), 1)
#define HK_UNLIKELY(x) __builtin_expect(!!(x), 0)
#define HK_INLINE static inline __attribute__((always_inline))
#define HK_TLS __thread __attribute__((tls_model("initial-exec")))

#define HK_SS_SHIFT 21			/* = HK_CHUNK_SHIFT in os.h */
#define HK_SS_SIZE ((uintptr_t)1 << HK_SS_SHIFT)
#define HK_SS_MASK (HK_SS_SIZE - 1)
#define HK_SLICE_SHIFT 15
#define HK_SLICES 64

/* ------------------------------------------------------------------ */
/* slab.c                                                              */
/* ------------------------------------------------------------------ */
/* The top bit of used: the slab is full and off the heap's list (bit 0
 * of remote then asks for a notice).  Kept in used so that the owner's
 * free tests "emptied or full" with one signed compare. */
#define HK_SLAB_FULL 0x80000000u
/* A class's head that empties having handed out this many blocks or
 * fewer (or half its blocks, if fewer) keeps its free list (heap.c,
 * hk_slab_rewind; hk_slab.keep). */
#define HK_REWIND_HEAD 16

/* 128 bytes so that finding a descriptor is a shift; the fields the
 * fast paths touch share the first cache line, and remote, which other
 * threads write, is in the second, so that their frees do not take the
 * owner's line away on each of its mallocs.  A zeroed descriptor is
 * valid and holds no block (hk_slab_is_block is false for every
 * pointer): slabs[0] is one, for the header slice and free slices. */
struct __attribute__((aligned(128))) hk_slab {
	void *free;			/* owner pushes and pops here (encoded list) */
	uint32_t used;			/* blocks handed out, | HK_SLAB_FULL */
	uint8_t cls;
	uint8_t zero;			/* memory from bump to end reads as zero */
	uint8_t shift;			/* block = odd << shift */
	uint8_t spent;			/* found exhausted, left in its ring once */
	char *bump;			/* first never-used block */
	char *start;			/* first block */
	uint64_t inv;			/* inverse of odd mod 2^64 */
	uint64_t nbump;			/* blocks handed out from bump, ever */
	char *end;			/* end of the last whole block */
	uint32_t block;			/* block size */
	/* Frees from other threads: bit 0, the owner marked the slab full and
	 * wants to hear of the next free; the bits of HK_REMOTE_PTR, the
	 * encoded list's head; the bits above, how many blocks it holds. */
	uintptr_t remote __attribute__((aligned(64)));
	struct hk_slab *next;		/* heap's list of the class */
	struct hk_slab *prev;
	struct hk_slab *delayed_next;	/* heap's atomic stack of notices */
	/* Emptied by the owner and kept in its class list for reuse: the
	 * heap's idle list, and since when (ms; 0 until the next purge tick
	 * stamps it, so that a free never reads the clock). */
	struct hk_slab *idle_next;
	uint64_t idle_since;
	uint8_t slice;			/* first slice */
	uint8_t span;			/* slices */
	/* The notice token: set while a notice of this slab is on some
	 * heap's stack or on its way to one (atomic, heap.c). */
	uint8_t in_delayed;
	uint8_t in_idle;		/* on its owner heap's idle list */
	/* As its class's head, it keeps its free list when it empties
	 * having handed out this many blocks or fewer (heap.c). */
	uint8_t keep;
	/* Threads between a push that took the owner's wish for a notice
	 * and the notice's delivery (atomic): while any is, or the token is
	 * held, the superslab stays mapped (hk_ss_quiet, heap.c). */
	uint16_t notifying;
};

_Static_assert(sizeof(struct hk_slab) == 128, "a descriptor is 128 bytes");

HK_INLINE uint32_t hk_slab_used(const struct hk_slab *s)
{
	return s->used & ~HK_SLAB_FULL;
}

/* The index of p in s if p is the start of a block, else a number
 * beyond any slab's blocks.  The division-free test of divisibility
 * (Granlund and Montgomery): off is a multiple k of odd << shift iff
 * (off * inv) rotated right by shift is at most UINT64_MAX / block, and
 * then it is k itself. */
HK_INLINE uint64_t hk_block_index(const char *start, uint64_t inv,
				  unsigned shift, const void *p)
{
	uint64_t q = ((uintptr_t)p - (uintptr_t)start) * inv;

	return q >> shift | q << ((64 - shift) & 63);
}

HK_INLINE uint64_t hk_slab_index(const struct hk_slab *s, const void *p)
{
	return hk_block_index(s->start, s->inv, s->shift, p);
}

/* Is p the start of a block of s handed out since the slab was last
 * reset (hk_heap_put)?  One compare tests both divisibility and
 * range (nbump <= blocks in the slab <= UINT64_MAX / block). */
HK_INLINE bool hk_slab_is_block(const struct hk_slab *s, const void *p)
{
	return hk_slab_index(s, p) < s->nbump;
}

/* Is p the start of any block of s, handed out or not? */
HK_INLINE bool hk_slab_is_slot(const struct hk_slab *s, const void *p)
{
	return s->block &&
	       hk_slab_index(s, p) < (uint64_t)(s->end - s->start) / s->block;
}

/* The fields of hk_slab.remote.  User space addresses stay below 2^48
 * (the segment map knows no others) and a slab holds at most 2048 blocks
 * (32 KiB of 16 bytes), so the count fits the top 16 bits. */
#define HK_REMOTE_COUNT_SHIFT 48
#define HK_REMOTE_ONE ((uintptr_t)1 << HK_REMOTE_COUNT_SHIFT)
#define HK_REMOTE_PTR ((HK_REMOTE_ONE - 1) & ~(uintptr_t)15)

/* The per-process secret of the free-list encoding. */
extern uintptr_t hk_secret;
/* Stored in the second word of every free block: a free that finds it
 * there is a double free (as glibc's tcache key). */
extern uintptr_t hk_free_key;

HK_INLINE bool hk_block_is_free(const void *p)
{
	return ((const uintptr_t *)p)[1] == hk_free_key;
}

/* HK_UNHARDENED (never in a release: bench/hardening.sh builds it to
 * measure what the encoding costs) stores next pointers in the clear. */
HK_INLINE void *hk_enc(void *next, void *slot)
{
#ifdef HK_UNHARDENED
	(void)slot;
	return next;
#else
	return (void *)((uintptr_t)next ^ hk_secret ^ ((uintptr_t)slot >> 12));
#endif
}

/* Encoding is an involution. */
#define hk_dec hk_enc

/* The encoded next pointer held in a free block. */
HK_INLINE void *hk_next(void *b)
{
	return hk_dec(*(void **)b, b);
}

HK_INLINE void hk_set_next(void *b, void *next)
{
	*(void **)b = hk_enc(next, b);
}

/* Room left: a free block, a never-used one, or remote frees (taken
 * into free). */
bool hk_slab_refill(struct hk_slab *s);
/* Take the remote list into free; returns the blocks taken. */
uint32_t hk_slab_collect(struct hk_slab *s);
/* Push b on s->remote (another thread's slab); true if the owner asked
 * to hear of it: the caller then holds a guard on s (s->notifying) and
 * must pass the notice on with hk_heap_notify, which drops it. */
bool hk_slab_remote_push(struct hk_slab *s, void *b);
/* Push the n blocks chained from head to tail (tail's next is set here)
 * the same way, with one CAS. */
bool hk_slab_remote_push_list(struct hk_slab *s, void *head, void *tail,
			      uint32_t n);
/* Set up a descriptor for a slab of class cls over its slices. */
void hk_slab_init(struct hk_slab *s, char *start, char *limit, unsigned cls,
		  bool zero);
__attribute__((noreturn)) void hk_slab_corrupt(const char *fn, void *p);
/* In a fork child, a slab whose owner thread the fork stopped: nbump
 * made to count every block below bump. */
void hk_slab_fork_mend(struct hk_slab *s);

/* ------------------------------------------------------------------ */
/* superslab.c                                                         */
/* ------------------------------------------------------------------ */
struct hk_heap;

/* The fields come before the descriptors so that a superslab with few
 * slabs touches few header pages. */
struct hk_superslab {
	uint8_t slab_of[HK_SLICES];	/* slice -> first slice of its slab */
	struct hk_heap *owner;		/* NULL while abandoned (atomic) */
	uint64_t free_mask;		/* slices in no slab */
	uint64_t dirty_mask;		/* free slices touched since their last purge */
	uint64_t dirty_aged;		/* of those, the ones dirty since dirty_since */
	uint64_t zero_mask;		/* free slices that read as zero */
	uint32_t nslabs;
	uint16_t slices;		/* mapped: HK_SLICES, or HK_SS_SMALL_SLICES */
	bool alone;			/* a mapping of its own, not an OS chunk */
	uint64_t dirty_since;		/* ms, hk_now_ms */
	uint64_t empty_since;		/* ms, when nslabs reached 0 */
	/* While abandoned: bit c set if a slab of class c had room when
	 * its owner left, so that a heap short of c reclaims this one. */
	uint64_t room[2];
	struct hk_superslab *next;	/* heap's list, or the abandoned list */
	struct hk_superslab *prev;
	struct hk_slab slabs[HK_SLICES];	/* one at the first slice of each slab */
};

#define HK_SS_HDR ((sizeof(struct hk_superslab) + 4095) & ~(size_t)4095)
#define HK_SLOT_FREE 0		/* slab_of of a free slice: the empty slabs[0] */

HK_INLINE struct hk_superslab *hk_ss_of(const void *p)
{
	return (struct hk_superslab *)((uintptr_t)p & ~HK_SS_MASK);
}

HK_INLINE struct hk_slab *hk_slab_of(struct hk_superslab *ss, const void *p)
{
	unsigned slice = (unsigned)(((uintptr_t)p & HK_SS_MASK) >> HK_SLICE_SHIFT);

	return &ss->slabs[ss->slab_of[slice]];
}

/* slabs[] at p's slice, without reading slab_of: the descriptor of p's
 * slab when p is in the slab's first slice (every slab of a class up to
 * 4 KiB has one slice), else one that holds no block (a zeroed one, or
 * one released with nbump reset): hk_slab_is_block then fails and the
 * caller takes the way through hk_slab_of. */
HK_INLINE struct hk_slab *hk_slab_at(struct hk_superslab *ss, const void *p)
{
	uintptr_t slice_off = (uintptr_t)p & HK_SS_MASK &
			      ~(((uintptr_t)1 << HK_SLICE_SHIFT) - 1);

	return (struct hk_slab *)((char *)ss->slabs +
				  (slice_off >> (HK_SLICE_SHIFT - 7)));
}

/* A heap's first superslab maps only its first HK_SS_SMALL_SLICES
 * slices (256 KiB), so that a thread that allocates little costs little
 * address space and commit charge (superslab.c). */
#define HK_SS_SMALL_SLICES 8u

/* A new superslab from the OS layer (small: HK_SS_SMALL_SLICES of
 * it), registered in the segment map. */
struct hk_superslab *hk_superslab_new(bool small);
/* Map the rest of a small superslab's region, in place (mremap), if it
 * is still free; false if ss is whole already or cannot grow. */
bool hk_superslab_grow(struct hk_superslab *ss);
void hk_superslab_free(struct hk_superslab *ss);
/* A slab of class cls in ss, or NULL if no run of free slices fits
 * (if dirty, none with dirty slices: memory already faulted in; such a
 * slab may be shorter than its class's span, by half at most: once a
 * program has freed most of what it allocated, the holes between the
 * slabs still in use are often shorter than a slab of a big class, and
 * a shorter slab there reuses those pages instead of faulting in fresh
 * ones, bench/frag). */
struct hk_slab *hk_superslab_slab_new(struct hk_superslab *ss, unsigned cls,
				      bool dirty);
/* Any run of free slices, down to half the span, for the last try
 * before a new superslab: the slices a superslab has left after slabs
 * of a big class serve one more of them (bench/fresh-touch). */
struct hk_slab *hk_superslab_slab_fit(struct hk_superslab *ss, unsigned cls);
/* Give an empty slab's slices back to ss (dirty until purged). */
void hk_superslab_slab_free(struct hk_superslab *ss, struct hk_slab *s,
			    uint64_t now);
/* Purge the dirty free slices (all, or those dirty for the purge delay
 * at least: ss is checked once dirty_since is due); returns the bytes
 * purged. */
size_t hk_superslab_purge(struct hk_superslab *ss, bool all, uint64_t now);

/* ------------------------------------------------------------------ */
/* segmap.c                                                            */
/* ------------------------------------------------------------------ */
/* Entries per 2 MiB region: 0 not ours, superslab | HK_SEG_SS, large
 * mapping header | HK_SEG_LARGE, or, for a region shared by pieces,
 * directory | HK_SEG_DIR: one entry per 4 KiB page, each of the first
 * three kinds (segmap.c).  Two levels: hk_segmap_top (bss) points to
 * leaves from hk_meta_alloc, touched only where we have memory. */
#define HK_SEG_SS 1u
#define HK_SEG_LARGE 2u
#define HK_SEG_KINDS 3u
#define HK_SEG_DIR 4u
#define HK_SEG_PAGE_SHIFT 12
#define HK_SEG_PAGES ((unsigned)(HK_SS_SIZE >> HK_SEG_PAGE_SHIFT))
#define HK_SEG_ADDR_BITS 48
#define HK_SEG_LEAF_BITS 14
#define HK_SEG_TOP_BITS (HK_SEG_ADDR_BITS - HK_SS_SHIFT - HK_SEG_LEAF_BITS)

extern uintptr_t *hk_segmap_top[(size_t)1 << HK_SEG_TOP_BITS];

/* The top entry of region r, counted down from 2^47: the kernel places
 * mappings from just under 2^47 (the mmap base) downwards, so the
 * entries a program uses come first in the table, on the page that
 * holds the library's other globals (segmap.c), and cost no page fault
 * of their own.  A bijection on the table's indexes. */
HK_INLINE uintptr_t hk_segmap_top_index(uintptr_t r)
{
	return (r >> HK_SEG_LEAF_BITS) ^
	       (((uintptr_t)1 << (47 - HK_SS_SHIFT - HK_SEG_LEAF_BITS)) - 1);
}

HK_INLINE uintptr_t hk_segmap_get(const void *p)
{
	uintptr_t r = (uintptr_t)p >> HK_SS_SHIFT;
	uintptr_t *leaf, e;

	if (HK_UNLIKELY(r >> (HK_SEG_TOP_BITS + HK_SEG_LEAF_BITS)))
		return 0;
	leaf = __atomic_load_n(&hk_segmap_top[hk_segmap_top_index(r)], __ATOMIC_ACQUIRE);
	if (HK_UNLIKELY(!leaf))
		return 0;
	e = __atomic_load_n(&leaf[r & (((uintptr_t)1 << HK_SEG_LEAF_BITS) - 1)],
			    __ATOMIC_ACQUIRE);
	if (HK_UNLIKELY(e & HK_SEG_DIR))
		e = __atomic_load_n((uintptr_t *)(e & ~(uintptr_t)HK_SEG_DIR) +
				    (((uintptr_t)p & HK_SS_MASK) >> HK_SEG_PAGE_SHIFT),
				    __ATOMIC_ACQUIRE);
	return e;
}

/* Set the entries of [p, p + len) (whole pages) to v; 0 or ENOMEM (a
 * leaf or a directory). */
int hk_segmap_set(const void *p, size_t len, uintptr_t v);
/* Call fn for every superslab the map holds; each stays mapped until fn
 * returns (its header read racily: the owner goes on).  For the
 * statistics, not a fast path. */
void hk_segmap_each_ss(void (*fn)(struct hk_superslab *, void *), void *arg);
/* After ss's entry is cleared and before it may be unmapped: wait for a
 * walk that may be reading its header. */
void hk_segmap_quiesce(const struct hk_superslab *ss);
void hk_segmap_fork_prepare(void);
void hk_segmap_fork_parent(void);
void hk_segmap_fork_child(void);

/* ------------------------------------------------------------------ */
/* heap.c                                                              */
/* ------------------------------------------------------------------ */
#define HK_DIRECT 65		/* entries of hk_class_small */
#define HK_DIRECT_MAX 1024	/* the largest size direct[] serves */
#define HK_OWN 16		/* entries of hk_heap.own */
#define HK_RB 64		/* entries of hk_heap.rb (remote.c) */
#define HK_RB_BYTES 8192	/* a batch holds this much at most */
#define HK_RB_MAX 64		/* and this many blocks */

/* Frees of one thread into one slab of another heap, chained as the
 * slab's remote list expects (keyed, next pointers encoded), waiting to
 * be pushed with one CAS (remote.c).  The slab's geometry is copied in
 * when the batch starts: a free that continues it reads nothing of the
 * slab's superslab or descriptor.  len is 0 while the entry holds no
 * block, so that no pointer falls in it. */
struct __attribute__((aligned(64))) hk_rbatch {
	char *start;			/* of slab, as hk_slab_index reads them */
	uint64_t len;			/* end - start; 0 if empty */
	uint64_t inv;
	uint64_t nbump;			/* as last read: read again when short */
	void *head;			/* the block freed last */
	void *tail;			/* the block freed first */
	struct hk_slab *slab;
	uint16_t n;			/* blocks held */
	uint16_t lim;			/* pushed when n reaches it */
	uint8_t shift;
};

struct hk_heap {
	/* The heap's superslab while it owns one only (1 if it owns none or
	 * several: hk_heap_set_hot), and the ones it owns by address
	 * (hk_own_slot; 1 if none): a free into one needs no segment map
	 * lookup and no owner test.  own[] is direct-mapped, so it may miss
	 * one the heap owns (the last one freed into or allocated from
	 * wins), but neither ever names one the heap does not own: only the
	 * owner frees or abandons its superslabs, and it clears them first
	 * (hk_heap_drop_ss). */
	uintptr_t hot;
	uintptr_t own[HK_OWN];
	struct hk_slab *cur[HK_NCLASS];	/* list heads; &hk_slab_empty if none */
	struct hk_slab *delayed;	/* notices from other threads (atomic) */
	struct hk_slab *idle;		/* emptied slabs kept for reuse */
	uint32_t nidle;			/* their slices */
	uint64_t idle_walk;		/* ms, the last purge walk (idle, ss) */
	uint32_t pressure;		/* hk_pressure when last seen (heap.c) */
	struct hk_superslab *ss;	/* owned superslabs, those with room first */
	struct hk_superslab *ss_tail;	/* the last of them */
	struct hk_heap *next_all;	/* every heap ever made */
	struct hk_heap *next_pool;	/* heaps of exited threads */
	uint64_t busy_at;		/* ms, last seen busy (atomic, heap.c) */
	uint32_t slow;			/* slow paths since the last purge check */
	uint32_t released;		/* slices released since (heap-purge.c) */
	bool shrink;			/* gave back much, carved nothing since */
	uint32_t nss;			/* superslabs owned */
	bool dirty;			/* something may need purging */
	bool live;			/* owned by a thread */
	bool trim_off;			/* its thread exits: no trim (heap-trim.c) */
	/* Classes served by direct[] (hk_tls, up to HK_DIRECT_MAX) whose
	 * entries name a slab of a larger class (heap-lend.c), and those
	 * that were lent one once. */
	uint32_t lent;
	uint32_t lent_once;
	uint64_t rb_mask;		/* entries of rb holding blocks */
	struct hk_rbatch rb[HK_RB];	/* remote frees, by slice (remote.c) */
};

HK_INLINE unsigned hk_own_slot(const struct hk_superslab *ss)
{
	return (unsigned)((uintptr_t)ss >> HK_SS_SHIFT) % HK_OWN;
}

/* The thread's heap, and a copy of its hot (hk_heap_sync_hot), so that
 * the owner's free into a heap of one superslab compares with a TLS word
 * and loads no heap pointer: one initial-exec TLS block for both, reached
 * through one GOT entry.  hk_tls_heap stays an lvalue; every store to it
 * or to its heap's hot is followed by hk_heap_sync_hot.
 *
 * direct[] is the heap's cur[] by (size + 15) >> 4 for sizes up to 1024
 * (hk_class_small), so that malloc needs no class lookup; in the TLS
 * block rather than the heap, so that malloc's chain of dependent loads
 * before the block is TLS offset, slab, block, with no heap pointer (the
 * step after the caller's mispredicted branch that counts).  It belongs
 * to the calling thread's heap: hk_heap_set_cur keeps it for that heap
 * only, and a heap changes threads only with every class empty (thread
 * exit, hk_heap_abandon), as a new thread's direct[] starts. */
struct hk_tls {
	struct hk_heap *heap;
	uintptr_t hot;
	struct hk_slab *direct[HK_DIRECT];
	/* A copy of heap->own[] (hk_heap_own_set), so that the owner's free
	 * into a heap of several superslabs loads no heap pointer either. */
	uintptr_t own[HK_OWN];
};

extern HK_TLS struct hk_tls hk_tls;
#define hk_tls_heap (hk_tls.heap)

/* h->own[i] = v, and its copy in hk_tls if h is the calling thread's
 * heap (a fork child abandons other threads' heaps). */
HK_INLINE void hk_heap_own_set(struct hk_heap *h, unsigned i, uintptr_t v)
{
	h->own[i] = v;
	if (h == hk_tls_heap)
		hk_tls.own[i] = v;
}

/* hk_tls.hot = hk_tls_heap->hot. */
HK_INLINE void hk_heap_sync_hot(void)
{
	hk_tls.hot = hk_tls.heap->hot;
}

extern struct hk_heap hk_heap_empty;
extern struct hk_slab hk_slab_empty;

void *hk_heap_malloc_slow(size_t size);
/* Owner free that emptied the slab s or found it full, for the calling
 * thread's heap: from s alone, so that the owner's free (hk_free_push)
 * keeps neither h nor ss for it. */
void hk_heap_put(struct hk_slab *s);
/* The slab owner's heap heard nothing: tell it a full slab has room
 * (after a push that returned true; drops the push's guard on s). */
void hk_heap_notify(struct hk_superslab *ss, struct hk_slab *s);
/* No notice of a slab of ss is on a heap's stack or on its way: ss may
 * go back to the OS layer (heap.c). */
bool hk_ss_quiet(struct hk_superslab *ss);
/* Thread exit: hand the heap's superslabs to the abandoned list. */
void hk_heap_abandon(struct hk_heap *h);
/* Purge what waited long enough (force: everything); bytes released. */
size_t hk_heap_purge(struct hk_heap *h, bool force);
/* Purge every heap's superslabs, for malloc_trim. */
size_t hk_heap_trim_all(void);
struct hk_heap *hk_heap_first(void);
void hk_heap_fork_prepare(void);
void hk_heap_fork_parent(void);
void hk_heap_fork_child(void);

/* ------------------------------------------------------------------ */
/* remote.c                                                            */
/* ------------------------------------------------------------------ */
/* The entry of h's batches that holds p if any does: one per slice
 * address (every slab of a class up to 4 KiB is one slice). */
HK_INLINE struct hk_rbatch *hk_rb_at(struct hk_heap *h, const void *p)
{
	uintptr_t a = (uintptr_t)p;

	return &h->rb[((a >> HK_SLICE_SHIFT) ^ (a >> HK_SS_SHIFT)) % HK_RB];
}

/* Does e hold blocks of the slab p points into?  Then that slab can
 * neither be released nor set up again (its blocks in e count as used),
 * so p needs no segment map and no descriptor to be checked. */
HK_INLINE bool hk_rb_holds(const struct hk_rbatch *e, const void *p)
{
	return (uintptr_t)p - (uintptr_t)e->start < e->len;
}

/* Free p into e, which holds p's slab (hk_rb_holds); checked as the
 * owner's free checks it (hk_bad_free names fn). */
void hk_rb_add(struct hk_heap *h, struct hk_rbatch *e, void *p,
	       const char *fn);
/* Free p, a block of s in ss, which another heap owns (or none): into
 * h's batch for s, pushed to s->remote later. */
void hk_remote_free(struct hk_heap *h, struct hk_superslab *ss,
		    struct hk_slab *s, void *p, const char *fn);
/* Push every batch h holds, so that the owners see the blocks. */
void hk_remote_flush(struct hk_heap *h);
/* Forget h's batches, their blocks lost. */
void hk_remote_forget(struct hk_heap *h);
/* In a fork child, h's owner gone (the fork may have stopped it half
 * way through a free): push each batch found consistent, forget the
 * others (their blocks stay in use). */
void hk_remote_fork_recover(struct hk_heap *h);

/* ------------------------------------------------------------------ */
/* large.c                                                             */
/* ------------------------------------------------------------------ */
struct hk_large {
	void *user;			/* the pointer handed out; NULL once freed */
	size_t maplen;			/* a multiple of 4 KiB */
	size_t size;			/* asked for */
	uint64_t freed_at;		/* ms, while in the cache */
};

void *hk_large_alloc(size_t size, size_t align, bool zero);
void hk_large_free(struct hk_large *l, void *p);
size_t hk_large_usable(struct hk_large *l, void *p);
/* Resize in place or by remapping; NULL (block intact) if it cannot. */
void *hk_large_realloc(struct hk_large *l, void *p, size_t size);
size_t hk_large_trim(bool force);
void hk_large_fork_prepare(void);
void hk_large_fork_parent(void);
void hk_large_fork_child(void);

/* ------------------------------------------------------------------ */
/* purge.c                                                             */
/* ------------------------------------------------------------------ */
/* hk_now_ms, the clock of the delays: os.h. */
/* HAKMEM_PURGE_DELAY_MS, read once at init. */
extern uint64_t hk_purge_delay;
bool hk_purge_due(uint64_t since, uint64_t now);
/* The most free memory (bytes) that one cache or one heap keeps for
 * reuse beyond the purge: SIZE_MAX, or a share of the cgroup memory
 * limit the probe found.  For slow paths (the first call starts the OS
 * layer, if the caller has not). */
/* Under a memory limit, the allocator holds half of it mapped or more:
 * purge without waiting (purge.c). */
bool hk_purge_tight(void);
/* Three quarters of the limit held: a block of at least HK_DISCARD_MIN
 * bytes freed into another thread's slab has its pages after the first
 * purged before it is pushed (hk_purge_block, purge.c). */
bool hk_purge_pressed(void);
#define HK_DISCARD_MIN ((size_t)16 << 10)
void hk_purge_block(void *p, size_t block);

/* ------------------------------------------------------------------ */
/* meta.c                                                              */
/* ------------------------------------------------------------------ */
/* Zeroed memory for allocator metadata (heaps, segment map leaves),
 * never freed; NULL if the OS has none. */
void *hk_meta_alloc(size_t size);
void hk_meta_fork_prepare(void);
void hk_meta_fork_parent(void);
void hk_meta_fork_child(void);

/* ------------------------------------------------------------------ */
/* init.c                                                              */
/* ------------------------------------------------------------------ */
/* Once per process: OS layer, options, secret, thread-exit key, fork
 * handlers.  A second thread arriving meanwhile waits for the first. */
void hk_init(void);
extern int hk_init_state;		/* 2 once the allocator works */
/* Tie the thread's heap to the thread-exit destructor. */
void hk_init_thread(struct hk_heap *h);

/* ------------------------------------------------------------------ */
/* stats.c                                                             */
/* ------------------------------------------------------------------ */
enum hk_stat {
	HK_ST_SS_NEW,
	HK_ST_SS_FREE,
	HK_ST_SS_RECLAIM,
	HK_ST_SLAB_NEW,
	HK_ST_LARGE_MAP,
	HK_ST_LARGE_UNMAP,
	HK_ST_LARGE_HIT,
	HK_ST_LARGE_REMAP,
	HK_ST_LARGE_BYTES,		/* mapped now */
	HK_ST_PURGED,			/* bytes */
	HK_ST_TRIMMED,			/* slabs of waiting owners, heap-trim.c */
	HK_ST_THREADS,
	HK_ST_COUNT
};
extern uint64_t hk_stats[HK_ST_COUNT];

HK_INLINE void hk_stat_add(enum hk_stat i, int64_t v)
{
	__atomic_fetch_add(&hk_stats[i], (uint64_t)v, __ATOMIC_RELAXED);
}

/* usage: add the page faults and peak RSS (getrusage), as the report at
 * exit under HAKMEM_STATS=1 does; malloc_stats() does not, since glibc's
 * makes no such call and a seccomp filter may kill on it. */
void hk_stats_print(bool usage);
/* Keep a descriptor for the report at exit when it goes to stderr
 * (HAKMEM_STATS=1 or json, no HAKMEM_STATS_FILE; stats-exit.c). */
void hk_stats_init(void);

/* ------------------------------------------------------------------ */
/* free-slow.c                                                         */
/* ------------------------------------------------------------------ */
__attribute__((noreturn)) void hk_bad_free(const char *fn, void *p);

#pragma GCC visibility pop

#endif /* HK_INTERNAL_H */
