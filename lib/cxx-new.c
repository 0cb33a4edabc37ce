/* cxx-new.c: C++'s replaceable allocation functions (operator new and
 * delete in all the forms libstdc++ exports), under their mangled names,
 * so that a preloaded libhakmem.so serves C++ programs too, in C: the
 * library keeps needing libc only (doc/hakmem.7, "C++").
 *
 * new is malloc's fast path (fastpath.h) with the failure out of line;
 * delete is free's.  A failing throwing new follows the standard: call
 * the installed new_handler and retry while there is one, else throw
 * std::bad_alloc.  Both come from the program's own libstdc++
 * (std::get_new_handler, std::__throw_bad_alloc), through weak
 * references that the loader resolves (the library is linked -z now):
 * a program that calls operator new has libstdc++ loaded at start, and
 * one without libstdc++ leaves them NULL.  One that dlopens libstdc++
 * later (a C program loading a C++ plugin) also leaves them NULL: there
 * a failing new finds them in libstdc++'s symbol table (hk_dyn_find,
 * glibc.c: no dlsym, which allocates).  With no libstdc++ at all, a
 * failing throwing new aborts with a message.
 *
 * A handler that throws from the nothrow forms passes through them (C
 * cannot catch), as in mimalloc; libstdc++'s own catches it.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* operator new's fast path is malloc's, leaving through this one. */
static void *hk_new_slow(size_t size);
#define HK_MALLOC_SLOW hk_new_slow
#include "lib/fastpath.h"
#include "include/hakmem.h"
#include "lib/glibc.h"
#include "lib/msg.h"

typedef void (*hk_new_handler)(void);

/* libstdc++'s, when loaded; default visibility, or the link would
 * resolve the weak references to 0 inside the library (internal.h
 * hides every declaration). */
extern hk_new_handler hk_cxx_get_new_handler(void) __asm__("_ZSt15get_new_handlerv")
	__attribute__((weak, visibility("default")));
extern void hk_cxx_throw_bad_alloc(void) __asm__("_ZSt17__throw_bad_allocv")
	__attribute__((weak, noreturn, visibility("default")));

/* The mangled names (x86-64 and every LP64 target: size_t is unsigned
 * long, "m"); std::align_val_t is an enum of size_t, passed as one. */
#define HK_CXX(ret, cname, mangled, ...) \
	HK_EXPORT ret cname(__VA_ARGS__) __asm__(mangled); \
	HK_EXPORT ret cname(__VA_ARGS__)

/* The block new(size) or new(size, align) asks for: the memalign family
 * takes any power of two (hk_memalign; alignments up to 16 are
 * malloc's). */
static void *hk_new_try(size_t size, size_t align)
{
	return align ? hk_memalign(align, size) : hk_malloc(size);
}

/* new failed: the new_handler loop.  NULL for the nothrow forms when
 * no handler is left; the throwing forms throw std::bad_alloc.  The
 * weak references are NULL where libstdc++ came after hakmem (dlopen):
 * then it is looked up now, among the objects loaded. */
static __attribute__((noinline, cold)) void *hk_new_fail(size_t size, size_t align,
							 bool nothrow)
{
	hk_new_handler (*get)(void) = hk_cxx_get_new_handler;
	void (*throw_bad_alloc)(void) = hk_cxx_throw_bad_alloc;

	if (!get || !throw_bad_alloc) {
		*(void **)&get = hk_dyn_find("_ZSt15get_new_handlerv");
		*(void **)&throw_bad_alloc = hk_dyn_find("_ZSt17__throw_bad_allocv");
	}
	for (;;) {
		hk_new_handler h = get ? get() : NULL;
		void *p;

		if (!h) {
			if (nothrow)
				return NULL;
			if (throw_bad_alloc)
				throw_bad_alloc();
			hk_fatal("operator new(): out of memory (%zu bytes), and no "
				 "libstdc++ loaded to throw", size);
		}
		h();
		p = hk_new_try(size, align);
		if (p)
			return p;
	}
}

/* malloc's slow path, then the handler loop if it failed. */
static __attribute__((noinline)) void *hk_new_slow(size_t size)
{
	void *p = hk_heap_malloc_slow(size);

	return p ? p : hk_new_fail(size, 0, false);
}

HK_INLINE void *hk_new(size_t size)
{
	return hk_fast_malloc(size);
}

static void *hk_new_nothrow(size_t size, size_t align)
{
	void *p = hk_new_try(size, align);

	return p ? p : hk_new_fail(size, align, true);
}

static void *hk_new_aligned(size_t size, size_t align)
{
	void *p = hk_new_try(size, align);

	return p ? p : hk_new_fail(size, align, false);
}

/* A sized delete whose size cannot be the block's: the block is
 * smaller than the size, or more than twice the size (or alignment)
 * plus 64 bytes, which neither a size class (1/8 apart, at most 25% or
 * 32 bytes more when lent, heap-lend.c) nor an aligned block (the
 * power of two above) ever is. */
static __attribute__((noinline, cold, noreturn)) void hk_delete_mismatch(void *p, size_t size,
									 const struct hk_slab *s)
{
	hk_fatal("operator delete(): size mismatch: %p of a %u-byte block deleted as %zu bytes",
		 p, s->block, size);
}

