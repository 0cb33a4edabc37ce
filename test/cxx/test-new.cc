/* test-new.cc: C++'s replaceable allocation functions (lib/cxx-new.c).
 *
 * Built three ways like test/api's programs: plain (libstdc++'s
 * operators on glibc's malloc: the baseline that shows the test is
 * right), plain under LD_PRELOAD of libhakmem.so (HK_EXPECT_HAKMEM), and
 * -hk, linked to libhkalloc, whose operators replace libstdc++'s in the
 * program.  Every form libstdc++ exports is called by name:
 *   - each new and delete, blocks written over their whole size, and in
 *     the hakmem runs, each operator found is hakmem's, not libstdc++'s;
 *   - aligned new honours every power of two from 1 to 4 MiB, each
 *     block freed by the matching delete, sized or not;
 *   - sized delete with the right size never complains, over every size
 *     to 4 KiB and a sample beyond, array and aligned forms alike;
 *   - a new_handler is called in a loop while it stays installed, and
 *     std::bad_alloc thrown once it uninstalls itself;
 *   - under RLIMIT_AS (a child): throwing new throws std::bad_alloc,
 *     nothrow new returns nullptr, and a handler that frees a reserve
 *     lets new succeed;
 *   - a sized delete whose size is not the block's aborts with hakmem's
 *     message (hakmem runs only: glibc does not check).
 * "test-new glibc" and "test-new hakmem" (test/cxx/cxx.sh, preloaded,
 * HAKMEM_ENABLED=0 or not) only check whose blocks new hands out;
 * HK_EXPECT_GLIBC: hakmem's operators forwarding to glibc (cxx.sh runs
 * the whole test so under HAKMEM_ENABLED=0).
 */
#include <dlfcn.h>
#include <new>
#include <string>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "test/tap.h"
#include "test/badinput/child.h"

#ifdef HK_TEST_LINKED
#define WHO "linked (-hk)"
#else
#define WHO "plain"
#endif

static bool hakmem_run;

/* Keeps the compiler from folding a new/delete pair away. */
static void *escape(void *p)
{
	__asm__ volatile("" : "+r"(p) : : "memory");
	return p;
}

static bool fill(void *p, size_t n, unsigned char c)
{
	if (!p)
		return false;
	memset(p, c, n);
	for (size_t i = 0; i < n; i += n / 7 + 1)
		if (((unsigned char *)p)[i] != c)
			return false;
	return true;
}

