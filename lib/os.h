/* os.h: the OS-acquire layer.
 *
 * Contract for every backend (one const struct per lib/os-*.c):
 *  - lengths are multiples of the page size; alignments are powers of
 *    two, at least the page size;
 *  - acquire returns memory that reads as zero, aligned as asked, without
 *    trimming each region with munmap where it can be avoided;
 *  - every operation returns 0 or an errno value and preserves the
 *    caller's errno;
 *  - a backend never falls back on its own: when a call fails with an
 *    error that a plainer backend would not hit (EINVAL from an old kernel,
 *    ENOMEM from an empty hugetlb pool: hk_backend_demotable) os.c demotes
 *    once along hk_backend_demote(), counts it, says it once under
 *    HAKMEM_VERBOSE and serves the request.
 *
 * Policy (which backend, what a chunk becomes, which errors demote or
 * fall back) lives in probe/select.c and probe/chunk.c, pure; os.c and
 * os-batch.c carry it out (batching, counters); mechanism in os-*.c.  The hot path of the allocator never
 * reaches this layer except to get or give back whole regions.
 */
#ifndef HK_OS_H
#define HK_OS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/caps.h"
#include "probe/select.h"

#define HK_CHUNK_SHIFT 21
#define HK_CHUNK_SIZE ((size_t)1 << HK_CHUNK_SHIFT)	/* superslab: 2 MiB */

struct hk_os_backend {
	const char *name;			/* as in HAKMEM_BACKEND */
	enum hk_backend_id id;
	int (*acquire)(size_t len, size_t align, void **out);
	int (*release)(void *p, size_t len);	/* unmap a chunk */
	int (*prefault)(void *p, size_t len);	/* may do nothing (lazy) */
	int (*purge)(void *p, size_t len);	/* MADV_DONTNEED: reads as zero */
	/* Optional (NULL for backends whose mapping is plain lazy memory):
	 * map [p, p+len) with MAP_FIXED over an address-space reservation,
	 * for backends whose mmap itself commits memory (MAP_POPULATE
	 * populates, MAP_HUGETLB takes pool pages).  The batch layer then
	 * reserves PROT_NONE and commits each chunk, so the slack of a
	 * reservation is never populated. */
	int (*commit)(void *p, size_t len);
};

extern const struct hk_os_backend hk_os_lazy;
extern const struct hk_os_backend hk_os_touch;
extern const struct hk_os_backend hk_os_map_populate;
extern const struct hk_os_backend hk_os_populate;
extern const struct hk_os_backend hk_os_thp;
extern const struct hk_os_backend hk_os_hugetlb;

/* The backend for an id (never NULL for a valid id). */
const struct hk_os_backend *hk_os_backend_get(enum hk_backend_id id);

/* Probe the kernel, read the options and select, once per process; later
 * calls return at once.  Safe to call from inside malloc and from several
 * threads.  Never allocates.  libhakmem.so calls it at load (lib/load.c),
 * before any seccomp filter the program installs itself. */
void hk_os_init(void);
const struct hk_caps *hk_os_caps(void);
/* A 32nd of the cgroup memory limit the probe read (3 MiB of 96, 32 of
 * 1 GiB, where the caches' own bounds start to bind), SIZE_MAX without
 * one: what each cache the allocator keeps for reuse (lib/purge.c) and
 * the chunk cache (os-batch.c) may hold under a limit. */
#define HK_KEEP_SHARE 32
size_t hk_os_keep_max(void);
const struct hk_choice *hk_os_choice(void);
/* The backend in force now (it changes only by demotion). */
const struct hk_os_backend *hk_os_current(void);

/* Dense regions for superslabs: len a multiple of HK_CHUNK_SIZE, aligned
 * to HK_CHUNK_SIZE, from the chosen backend, carved from larger
 * reservations so that acquiring is rare.  *fresh is set when the memory
 * is known to read as zero (never used since the OS gave it).  Returns 0
 * or ENOMEM.
 *
 * Policy (lib/os-batch.c): a freed chunk of the same length is reused
 * first (warm, never re-populated; the cache holds up to 64 MiB, of
 * which the first 16 MiB unpurged); then a piece of the current
 * reservation; then a new reservation of 16, 32, then 64 MiB.  Where
 * the mapping itself commits (MAP_POPULATE, MAP_HUGETLB) or under
 * vm.overcommit_memory=2 (which charges every private writable byte at
 * mmap time) reservations are PROT_NONE, uncharged, and each chunk is
 * committed by its own mmap MAP_FIXED: still no trim.  The first
 * HK_OS_LAZY_BYTES of chunks a process takes stay lazy 4 KiB pages
 * whatever the backend (no prefault, no huge page; MADV_NOHUGEPAGE where
 * THP would apply), so a small program pays neither 2 MiB of RSS nor a
 * 2 MiB zeroing for its first superslab; later chunks are huge, populated
 * or committed as the backend says. */
#define HK_OS_LAZY_BYTES (2 * HK_CHUNK_SIZE)
int hk_os_chunk_alloc(size_t len, void **out, bool *fresh);
/* How much a reclaim gives back: the caches that hold address space
 * only (the large blocks'), or everything the allocator keeps, as
 * malloc_trim does. */
enum hk_reclaim { HK_RECLAIM_CACHES, HK_RECLAIM_ALL };
/* The allocator above gives memory back through this hook when a map
 * fails for want of address space or commit: hk_os_chunk_alloc asks for
 * HK_RECLAIM_CACHES before it tries once more, the large blocks' map for
 * HK_RECLAIM_ALL.  Returns the bytes given back.  NULL until the
 * allocator sets it (hk_init), as in the OS layer's own tests. */
