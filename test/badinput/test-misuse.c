/* test-misuse.c: pointers the allocator never handed out, or took back
 * already, given to free and realloc.  hakmem(7) MISUSE DETECTED: each
 * is caught and the process aborts (SIGABRT) after one line on stderr
 * naming the function and the pointer.  Each case runs in a child
 * (child.h).  test/api/test-badfree.c covers the plain double free of a
 * small and a large block and the free of a static array; sizes that
 * overflow are in test/api/test-api.c.
 *
 * Built like test/api's programs: plain (glibc, which shows the cases
 * are misuse glibc catches too, where it does), -hk (the hk_* twins) and
 * under LD_PRELOAD.  The message is checked only for hakmem.
 */
#include <pthread.h>
#include <sys/mman.h>

#include "test/api/alloc-api.h"
#include "test/badinput/child.h"

struct hk_case {
	const char *what;
	const char *fn;		/* the function the message must name */
	void *(*prepare)(void);	/* the bad pointer; may free it first */
	void (*misuse)(void *);
	const char *glibc_todo;	/* why glibc does not abort, or NULL */
};

static void *bad_ptr;

static void do_free(void *p)
{
	ta.free(p);
}

static void do_realloc(void *p)
{
	ta.realloc(p, 100);
}

static void *freed_small(void)
{
	void *p = ta.malloc(48);

	ta.free(p);
	return p;
}

/* free(p), free(q), free(p): p is not on top of the list any more. */
static void *freed_under_other(void)
{
	void *p = ta.malloc(32), *q = ta.malloc(32);

	ta.free(p);
	ta.free(q);
	return p;
}

static void *freed_medium(void)
{
	void *p = ta.malloc(100000);

	ta.free(p);
	return p;
}

static void *thread_free(void *p)
{
	ta.free(p);
	return NULL;
}

/* The block is freed by another thread, then freed again here. */
static void *freed_by_thread(void)
{
	void *p = ta.malloc(64);
	pthread_t t;

	pthread_create(&t, NULL, thread_free, p);
	pthread_join(t, NULL);
	return p;
}

/* The main thread frees the block, then another thread frees it again:
 * the second free takes the remote path. */
static void *freed_then_remote(void)
{
	return freed_small();
}

static void remote_free(void *p)
{
	pthread_t t;

	pthread_create(&t, NULL, thread_free, p);
	pthread_join(t, NULL);
}

/* An address in main's frame, which outlives every case. */
static char *main_stack;

static void *stack_addr(void)
{
	return main_stack + 16;
}

static void *interior_small(void)
{
	return (char *)ta.malloc(64) + 16;
}

static void *interior_large(void)
{
	return (char *)ta.malloc(4 << 20) + 4096;
}

static void *from_mmap(void)
{
	void *p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : (char *)p + 64;
}

/* A block of glibc's malloc: the test's own under -hk; under LD_PRELOAD
 * glibc's malloc asked of libc.so.6 itself (__libc_malloc is hakmem's
 * there too). */
static void *from_glibc(void)
{
#ifdef HK_TEST_LINKED
	return malloc(64);
#else
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	void *(*libc_malloc)(size_t) = NULL;

	if (libc)
		*(void **)&libc_malloc = dlsym(libc, "malloc");
	return libc_malloc ? libc_malloc(64) : NULL;
#endif
}

/* ---- pointers one or more slabs away --------------------------------
 * hakmem's slabs of a class up to 4 KiB are 32 KiB slices: p plus a
 * multiple of 32 KiB lands on a block start of the slab there whenever
 * that slab has the same class, where glibc's chunk strides (size + 8,
 * rounded to 16) rarely add up to it.  What such a pointer finds there
 * decides: a block freed or never handed out, the tail past the last
 * whole block, a slab of another class, a slab given back: each is
 * caught.  A block handed out and not freed is what a correct free
 * looks like, in hakmem as in glibc: caught only at its owner's free,
 * as a double free, if no malloc took it in between. */
