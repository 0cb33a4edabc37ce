/* glibc.h: glibc's own allocator, for a process that runs without
 * hakmem (HAKMEM_ENABLED=0, or enabled = no in its configuration).
 *
 * The decision is taken once, in hk_init, before the first block is
 * handed out: every way to a block of hakmem's passes hk_init first
 * (a thread's first malloc finds hk_heap_empty and takes the slow
 * path to hk_heap_new; large blocks start in hk_large_alloc).  While
 * hakmem is off no heap is ever made, so the fast paths keep falling
 * into their slow paths, and those (never the fast paths) ask
 * hk_glibc_fwd: the malloc of a program that keeps hakmem costs nothing
 * more.  The cold entry points (the aligned family, the statistics,
 * malloc_trim, mallopt) ask at their start.
 *
 * glibc's functions cannot be named by a reference of ours: a versioned
 * reference such as __libc_malloc@GLIBC_2.2.5 binds to libhakmem.so's
 * own unversioned __libc_malloc, which comes first in the lookup scope
 * and answers every version (and at link time to the very definition
 * beside it).  dlsym allocates and takes the loader's lock.  So glibc.c
 * reads libc.so.6's dynamic symbol table itself (dl_iterate_phdr, then
 * its hash table), once, at the decision.
 */
#ifndef HK_GLIBC_H
#define HK_GLIBC_H

#include <malloc.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct hk_glibc {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*memalign)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*malloc_usable_size)(void *);
	int (*malloc_trim)(size_t);
	void (*malloc_stats)(void);
	struct mallinfo (*mallinfo)(void);
	struct mallinfo2 (*mallinfo2)(void);
	int (*malloc_info)(int, FILE *);
	int (*mallopt)(int, int);
};

/* glibc's functions while this process runs without hakmem, else NULL
 * (release/acquire: set once, the table filled before). */
extern const struct hk_glibc *hk_glibc_fwd __attribute__((visibility("hidden")));

/* Find glibc's functions and set hk_glibc_fwd; false (hakmem stays on)
 * when one is missing.  hk_init calls it before any block exists. */
bool hk_glibc_start(void) __attribute__((visibility("hidden")));

/* hk_glibc_fwd once the decision is taken: for the entry points that
 * may come first, before any malloc. */
const struct hk_glibc *hk_glibc(void) __attribute__((visibility("hidden")));

/* The function name defines (its default version) in the first loaded
 * object that has it, in load order, the same lookup for any object:
 * what a library loaded after hakmem (dlopen) defines, which a weak
 * reference of ours, resolved at start, misses (lib/cxx-new.c).  Takes
 * the loader's read lock; for rare paths only. */
void *hk_dyn_find(const char *name) __attribute__((visibility("hidden")));

static inline const struct hk_glibc *hk_glibc_now(void)
{
	return __atomic_load_n(&hk_glibc_fwd, __ATOMIC_ACQUIRE);
}

#endif /* HK_GLIBC_H */
