/* heap-late.c: the mallocs of a thread after its heap was abandoned.
 *
 * hakmem's key destructor abandons a thread's heap (init.c).  Another
 * key's destructor may call malloc after it, in the same round or a
 * later one, up to the last of PTHREAD_DESTRUCTOR_ITERATIONS: a new
 * heap then, registered with the key again, would run the destructor
 * once more if a round is left, and would be left live for good after
 * the last (a superslab and a heap per thread, about 117 KiB resident
 * and 2 MiB of address space, for a program that starts threads for
 * ever).  Instead such a thread allocates from one heap that no thread
 * owns, under a lock: it lives as long as the process, like glibc's
 * main arena, and its blocks are freed from any thread the way another
 * heap's are (remote frees, whose notices it takes at its next use).
 * What a thread leaves behind is then the blocks it did not free, and
 * its share of that heap's slabs while it uses them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>

#include "lib/heap-impl.h"
#include "lib/internal.h"
#include "lib/lock.h"

/* Set in the calling thread when its own heap is abandoned (thread
 * exit): its later mallocs come here. */
static __thread bool hk_late_self __attribute__((tls_model("initial-exec")));

static pthread_mutex_t hk_late_lock = PTHREAD_MUTEX_INITIALIZER;
struct hk_heap *hk_heap_late_heap;

void hk_heap_late_mark(void)
{
	hk_late_self = true;
}

bool hk_heap_late_now(void)
{
	return hk_late_self;
}

void *hk_heap_late_malloc(size_t size)
{
	void *b = NULL;

	hk_lock(&hk_late_lock);
	if (!hk_heap_late_heap)
		hk_heap_late_heap = hk_heap_get();
	if (hk_heap_late_heap)
		b = hk_heap_alloc_class(hk_heap_late_heap, hk_size_class(size));
	hk_unlock(&hk_late_lock);
	if (!b)
		errno = ENOMEM;
	return b;
}

/* malloc_trim: what it keeps, unless in use now (then at its next use,
 * through hk_pressure, as another thread's heap). */
size_t hk_heap_late_trim(void)
{
	size_t n = 0;

	if (!__atomic_load_n(&hk_heap_late_heap, __ATOMIC_RELAXED) ||
	    hk_trylock(&hk_late_lock) != 0)
		return 0;
	n = hk_heap_purge(hk_heap_late_heap, true);
	hk_unlock(&hk_late_lock);
	return n;
}

/* Before the heap lock (hk_heap_late_malloc takes it inside). */
void hk_heap_late_fork_prepare(void)
{
	pthread_mutex_lock(&hk_late_lock);
}

void hk_heap_late_fork_parent(void)
{
	pthread_mutex_unlock(&hk_late_lock);
}

/* The heap is whole: no thread was using it (the lock was held). */
void hk_heap_late_fork_child(void)
{
	pthread_mutex_init(&hk_late_lock, NULL);
}
