/* heap-impl.h: what the heap's own files share and nobody else uses.
 *
 * heap.c: a thread's heap, its lists and the slow paths.  heap-abandon.c:
 * the abandoned superslabs of exited threads.
 */
#ifndef HK_HEAP_IMPL_H
#define HK_HEAP_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "internal.h"

#pragma GCC visibility push(hidden)

/* ---- superslab lists (a heap's, and the abandoned list) ------------ */

static inline void hk_ss_unlink(struct hk_superslab **head, struct hk_superslab *ss)
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

static inline void hk_ss_push(struct hk_superslab **head, struct hk_superslab *ss)
{
	ss->prev = NULL;
	ss->next = *head;
	if (ss->next)
		ss->next->prev = ss;
	*head = ss;
}


/* heap.c */

/* Take over an abandoned superslab: sort its slabs into our lists. */
void hk_heap_adopt(struct hk_heap *h, struct hk_superslab *ss);

/* heap-abandon.c */

/* Held to take from or add to the abandoned list, and by fork. */
extern pthread_mutex_t hk_abandoned_lock;
/* Adopt an abandoned superslab with a slab of cls with room (any if cls
 * is HK_NCLASS) and, if dirty, dirty free slices; NULL if none. */
struct hk_superslab *hk_heap_reclaim(struct hk_heap *h, unsigned cls,
				     bool dirty);
/* Purge the abandoned superslabs (under hk_abandoned_lock). */
size_t hk_heap_purge_abandoned(bool force);
/* The purge tick's share of the abandoned superslabs. */
void hk_heap_tick_abandoned(void);
/* Thread exit: ss to the abandoned list (or freed if empty). */
void hk_heap_abandon_ss(struct hk_heap *h, struct hk_superslab *ss,
			uint64_t now);

#pragma GCC visibility pop

#endif /* HK_HEAP_IMPL_H */