enum { SLICE = 32768, CLS = 3072, PER_SLAB = SLICE / CLS, NCLS = 3 * PER_SLAB + 5 };

/* Blocks of 3072 bytes (no other case uses the class): three slabs'
 * worth and five more, so that one slab is carved in part. */
static char *cls_blk[NCLS];

static void cls_fill(void)
{
	for (int i = 0; i < NCLS; i++)
		if (!cls_blk[i])
			cls_blk[i] = ta.malloc(CLS);
}

static char *slab_start(const void *p)
{
	return (char *)((uintptr_t)p & ~(uintptr_t)(SLICE - 1));
}

/* Blocks of ours in the slab at s. */
static int cls_count(const char *s)
{
	int n = 0;

	for (int i = 0; i < NCLS; i++)
		n += cls_blk[i] && slab_start(cls_blk[i]) == s;
	return n;
}

/* A slab of ours holding want blocks of the class (0: any) and one
 * holding full blocks dist slabs before or after it; NULL if the layout
 * has none (glibc). */
static char *cls_pair(int want, long dist, char **other)
{
	cls_fill();
	for (int i = 0; i < NCLS; i++) {
		char *s = cls_blk[i] ? slab_start(cls_blk[i]) : NULL;

		if (!s || (want && cls_count(s) != want))
			continue;
		for (int sign = -1; sign <= 1; sign += 2) {
			char *o = s + sign * dist * SLICE;

			if (o != s && cls_count(o) == PER_SLAB) {
				*other = o;
				return s;
			}
		}
	}
	return NULL;
}

/* One slab away from a block of ours: a block the slab there never
 * handed out (it holds 5 of its 10). */
static void *slab_away_uncarved(void)
{
	char *o, *s = cls_pair(5, 1, &o);

	return s ? o + 7 * CLS + (s - o) : NULL;
}

/* Two slabs away: a block freed there. */
static void *slabs_away_freed(void)
{
	char *o, *s = cls_pair(PER_SLAB, 2, &o);

	if (!s)
		return NULL;
	ta.free(s + 4 * CLS);
	for (int i = 0; i < NCLS; i++)
		if (cls_blk[i] == s + 4 * CLS)
			cls_blk[i] = NULL;
	return o + 4 * CLS + (s - o);
}

/* A block start of this class in a slab of 2048-byte blocks: 1 KiB
 * into its second block. */
static void *slab_other_class(void)
{
	static char *m;

	if (!m)
		m = ta.malloc(2048);
	return m ? slab_start(m) + CLS : NULL;
}

/* Past the last whole block of a slab (10 blocks of 3072 leave 2 KiB). */
static void *slab_tail(void)
{
	cls_fill();
	return cls_blk[0] ? slab_start(cls_blk[0]) + PER_SLAB * CLS : NULL;
}

static char *thread_blk[5];

static void *thread_alloc(void *arg)
{
	(void)arg;
	for (int i = 0; i < 5; i++)
		thread_blk[i] = ta.malloc(CLS);
	return NULL;
}

/* A block another thread's slab never handed out (the thread exited;
 * its blocks live on). */
static void *slab_of_thread(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, thread_alloc, NULL) || pthread_join(t, NULL) ||
	    !thread_blk[4] || slab_start(thread_blk[4]) != slab_start(thread_blk[0]))
		return NULL;
	return thread_blk[4] + 2 * CLS;
}

/* A block of a slab given back: freed, then malloc_trim. */
static void *slab_given_back(void)
{
	void *p = ta.malloc(20000);

	ta.free(p);
	ta.malloc_trim(0);
	return p;
}

/* A live block one slab away from one of ours... */
static void *slab_away_live(void)
{
	char *o, *s = cls_pair(PER_SLAB, 1, &o);

	return s ? o + 2 * CLS + (s - o) : NULL;
}

/* ...freed by mistake, accepted, then freed by its owner. */
static void free_then_owner(void *p)
{
	ta.free(p);
	ta.free(p);
}

