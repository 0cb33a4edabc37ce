/* heap-impl.h: what the heap's own files share and nobody else uses.
 *
 * heap.c: a thread's heap, its lists and the slow paths.  heap-purge.c:
 * the release of idle slabs, the purge and malloc_trim.  heap-abandon.c:
 * the abandoned superslabs of exited threads, and a busy heap's share
 * of them.  heap-trim.c: malloc_trim's
 * work on other live heaps' slabs.
 */
#ifndef HK_HEAP_IMPL_H
#define HK_HEAP_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/internal.h"

#pragma GCC visibility push(hidden)

/* ---- superslab lists (a heap's, and the abandoned list) ------------ */

static inline void hk_ss_unlink(struct hk_superslab **head,
				struct hk_superslab *ss)
{
	if (ss->prev)
		ss->prev->next = ss->next;
	else
		*head = ss->next;
	if (ss->next)
		ss->next->prev = ss->prev;
	ss->next = NULL;
	ss->prev = NULL;
}

static inline void hk_ss_push(struct hk_superslab **head,
			      struct hk_superslab *ss)
{
	ss->prev = NULL;
	ss->next = *head;
	if (ss->next)
		ss->next->prev = ss;
	*head = ss;
}

/* The slab whose first slice is i in ss (NULL if slice i starts none),
 * its remote frees taken in: for the walks over a superslab that
 * changes hands (adopt, abandon).  A slab those frees emptied has been
 * empty since now. */
static inline struct hk_slab *hk_ss_slab_collect(struct hk_superslab *ss,
						 unsigned i, uint64_t now)
{
	struct hk_slab *s = &ss->slabs[i];

	if (ss->slab_of[i] != i)
		return NULL;
	if (hk_slab_collect(s) && hk_slab_used(s) == 0)
		s->idle_since = now;
	return s;
}

/* heap.c */

/* Raised to make every heap release what it keeps (hk_heap_tick). */
extern uint32_t hk_pressure;
/* Take s off its class list. */
void hk_list_remove(struct hk_heap *h, struct hk_slab *s);
/* Give s's slices back to ss, which moves to the front of h's list. */
void hk_heap_slab_release(struct hk_heap *h, struct hk_superslab *ss,
			  struct hk_slab *s, uint64_t now);
/* h gives ss up, to be freed. */
void hk_heap_drop_ss(struct hk_heap *h, struct hk_superslab *ss);
/* Take over an abandoned superslab: sort its slabs into our lists. */
void hk_heap_adopt(struct hk_heap *h, struct hk_superslab *ss);

/* A heap for a thread (from the pool, or new), live. */
struct hk_heap *hk_heap_get(void);
/* A block of class cls from h (malloc's slow path). */
void *hk_heap_alloc_class(struct hk_heap *h, unsigned cls);

/* Point the direct[] entries of the sizes class c serves at s. */
void hk_heap_set_direct(struct hk_heap *h, unsigned c, struct hk_slab *s);

/* heap-lend.c */

/* A block of cls from a slab of a slightly larger class, for a class
 * that has no slab yet and was never lent one, in a process of one
 * thread (alone: h is the only live heap); NULL if none fits. */
void *hk_heap_lend(struct hk_heap *h, unsigned cls, bool alone);
/* Before cls takes the slow path: its direct[] entries no longer name a
 * lent slab. */
void hk_heap_lend_end(struct hk_heap *h, unsigned cls);
/* s leaves its class list: no direct[] entry of another class may name
 * it any longer. */
void hk_heap_lend_drop(struct hk_heap *h, const struct hk_slab *s);

/* heap-late.c */

/* The heap of the mallocs made after their thread's heap was abandoned
 * (NULL until the first). */
extern struct hk_heap *hk_heap_late_heap;
/* The calling thread's heap is abandoned: its mallocs go to the late
 * heap from now on. */
void hk_heap_late_mark(void);
bool hk_heap_late_now(void);
/* A small block from the late heap, under its lock. */
void *hk_heap_late_malloc(size_t size);
/* malloc_trim's share: what the late heap keeps, if not in use. */
size_t hk_heap_late_trim(void);
void hk_heap_late_fork_prepare(void);
void hk_heap_late_fork_parent(void);
void hk_heap_late_fork_child(void);

/* heap-purge.c */

/* Slices a heap releases between two looks at what it keeps (8 MiB). */
#define HK_EAGER_SLICES 256
/* A heap that released HK_EAGER_SLICES since its last look: if it keeps
 * more empty memory than it uses, purge the excess now, not after the
 * delay (a process may fall quiet at once and never call again). */
void hk_heap_purge_eager(struct hk_heap *h);
/* Slices released since the last look that call for one: 1/8 as many
 * once shrinking; under a memory limit, hk_os_keep_max() at most. */
uint32_t hk_heap_eager_at(bool shrink);

/* Walk the idle list: release the slabs empty for the purge delay
 * (force: all of them). */
void hk_heap_release_idle(struct hk_heap *h, bool force, uint64_t now);

/* heap-trim.c */

/* malloc_trim's work on the live heaps' full slabs that other threads
 * emptied; bytes purged. */
size_t hk_heap_trim_live(void);
/* h's thread exits: wait for a trim at work on h, and keep the next
 * ones off it. */
void hk_heap_trim_exclude(struct hk_heap *h);
void hk_heap_trim_fork_prepare(void);
void hk_heap_trim_fork_parent(void);
void hk_heap_trim_fork_child(void);

/* heap-abandon.c */

/* Held to take from or add to the abandoned list, and by fork. */
extern pthread_mutex_t hk_abandoned_lock;
/* Adopt an abandoned superslab with a slab of cls with room (any if cls
 * is HK_NCLASS) and, if dirty, dirty free slices; NULL if none. */
struct hk_superslab *hk_heap_reclaim(struct hk_heap *h, unsigned cls,
				     bool dirty);
/* Some superslab is abandoned (racy: a hint). */
bool hk_heap_abandoned_any(void);
/* One superslab more would leave h within a busy heap's share of the
 * superslabs that no idle heap holds (asked only while some superslab
 * is abandoned); marks h busy. */
bool hk_heap_within_share(struct hk_heap *h);
/* A block was freed into an abandoned superslab's full slab: the
 * purge ticks have work (the notice a live owner would get). */
void hk_heap_abandoned_freed(void);
/* Purge the abandoned superslabs (under hk_abandoned_lock). */
size_t hk_heap_purge_abandoned(bool force);
/* The purge tick's share of the abandoned superslabs. */
void hk_heap_tick_abandoned(void);
/* Fork child, every stack of notices empty: no token nor guard is
 * held any more (the threads that held them are gone), in h's
 * superslabs (the abandoned ones if h is NULL). */
void hk_heap_fork_unguard(const struct hk_heap *h);
/* Thread exit: ss to the abandoned list (or freed if empty). */
void hk_heap_abandon_ss(struct hk_heap *h, struct hk_superslab *ss,
			uint64_t now);

#pragma GCC visibility pop

#endif /* HK_HEAP_IMPL_H */
