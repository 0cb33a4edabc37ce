/* os-impl.h: what the OS layer's own files share and nobody else uses.
 *
 * os-sys.c: the system calls every backend is built from (each returns 0
 * or an errno value and preserves errno).  os.c: the layer's lock, the
 * demotions and fallbacks (decided in probe/select.c and probe/chunk.c)
 * and the counters, which os-batch.c drives.
 */
#ifndef HK_OS_IMPL_H
#define HK_OS_IMPL_H

#include <stdbool.h>
#include <stddef.h>

#include "probe/chunk.h"
#include "lib/os.h"

/* os-sys.c */

/* An anonymous private read-write mapping of len bytes aligned to align,
 * with extra mmap flags (MAP_POPULATE, MAP_HUGETLB...).  Plain mmap is
 * tried first (6.7+ kernels align PMD-multiple lengths; hugetlb mappings
 * are always aligned to their page size); otherwise len + align is
 * over-reserved PROT_NONE and trimmed, and the aligned middle is mapped
 * with MAP_FIXED, so slack is never populated nor taken from a pool. */
int hk_os_sys_map(size_t len, size_t align, int flags, void **out);
/* The plain lazy acquire (hk_os_sys_map without flags) and a prefault
 * that has nothing to do, which several backends share. */
int hk_os_sys_acquire_lazy(size_t len, size_t align, void **out);
int hk_os_sys_no_prefault(void *p, size_t len);
/* Address space only: PROT_NONE, aligned as hk_os_sys_map. */
int hk_os_sys_reserve(size_t len, size_t align, void **out);
/* Map [p, p+len) read-write over whatever is there (MAP_FIXED). */
int hk_os_sys_fixed(void *p, size_t len, int flags);
int hk_os_sys_unmap(void *p, size_t len);
int hk_os_sys_advise(void *p, size_t len, int advice);
/* CLOCK_MONOTONIC in nanoseconds (vDSO). */
uint64_t hk_os_sys_ns(void);
/* One write per page that leaves the contents as they are. */
int hk_os_sys_touch(void *p, size_t len);
/* madvise(MADV_DONTNEED): every backend's purge (hugetlb gives the
 * pages back to the pool, 5.18+). */
int hk_os_sys_dontneed(void *p, size_t len);
extern size_t hk_os_page;		/* the page size, set by hk_os_init */

/* os.c */

/* Start the layer on these facts instead of probing: for tests that
 * need a probe's answer the kernel then contradicts (a pool drained
 * after the probe, a trial run before a filter went up).  -1 when the
 * layer had already started. */
int hk_os_init_caps(const struct hk_caps *caps);

/* Whether hk_os_init has run.  Before, the layer serves the first
 * HK_OS_LAZY_BYTES of chunks and any large map without probing (they are
 * lazy 4 KiB pages whatever the backend).  libhakmem.so starts the layer
 * at load (lib/load.c), so this serves the programs that link the
 * allocator's pieces (the unit tests), which start it when they choose. */
bool hk_os_started(void);
/* hk_os_page from the auxiliary vector, for those early calls. */
void hk_os_early_page(void);

void hk_os_lock(void);
void hk_os_unlock(void);
/* b failed with err: is that an error a plainer backend would not hit
 * (hk_backend_demotable)? */
bool hk_os_demotable(const struct hk_os_backend *b, int err);
/* MADV_POPULATE_WRITE, or the touch loop once the kernel refused it
 * (hk_populate_demotable: before 5.14): a fallback, counted and said once
 * under HAKMEM_VERBOSE. */
int hk_os_populate_or_touch(void *p, size_t len);
/* The purge advice asked (enum hk_purge; hk_select's, or a test's):
 * hk_os_purge falls back from MADV_FREE as hk_purge_demote says. */
extern int hk_os_purge_mode;
/* Move the current backend from b one step down the chain (once: a
 * second caller that saw the same b finds it done), count it and say it
 * under HAKMEM_VERBOSE.  Returns the backend now in force. */
const struct hk_os_backend *hk_os_demote(const struct hk_os_backend *b,
					 const char *what, int err);
/* Whether THP is "always": large maps and early chunks then get
 * MADV_NOHUGEPAGE. */
bool hk_os_thp_always(void);
void hk_os_count(enum hk_backend_id id, size_t field, uint64_t n);

/* Ask for 2 MiB pages explicitly (3.8+; older kernels ignore the size
 * bits): the default huge page size may be 1 GiB. */
#define HK_HUGETLB_FLAGS (MAP_HUGETLB | (HK_CHUNK_SHIFT << MAP_HUGE_SHIFT))

/* os-hugefork.c: the hugetlb chunks of ours (one bit per chunk), which a
 * fork child moves onto ordinary pages.  A chunk is marked only while its
 * huge page is populated, or while it sits in the chunk cache. */
int hk_hugetlb_mark(void *p, size_t len);		/* 0 or ENOMEM */
bool hk_hugetlb_unmark(void *p, size_t len);		/* whether it was */
bool hk_hugetlb_marked(const void *p);
size_t hk_hugetlb_bytes(void);				/* marked, in all */
/* Whether the pool could give need bytes now (0 or ENOMEM): a private
 * mapping reserves its pages at mmap time, taking no page and zeroing
 * nothing, and gives them back at munmap. */
int hk_hugetlb_cover(size_t need);
/* Around fork, with the layer's lock held: prepare finds whether the
 * pool can give a copy of every hugetlb chunk ours; when it cannot, the
 * parent's handler waits (bounded) for the child's to have moved them.
 * The child's runs after the batch layer has dropped its cached hugetlb
 * chunks (hk_os_batch_fork_child). */
void hk_hugetlb_fork_prepare(void);
void hk_hugetlb_fork_parent(void);
void hk_hugetlb_fork_child(void);

/* os-batch.c: in the child, unmap the cached hugetlb chunks (nobody
 * needs their contents) instead of copying them.  Lock held. */
void hk_os_batch_fork_child(void);
#define HK_OS_COUNT(id, field, n) \
	hk_os_count((id), offsetof(struct hk_os_counters, field), (n))

#endif /* HK_OS_IMPL_H */