static bool aligned(const void *p, size_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

static const char *const syms[] = {
	"_Znwm", "_Znam", "_ZnwmRKSt9nothrow_t", "_ZnamRKSt9nothrow_t",
	"_ZnwmSt11align_val_t", "_ZnamSt11align_val_t",
	"_ZnwmSt11align_val_tRKSt9nothrow_t", "_ZnamSt11align_val_tRKSt9nothrow_t",
	"_ZdlPv", "_ZdaPv", "_ZdlPvm", "_ZdaPvm",
	"_ZdlPvRKSt9nothrow_t", "_ZdaPvRKSt9nothrow_t",
	"_ZdlPvSt11align_val_t", "_ZdaPvSt11align_val_t",
	"_ZdlPvSt11align_val_tRKSt9nothrow_t", "_ZdaPvSt11align_val_tRKSt9nothrow_t",
	"_ZdlPvmSt11align_val_t", "_ZdaPvmSt11align_val_t",
};

/* Whose operator the program's calls reach. */
static void check_owners(void)
{
	int lib = 0, found = 0;

	for (const char *s : syms) {
		void *f = dlsym(RTLD_DEFAULT, s);
		Dl_info info;

		if (!f || !dladdr(f, &info) || !info.dli_fname)
			continue;
		found++;
		if (strstr(info.dli_fname, "libstdc++"))
			lib++;
		else if (!hakmem_run)
			tap_diag("%s from %s", s, info.dli_fname);
	}
	tap_ok(found == 20, "all 20 operators found (%d)", found);
	if (hakmem_run || getenv("HK_EXPECT_GLIBC"))	/* forwarding to glibc */
		tap_ok(lib == 0, "none of them is libstdc++'s (%d are)", lib);
	else
		tap_ok(lib == 20, "baseline: all are libstdc++'s (%d are)", lib);
}

static void every_form(void)
{
	const std::align_val_t al = std::align_val_t(64);
	const size_t n = 200;
	bool ok = true;
	void *p;

	p = escape(::operator new(n));
	ok &= fill(p, n, 1);
	::operator delete(p);
	p = escape(::operator new[](n));
	ok &= fill(p, n, 2);
	::operator delete[](p);
	p = escape(::operator new(n, std::nothrow));
	ok &= fill(p, n, 3);
	::operator delete(p, std::nothrow);
	p = escape(::operator new[](n, std::nothrow));
	ok &= fill(p, n, 4);
	::operator delete[](p, std::nothrow);
	p = escape(::operator new(n));
	ok &= fill(p, n, 5);
	::operator delete(p, n);
	p = escape(::operator new[](n));
	ok &= fill(p, n, 6);
	::operator delete[](p, n);
	tap_ok(ok, "new, new[], nothrow, sized delete: blocks usable");

	ok = true;
	p = escape(::operator new(n, al));
	ok &= fill(p, n, 7) && aligned(p, 64);
	::operator delete(p, al);
	p = escape(::operator new[](n, al));
	ok &= fill(p, n, 8) && aligned(p, 64);
	::operator delete[](p, al);
	p = escape(::operator new(n, al, std::nothrow));
	ok &= fill(p, n, 9) && aligned(p, 64);
	::operator delete(p, al, std::nothrow);
	p = escape(::operator new[](n, al, std::nothrow));
	ok &= fill(p, n, 10) && aligned(p, 64);
	::operator delete[](p, al, std::nothrow);
	p = escape(::operator new(n, al));
	ok &= fill(p, n, 11) && aligned(p, 64);
	::operator delete(p, n, al);
	p = escape(::operator new[](n, al));
	ok &= fill(p, n, 12) && aligned(p, 64);
	::operator delete[](p, n, al);
	tap_ok(ok, "aligned new and delete, every form: blocks usable and aligned");

	p = escape(::operator new(0));
	tap_ok(p != nullptr, "operator new(0) is not nullptr");
	::operator delete(p, (size_t)0);
	::operator delete(escape(nullptr));
	::operator delete(escape(nullptr), n);
	::operator delete[](escape(nullptr), al);
	tap_ok(true, "delete of nullptr, every kind: nothing");

	/* Objects through new-expressions, as programs use them. */
	struct alignas(256) big { char c[300]; };
	big *b = new big[3];
	ok = aligned(b, 256);
	delete[] b;
	std::string *s = new std::string(1000, 'x');
	ok &= s->size() == 1000;
	delete s;
	tap_ok(ok, "new-expressions of an over-aligned array and a string");
}

static void alignments(void)
{
	bool ok = true;

	for (size_t a = 1; a <= ((size_t)4 << 20); a <<= 1) {
		const std::align_val_t al = std::align_val_t(a);
		const size_t sizes[] = { 1, a / 2 + 1, a, a + 1, 3 * a };

		for (size_t n : sizes) {
			void *p = escape(::operator new(n, al));
			void *q = escape(::operator new[](n, al, std::nothrow));

			if (!aligned(p, a) || !aligned(q, a) || !fill(p, n, 0x5a) || !fill(q, n, 0xa5)) {
				tap_diag("alignment %zu size %zu: %p %p", a, n, p, q);
				ok = false;
			}
			if (n & 1) {
				::operator delete(p, n, al);
				::operator delete[](q, al, std::nothrow);
			} else {
				::operator delete(p, al);
				::operator delete[](q, n, al);
			}
		}
	}
	tap_ok(ok, "aligned new honours alignments 1 B to 4 MiB, sizes around each");
}

static void sized_right(void)
{
	bool ok = true;
	size_t n;

	for (n = 0; n <= 4096; n++) {
		void *p = escape(::operator new(n));
		void *q = escape(::operator new[](n));

		ok &= fill(p, n, 1) && fill(q, n, 2);
		::operator delete(p, n);
		::operator delete[](q, n);
	}
	for (n = 4097; n <= ((size_t)1 << 21); n += n / 13) {
		void *p = escape(::operator new(n));
		void *q = escape(::operator new(n, std::align_val_t(128)));

		ok &= fill(p, n, 1) && fill(q, n, 2);
		::operator delete(p, n);
		::operator delete(q, n, std::align_val_t(128));
	}
	tap_ok(ok, "sized delete with the right size: no complaint, sizes 0 to 2 MiB");
}

static int handler_calls;

static void handler_three(void)
{
	if (++handler_calls == 3)
		std::set_new_handler(nullptr);
}

static void handler_loop(void)
{
	volatile size_t huge = SIZE_MAX / 2;
	bool thrown = false;

	std::set_new_handler(handler_three);
	try {
		escape(::operator new(huge));
	} catch (const std::bad_alloc &) {
		thrown = true;
	}
	tap_ok(thrown && handler_calls == 3,
	       "new_handler called in a loop (3 times: %d), then std::bad_alloc", handler_calls);

	handler_calls = 0;
	thrown = false;
	std::set_new_handler(handler_three);
	try {
		escape(::operator new[](huge, std::align_val_t(4096)));
	} catch (const std::bad_alloc &) {
		thrown = true;
	}
	tap_ok(thrown && handler_calls == 3,
	       "aligned new[]: the same (%d calls)", handler_calls);

	thrown = false;
	try {
		escape(::operator new(huge));
	} catch (const std::bad_alloc &) {
		thrown = true;
	}
	tap_ok(thrown, "no handler: std::bad_alloc at once");
	tap_ok(::operator new(huge, std::nothrow) == nullptr &&
	       ::operator new[](huge, std::align_val_t(64), std::nothrow) == nullptr,
	       "no handler: nothrow forms return nullptr");
}

/* ---- children under RLIMIT_AS --------------------------------------- */

static bool limit_as(size_t extra)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	struct rlimit r;

	if (!f || fscanf(f, "%lu", &pages) != 1)
		return false;
	fclose(f);
	r.rlim_cur = r.rlim_max = pages * (size_t)sysconf(_SC_PAGESIZE) + extra;
	return setrlimit(RLIMIT_AS, &r) == 0;
}