extern size_t (*hk_os_reclaim)(enum hk_reclaim how);
/* Whether memory is tight: under a cgroup memory limit, half of it
 * mapped (lib/purge.c, hk_purge_tight).  Fresh chunks are then
 * committed as lazy ones, with no prefault (probe/chunk.h).  NULL until
 * the allocator sets it (hk_init). */
extern bool (*hk_os_tight)(void);
/* Give a region from hk_os_chunk_alloc back (purged or unmapped as the
 * layer sees fit). */
void hk_os_chunk_free(void *p, size_t len);
/* Unmap every cached chunk and every unused reservation now
 * (malloc_trim, and a retry after ENOMEM: under RLIMIT_AS or strict
 * overcommit their address space is what a new mapping needs); returns
 * the bytes given back. */
size_t hk_os_chunk_trim(void);

/* Sparse regions for large objects: lazy 4 KiB pages whatever the
 * backend (only what is touched costs), page-aligned or aligned to
 * align (a power of two).  Returns 0 or ENOMEM. */
int hk_os_map(size_t len, size_t align, void **out);
void hk_os_unmap(void *p, size_t len);
/* Grow or shrink a region from hk_os_map, moving it if needed (mremap);
 * returns 0 or an errno value, *out unchanged on failure. */
int hk_os_remap(void *p, size_t oldlen, size_t newlen, void **out);
/* Grow a region from hk_os_map in place, never moving it (mremap
 * without MREMAP_MAYMOVE); 0 or an errno value (ENOMEM: the address
 * space after it is taken; EFAULT: it spans several kernel mappings). */
int hk_os_grow(void *p, size_t oldlen, size_t newlen);
/* Give [p, p+len), a region from hk_os_map, back the attributes it was
 * mapped with, whatever its program did to it: read-write,
 * MADV_DOFORK, MADV_KEEPONFORK (errors ignored: the last is EINVAL
 * before Linux 4.14, which has no MADV_WIPEONFORK to undo). */
void hk_os_reset(void *p, size_t len);
/* Move the pages of [src, src+len) to dst (mremap MREMAP_FIXED): what
 * was mapped at dst is replaced, src is left unmapped, and no page is
 * faulted, zeroed or copied (aligned to HK_CHUNK_SIZE, whole page tables
 * move).  The range may span several regions of ours (kernels before
 * 6.17 refuse to move those at once, and unmap dst before they refuse:
 * there a range is checked first, and one of several kernel mappings
 * goes in pieces split at HK_CHUNK_SIZE multiples; which kernel it is
 * is found out at the first move).  Returns the length of the prefix
 * moved: len, or less when a move failed (the rest is left where it
 * was; before 6.17 what dst had there may be gone). */
size_t hk_os_move(void *src, size_t len, void *dst);

/* Hand the pages of a range back (MADV_FREE or MADV_DONTNEED, as the
 * probe found); the range stays mapped.  *zeroed is set when the range
 * will read as zero afterwards (MADV_DONTNEED on private memory). */
int hk_os_purge(void *p, size_t len, bool *zeroed);

/* Counters, one set per backend plus totals; read without locks, so the
 * values are approximate while other threads allocate. */
struct hk_os_counters {
	uint64_t regions;	/* acquire calls that succeeded */
	uint64_t bytes;		/* bytes acquired */
	uint64_t released;	/* bytes released */
	uint64_t prefaults;	/* prefault calls */
	uint64_t purges;	/* purge calls */
	uint64_t purged;	/* bytes purged */
	uint64_t failures;	/* calls that failed */
	uint64_t demotions;	/* times this backend was demoted from */
	uint64_t fallbacks;	/* fallbacks below it: populate -> touch,
				 * MADV_FREE -> MADV_DONTNEED (chunk.h) */
	uint64_t chunks;	/* chunks handed out by hk_os_chunk_alloc */
	uint64_t cache_hits;	/* of which reused from the chunk cache */
	uint64_t fork_moved;	/* hugetlb bytes a fork child moved onto
				 * ordinary pages (os-hugefork.c) */
	uint64_t fork_left;	/* hugetlb bytes a fork child left shared:
				 * no memory for the copy */
	uint64_t fork_waits;	/* forks whose parent waited for the child's
				 * move: the pool could not give the copies */
};
/* id HK_BACKEND_AUTO gives the sum over all backends. */
void hk_os_counters(enum hk_backend_id id, struct hk_os_counters *out);

/* Take and release the layer's locks around fork (pthread_atfork).  The
 * child's handler also moves the hugetlb chunks in use onto ordinary
 * pages before the program runs on (os-hugefork.c says why): it must run
 * before any handler or code of the program's in the child. */
void hk_os_fork_prepare(void);
void hk_os_fork_parent(void);
void hk_os_fork_child(void);

/* Milliseconds of CLOCK_MONOTONIC_COARSE (a vDSO read, no system call):
 * the clock of purge delays and the run-once flags' bound (os-sys.c). */
uint64_t hk_now_ms(void);

/* A global placed in .lbss, which the x86-64 linker script puts after
 * every .bss section, in link order: off the page the loader writes at
 * start-up, for the segment map's top table (segmap.c) and for what
 * only big programs touch (test/api/test-faults checks the layout).
 * GCC elsewhere would store an .lbss in the file. */
#ifdef __x86_64__
#define HK_BSS_LAST __attribute__((section(".lbss")))
#else
#define HK_BSS_LAST
#endif

#endif /* HK_OS_H */
