/* meta.c: memory for the allocator's own bookkeeping (thread heaps,
 * segment map leaves).  Bump-allocated from mappings of the OS layer
 * under one lock, never freed: heaps are recycled through a pool, leaves
 * live as long as the process.  Pages are touched only as they are used.
 */
#include <pthread.h>

#include "lib/internal.h"
#include "lib/lock.h"
#include "lib/os.h"

#define HK_META_CHUNK ((size_t)256 << 10)

static pthread_mutex_t hk_meta_lock = PTHREAD_MUTEX_INITIALIZER;
static char *hk_meta_cur;
static char *hk_meta_end;

void *hk_meta_alloc(size_t size)
{
	void *p = NULL;

	size = (size + 63) & ~(size_t)63;
	hk_lock(&hk_meta_lock);
	if ((size_t)(hk_meta_end - hk_meta_cur) < size) {
		size_t len = size > HK_META_CHUNK ? (size + 4095) & ~(size_t)4095
						  : HK_META_CHUNK;

		if (hk_os_map(len, 4096, &p) != 0) {
			hk_unlock(&hk_meta_lock);
			return NULL;
		}
		if (len > HK_META_CHUNK) {
			hk_unlock(&hk_meta_lock);
			return p;
		}
		hk_meta_cur = p;
		hk_meta_end = hk_meta_cur + len;
	}
	p = hk_meta_cur;
	hk_meta_cur += size;
	hk_unlock(&hk_meta_lock);
	return p;
}

void hk_meta_fork_prepare(void)
{
	pthread_mutex_lock(&hk_meta_lock);
}

void hk_meta_fork_parent(void)
{
	pthread_mutex_unlock(&hk_meta_lock);
}

void hk_meta_fork_child(void)
{
	pthread_mutex_init(&hk_meta_lock, NULL);
}