enum { MB = 1 << 20, MAXB = 4096 };

/* 0: bad_alloc came and the nothrow forms returned nullptr then. */
static int oom_child(void *)
{
	static void *blocks[MAXB];
	int i, n, ret = 0;

	if (!limit_as((size_t)64 * MB))
		return 10;
	for (n = 0; n < MAXB; n++) {
		try {
			blocks[n] = escape(::operator new(MB));
		} catch (const std::bad_alloc &) {
			break;
		}
	}
	if (n == MAXB)
		return 11;
	if (::operator new(MB, std::nothrow) || ::operator new[](MB, std::nothrow) ||
	    ::operator new(MB, std::align_val_t(MB), std::nothrow) ||
	    ::operator new[](MB, std::align_val_t(4096), std::nothrow))
		ret = 12;
	try {
		escape(::operator new[](MB, std::align_val_t(MB)));
		ret = 13;
	} catch (const std::bad_alloc &) {
	}
	for (i = 0; i < n; i++)
		::operator delete(blocks[i], (size_t)MB);
	if (!ret) {
		void *p = ::operator new(MB);	/* after the frees: room again */

		ret = fill(p, MB, 3) ? 0 : 14;
		::operator delete(p);
	}
	return ret;
}

static void *reserve;
static int reserve_calls;

static void free_reserve(void)
{
	reserve_calls++;
	::operator delete(reserve);
	reserve = nullptr;
	std::set_new_handler(nullptr);
}

/* 0: the handler freed the reserve and new then succeeded.  The rest
 * of the address space is taken first by nothrow new, which also makes
 * the allocator give back what it keeps cached. */
static int reserve_child(void *)
{
	static void *fillers[MAXB];
	void *p;
	int n;

	if (!limit_as((size_t)96 * MB))
		return 10;
	reserve = escape(::operator new((size_t)64 * MB));
	for (n = 0; n < MAXB && (fillers[n] = ::operator new(MB, std::nothrow)); n++)
		;
	if (n == MAXB)
		return 14;
	std::set_new_handler(free_reserve);
	try {
		p = escape(::operator new((size_t)32 * MB));
	} catch (const std::bad_alloc &) {
		return 11;
	}
	if (reserve_calls != 1)
		return 12;
	if (!fill(p, (size_t)32 * MB, 7))
		return 13;
	::operator delete(p, (size_t)32 * MB);
	while (n--)
		::operator delete(fillers[n]);
	return 0;
}