/* The size is checked where it costs nothing to find: a block of the
 * calling thread's heap, found as free finds it (hk_fast_free); other
 * threads' blocks, large ones and bad pointers go free's way. */
HK_INLINE void hk_delete_sized(void *p, size_t size, size_t align)
{
	struct hk_superslab *ss = hk_ss_of(p);
	struct hk_slab *s;
	size_t m = size > align ? size : align;

	if (HK_UNLIKELY((uintptr_t)ss != hk_tls.hot)) {
		if (HK_UNLIKELY(p == NULL || (uintptr_t)ss != hk_tls.own[hk_own_slot(ss)])) {
			hk_fast_free(p, "operator delete");
			return;
		}
		s = hk_slab_of(ss, p);
	} else {
		s = hk_slab_at(ss, p);
	}
	if (HK_LIKELY(hk_free_ok(s, p))) {
		if (HK_UNLIKELY((size_t)s->block - size > m + 64))
			hk_delete_mismatch(p, size, s);
		hk_free_push(s, p);
		return;
	}
	hk_free_general(p, "operator delete");
}

/* ---- new ------------------------------------------------------------ */

HK_CXX(void *, hk_cxx_new, "_Znwm", size_t size)
{
	return hk_new(size);
}

HK_CXX(void *, hk_cxx_new_array, "_Znam", size_t size)
{
	return hk_new(size);
}

HK_CXX(void *, hk_cxx_new_nothrow, "_ZnwmRKSt9nothrow_t", size_t size, const void *nt)
{
	(void)nt;
	return hk_new_nothrow(size, 0);
}

HK_CXX(void *, hk_cxx_new_array_nothrow, "_ZnamRKSt9nothrow_t", size_t size, const void *nt)
{
	(void)nt;
	return hk_new_nothrow(size, 0);
}

HK_CXX(void *, hk_cxx_new_al, "_ZnwmSt11align_val_t", size_t size, size_t align)
{
	return hk_new_aligned(size, align);
}

HK_CXX(void *, hk_cxx_new_array_al, "_ZnamSt11align_val_t", size_t size, size_t align)
{
	return hk_new_aligned(size, align);
}

HK_CXX(void *, hk_cxx_new_al_nothrow, "_ZnwmSt11align_val_tRKSt9nothrow_t",
       size_t size, size_t align, const void *nt)
{
	(void)nt;
	return hk_new_nothrow(size, align);
}

HK_CXX(void *, hk_cxx_new_array_al_nothrow, "_ZnamSt11align_val_tRKSt9nothrow_t",
       size_t size, size_t align, const void *nt)
{
	(void)nt;
	return hk_new_nothrow(size, align);
}

/* ---- delete --------------------------------------------------------- */

HK_CXX(void, hk_cxx_delete, "_ZdlPv", void *p)
{
	hk_fast_free(p, "operator delete");
}

HK_CXX(void, hk_cxx_delete_array, "_ZdaPv", void *p)
{
	hk_fast_free(p, "operator delete");
}

HK_CXX(void, hk_cxx_delete_sized, "_ZdlPvm", void *p, size_t size)
{
	hk_delete_sized(p, size, 0);
}

HK_CXX(void, hk_cxx_delete_array_sized, "_ZdaPvm", void *p, size_t size)
{
	hk_delete_sized(p, size, 0);
}

HK_CXX(void, hk_cxx_delete_nothrow, "_ZdlPvRKSt9nothrow_t", void *p, const void *nt)
{
	(void)nt;
	hk_fast_free(p, "operator delete");
}

HK_CXX(void, hk_cxx_delete_array_nothrow, "_ZdaPvRKSt9nothrow_t", void *p, const void *nt)
{
	(void)nt;
	hk_fast_free(p, "operator delete");
}

HK_CXX(void, hk_cxx_delete_al, "_ZdlPvSt11align_val_t", void *p, size_t align)
{
	(void)align;
	hk_fast_free(p, "operator delete");
}

HK_CXX(void, hk_cxx_delete_array_al, "_ZdaPvSt11align_val_t", void *p, size_t align)
{
	(void)align;
	hk_fast_free(p, "operator delete");
}

HK_CXX(void, hk_cxx_delete_al_nothrow, "_ZdlPvSt11align_val_tRKSt9nothrow_t",
       void *p, size_t align, const void *nt)
{
	(void)align;
	(void)nt;
	hk_fast_free(p, "operator delete");
}

HK_CXX(void, hk_cxx_delete_array_al_nothrow, "_ZdaPvSt11align_val_tRKSt9nothrow_t",
       void *p, size_t align, const void *nt)
{
	(void)align;
	(void)nt;
	hk_fast_free(p, "operator delete");
}

HK_CXX(void, hk_cxx_delete_sized_al, "_ZdlPvmSt11align_val_t", void *p, size_t size, size_t align)
{
	hk_delete_sized(p, size, align);
}

HK_CXX(void, hk_cxx_delete_array_sized_al, "_ZdaPvmSt11align_val_t",
       void *p, size_t size, size_t align)
{
	hk_delete_sized(p, size, align);
}
