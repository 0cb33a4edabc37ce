/* override.c: the malloc family under its libc names, so that a
 * preloaded libhakmem.so replaces the allocator of the whole process,
 * plus the __libc_* names glibc's own code may call.  malloc and free
 * inline the fast paths (fastpath.h); the rest call the hk_* twins.
 *
 * mallopt accepts every parameter and changes nothing (returns 1): the
 * glibc tunables it sets (arenas, thresholds, top pad) have no meaning
 * here.  mallinfo and malloc_info report what stats.c counts.
 */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>

#include "lib/fastpath.h"
#include "include/hakmem.h"

/* C23 and old SVID names that <stdlib.h> here may not declare. */
void free_sized(void *p, size_t size);
void free_aligned_sized(void *p, size_t align, size_t size);
void cfree(void *p);

HK_EXPORT void *malloc(size_t size)
{
	return hk_fast_malloc(size);
}

HK_EXPORT void free(void *p)
{
	hk_fast_free(p, "free");
}

HK_EXPORT void *calloc(size_t n, size_t size)
{
	return hk_calloc(n, size);
}

HK_EXPORT void *realloc(void *p, size_t size)
{
	return hk_realloc(p, size);
}

HK_EXPORT void *reallocarray(void *p, size_t n, size_t size)
{
	return hk_reallocarray(p, n, size);
}

HK_EXPORT int posix_memalign(void **out, size_t align, size_t size)
{
	return hk_posix_memalign(out, align, size);
}

HK_EXPORT void *aligned_alloc(size_t align, size_t size)
{
	return hk_aligned_alloc(align, size);
}

HK_EXPORT void *memalign(size_t align, size_t size)
{
	return hk_memalign(align, size);
}

HK_EXPORT void *valloc(size_t size)
{
	return hk_valloc(size);
}

HK_EXPORT void *pvalloc(size_t size)
{
	return hk_pvalloc(size);
}

HK_EXPORT size_t malloc_usable_size(void *p)
{
	return hk_malloc_usable_size(p);
}

HK_EXPORT void free_sized(void *p, size_t size)
{
	hk_free_sized(p, size);
}

HK_EXPORT void free_aligned_sized(void *p, size_t align, size_t size)
{
	hk_free_aligned_sized(p, align, size);
}

HK_EXPORT void cfree(void *p)
{
	hk_cfree(p);
}

HK_EXPORT int malloc_trim(size_t pad)
{
	return hk_malloc_trim(pad);
}

HK_EXPORT void malloc_stats(void)
{
	hk_malloc_stats();
}

HK_EXPORT int mallopt(int param, int value)
{
	return hk_mallopt(param, value);
}

HK_EXPORT struct mallinfo mallinfo(void)
{
	return hk_mallinfo();
}

HK_EXPORT struct mallinfo2 mallinfo2(void)
{
	return hk_mallinfo2();
}

HK_EXPORT int malloc_info(int options, FILE *f)
{
	return hk_malloc_info(options, f);
}

/* glibc's own names, for code inside libc (and programs) that calls them
 * directly; the aliases share the definitions above. */
#define HK_ALIAS(name, target) \
	HK_EXPORT __typeof__(target) name __attribute__((alias(#target), copy(target)))

HK_ALIAS(__libc_malloc, malloc);
HK_ALIAS(__libc_free, free);
HK_ALIAS(__libc_calloc, calloc);
HK_ALIAS(__libc_realloc, realloc);
HK_ALIAS(__libc_memalign, memalign);
HK_ALIAS(__libc_valloc, valloc);
HK_ALIAS(__libc_pvalloc, pvalloc);
HK_ALIAS(__posix_memalign, posix_memalign);