static int mismatch_small(void *)
{
	void *p = escape(::operator new(100));

	::operator delete(p, (size_t)8);
	return 0;
}

static int mismatch_big(void *)
{
	void *p = escape(::operator new[](64));

	::operator delete[](p, (size_t)1000);
	return 0;
}

static int mismatch_aligned(void *)
{
	void *p = escape(::operator new(64, std::align_val_t(64)));

	::operator delete(p, (size_t)4000, std::align_val_t(64));
	return 0;
}

static void children(void)
{
	int (*const rlimit_cases[])(void *) = { oom_child, reserve_child };
	const char *const rlimit_names[] = {
		"std::bad_alloc thrown, nothrow forms nullptr, room after delete",
		"a handler freeing a reserve lets new succeed" };
	struct hk_child c;

	for (int i = 0; i < 2; i++) {
		if (hk_child(rlimit_cases[i], nullptr, 60, &c) != 0) {
			tap_ok(0, "fork");
			continue;
		}
		tap_ok(c.sig == 0 && c.code == 0, "RLIMIT_AS: %s (signal %d, exit %d, %s)",
		       rlimit_names[i], c.sig, c.code, c.line);
	}

	int (*const cases[])(void *) = { mismatch_small, mismatch_big, mismatch_aligned };
	const char *const names[] = { "new(100), delete(p, 8)", "new[](64), delete[](p, 1000)",
				      "new(64, align 64), delete(p, 4000, align 64)" };

	for (int i = 0; i < 3; i++) {
		if (!hakmem_run) {
			tap_skip("%s: glibc does not check the size", names[i]);
			continue;
		}
		if (hk_child(cases[i], nullptr, 30, &c) != 0) {
			tap_ok(0, "fork");
			continue;
		}
		tap_ok(c.sig == SIGABRT && strstr(c.line, "operator delete(): size mismatch"),
		       "%s aborts with hakmem's message (signal %d, \"%s\")", names[i], c.sig, c.line);
	}
}

/* ---- whose blocks (cxx.sh, under HAKMEM_ENABLED=0 or not) ----------- */

/* The main thread's small glibc blocks lie in the brk heap; hakmem maps
 * its superslabs. */
static bool in_brk_heap(const void *p)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long lo, hi;
	bool in = false;

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[heap]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			in = (uintptr_t)p >= lo && (uintptr_t)p < hi;
	fclose(f);
	return in;
}

static int whose(bool want_glibc)
{
	const std::align_val_t al = std::align_val_t(32);
	void *p[6];
	int n = 0;

	tap_plan(2);
	p[0] = escape(::operator new(100));
	p[1] = escape(::operator new[](100));
	p[2] = escape(::operator new(100, std::nothrow));
	p[3] = escape(::operator new(100, al));
	p[4] = escape(::operator new[](100, al, std::nothrow));
	p[5] = escape(malloc(100));
	for (void *q : p)
		n += in_brk_heap(q) == want_glibc;
	tap_ok(n == 6, "new's blocks are %s's (%d of 6)", want_glibc ? "glibc" : "hakmem", n);
	::operator delete(p[0], (size_t)100);
	::operator delete[](p[1]);
	::operator delete(p[2], std::nothrow);
	::operator delete(p[3], (size_t)100, al);
	::operator delete[](p[4], al);
	::operator delete(p[5]);	/* malloc's block through delete */
	p[0] = escape(malloc(50));
	::operator delete(p[0], (size_t)50);
	tap_ok(true, "delete of their blocks and of malloc's forwards");
	return tap_done();
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return whose(strcmp(argv[1], "glibc") == 0);
#ifdef HK_TEST_LINKED
	hakmem_run = true;
#else
	hakmem_run = getenv("HK_EXPECT_HAKMEM") != nullptr;
#endif
	tap_diag("operators under test: %s%s", WHO, hakmem_run ? ", hakmem's" : "");
	check_owners();
	every_form();
	alignments();
	sized_right();
	handler_loop();
	children();
	return tap_done();
}
