/* hakmem: public API.
 *
 * Preloaded (LD_PRELOAD or /etc/ld.so.preload) the library replaces the
 * malloc family of the whole process and nothing here is needed.  Programs
 * that link libhakmem directly (pkg-config hakmem) can also call the hk_*
 * twins, which always reach hakmem whatever else is loaded.
 *
 * The semantics are those of C17, POSIX and glibc: see hakmem(7).
 */
#ifndef HAKMEM_H
#define HAKMEM_H

#include <stddef.h>
#include <stdio.h>
#include <malloc.h>	/* struct mallinfo, struct mallinfo2 (glibc 2.33+) */

#ifdef __cplusplus
extern "C" {
#endif

#define HAKMEM_VERSION_MAJOR 0
#define HAKMEM_VERSION_MINOR 1
#define HAKMEM_VERSION_PATCH 0

/* Version of the library actually loaded, "0.1.0". */
const char *hk_version(void);

void *hk_malloc(size_t size);
void hk_free(void *ptr);
void *hk_calloc(size_t nmemb, size_t size);
void *hk_realloc(void *ptr, size_t size);
void *hk_reallocarray(void *ptr, size_t nmemb, size_t size);
int hk_posix_memalign(void **out, size_t alignment, size_t size);
void *hk_aligned_alloc(size_t alignment, size_t size);
void *hk_memalign(size_t alignment, size_t size);
void *hk_valloc(size_t size);
void *hk_pvalloc(size_t size);
size_t hk_malloc_usable_size(void *ptr);
/* C23: size must be the size the block was requested with (or its usable size). */
void hk_free_sized(void *ptr, size_t size);
void hk_free_aligned_sized(void *ptr, size_t alignment, size_t size);
/* Give unused memory back to the OS now; returns 1 if any was released. */
int hk_malloc_trim(size_t pad);
/* Print the counters of HAKMEM_STATS=1 to stderr now. */
void hk_malloc_stats(void);
/* The totals of hk_malloc_stats; mallinfo saturates at INT_MAX. */
struct mallinfo hk_mallinfo(void);
struct mallinfo2 hk_mallinfo2(void);
/* The same as XML on stream (options must be 0); -1 and EINVAL for a
 * stream without a file descriptor. */
int hk_malloc_info(int options, FILE *stream);
/* Accepts every parameter, changes nothing, returns 1. */
int hk_mallopt(int param, int value);
/* The old SVID name of hk_free. */
void hk_cfree(void *ptr);

/* Name of the OS-acquire backend in force ("thp", "lazy", ...); probes
 * the kernel first if nothing has been allocated yet. */
const char *hk_backend(void);

#ifdef __cplusplus
}
#endif

#endif /* HAKMEM_H */