static const struct hk_case hk_cases[] = {
	{ "double free of a 48 B block", "free", freed_small, do_free, NULL },
	{ "free(p), free(q), free(p) of 32 B blocks", "free", freed_under_other, do_free, NULL },
	{ "double free of a 100000 B block", "free", freed_medium, do_free, NULL },
	{ "double free, the first by another thread", "free", freed_by_thread, do_free, NULL },
	{ "double free, the second by another thread", "free", freed_then_remote, remote_free, NULL },
	{ "free of a stack address", "free", stack_addr, do_free, NULL },
	{ "free of an interior pointer of a 64 B block", "free", interior_small, do_free,
	  "glibc reads a size from inside the block" },
	{ "free of an interior pointer of a 4 MiB block", "free", interior_large, do_free, NULL },
	{ "free of a pointer into an mmap'd region", "free", from_mmap, do_free, NULL },
	{ "free of a block from another allocator", "free", from_glibc, do_free,
	  "glibc's own block" },
	{ "realloc of a freed 48 B block", "realloc", freed_small, do_realloc,
	  "glibc reuses the freed chunk" },
	{ "realloc of a freed 100000 B block", "realloc", freed_medium, do_realloc,
	  "glibc reuses the freed chunk" },
	{ "realloc of an interior pointer", "realloc", interior_small, do_realloc,
	  "glibc reads a size from inside the block" },
	{ "realloc of a stack address", "realloc", stack_addr, do_realloc, NULL },
	{ "free one slab away, of a block never handed out", "free", slab_away_uncarved, do_free,
	  "glibc's layout differs" },
	{ "free two slabs away, of a block freed", "free", slabs_away_freed, do_free,
	  "glibc's layout differs" },
	{ "free of a block start of another class's slab", "free", slab_other_class, do_free,
	  "glibc's layout differs" },
	{ "free past a slab's last whole block", "free", slab_tail, do_free,
	  "glibc's layout differs" },
	{ "free in another thread's slab, of a block never handed out", "free", slab_of_thread,
	  do_free, "glibc's layout differs" },
	{ "free in a slab given back", "free", slab_given_back, do_free, NULL },
	{ "free one slab away, of a live block, then its owner's free", "free", slab_away_live,
	  free_then_owner, "glibc's layout differs" },
};

static int run_case(void *arg)
{
	const struct hk_case *c = arg;

	c->misuse(bad_ptr);
	return 0;
}

/* Whether line names fn and p as hakmem prints them ("fn(): ...: 0x..."). */
static bool names(const char *line, const char *fn, const void *p)
{
	char want_fn[32], want_p[32];

	snprintf(want_fn, sizeof(want_fn), "%s()", fn);
	snprintf(want_p, sizeof(want_p), "%p", p);
	return strstr(line, want_fn) && strstr(line, want_p);
}

int main(void)
{
	size_t n = sizeof(hk_cases) / sizeof(hk_cases[0]);
	char on_stack[64];

	main_stack = on_stack;
	ta_start();
	tap_plan((int)n);
	for (size_t i = 0; i < n; i++) {
		const struct hk_case *c = &hk_cases[i];
		struct hk_child r;
		bool ok;

		bad_ptr = c->prepare();
		if (!bad_ptr) {
			tap_skip("%s: no such pointer here", c->what);
			continue;
		}
		if (ta.is_glibc && c->prepare == from_glibc) {
			tap_skip("%s: the allocator under test is glibc", c->what);
			continue;
		}
		hk_child(run_case, (void *)c, 10, &r);
		ok = r.sig == SIGABRT && (!ta.is_hakmem || names(r.line, c->fn, bad_ptr));
		ok_unless_glibc(ok, c->glibc_todo ? c->glibc_todo : "glibc does not catch it",
				"%s: SIGABRT and a line naming %s() and %p (signal %d, '%s')",
				c->what, c->fn, bad_ptr, r.sig, r.line);
	}
	return tap_done();
}
