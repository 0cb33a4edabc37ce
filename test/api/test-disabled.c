/* test-disabled.c: a program under libhakmem.so with HAKMEM_ENABLED=0
 * runs on glibc's malloc (test/api/disabled.sh runs it preloaded).
 *
 * "test-disabled glibc": every block is glibc's, told apart by what
 * only glibc's blocks have: the main thread's small blocks lie in the
 * brk heap ([heap] in /proc/self/maps; hakmem maps its superslabs with
 * mmap), each block has glibc's chunk header (its size field says
 * malloc_usable_size + 8, + 16 for an mmapped chunk), a thread's blocks
 * carry the NON_MAIN_ARENA bit, and malloc_info writes glibc's XML.
 * "test-disabled hakmem" (HAKMEM_ENABLED unset) expects the opposite of
 * the brk and malloc_info checks, which shows they tell the two apart.
 * Either way every entry point works, blocks move between threads and
 * through fork, and the odd cases (free(NULL), realloc(NULL, n),
 * realloc(p, 0), calloc overflow, memalign with an odd alignment) give
 * what glibc gives.
 */
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test/tap.h"

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);

static int want_glibc;
/* Blocks stored here escape: the compiler keeps their malloc. */
static void *volatile keep;
/* Not a constant: the compiler does not warn of the overflow tested. */
static volatile size_t half_max = SIZE_MAX / 2;
static uintptr_t brk_lo, brk_hi;

/* The [heap] line of /proc/self/maps, read again each time: it grows. */
static int in_brk_heap(const void *p)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	int in = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[heap]") &&
		    sscanf(line, "%lx-%lx", (unsigned long *)&brk_lo, (unsigned long *)&brk_hi) == 2)
			in = (uintptr_t)p >= brk_lo && (uintptr_t)p < brk_hi;
	fclose(f);
	return in;
}

/* glibc's chunk header: the size field before the block (low bits:
 * PREV_INUSE 1, IS_MMAPPED 2, NON_MAIN_ARENA 4). */
static int glibc_chunk(void *p, int thread)
{
	size_t hdr, size, over;

	__asm__("" : "+r"(p));	/* the word before the block, on purpose */
	hdr = ((size_t *)p)[-1];
	size = hdr & ~(size_t)7;
	over = hdr & 2 ? 16 : 8;

	if (size < over || malloc_usable_size(p) != size - over)
		return 0;
	return !thread || (hdr & 2) || (hdr & 4);
}

static int aligned(const void *p, size_t a)
{
	return ((uintptr_t)p & (a - 1)) == 0;
}

static void test_main_blocks(void)
{
	void *p[64];
	int brk = 0, hdr = 0;
	size_t sizes[] = { 0, 1, 16, 24, 100, 1000, 4000, 20000, 100000, 1 << 20 };

	for (int i = 0; i < 10; i++) {
		keep = p[i] = malloc(sizes[i]);
		memset(p[i], 0xa5, sizes[i]);
	}
	for (int i = 0; i < 8; i++)	/* below glibc's mmap threshold */
		brk += in_brk_heap(p[i]);
	for (int i = 0; i < 10; i++)
		hdr += glibc_chunk(p[i], 0);
	if (want_glibc) {
		tap_ok(brk == 8, "the main thread's small blocks lie in the brk heap (%d of 8)", brk);
		tap_ok(hdr == 10, "every block has glibc's chunk header (%d of 10)", hdr);
	} else {
		tap_ok(brk == 0, "hakmem's blocks lie outside the brk heap (%d of 8 inside)", brk);
	}
	for (int i = 0; i < 10; i++)
		free(p[i]);
}

static void test_entry_points(void)
{
	void *p, *q;
	char *c;
	int ok;
	void (*free_sized)(void *, size_t) = (void (*)(void *, size_t))dlsym(RTLD_DEFAULT, "free_sized");
	void (*free_aligned_sized)(void *, size_t, size_t) =
		(void (*)(void *, size_t, size_t))dlsym(RTLD_DEFAULT, "free_aligned_sized");
	void (*cfree)(void *) = (void (*)(void *))dlsym(RTLD_DEFAULT, "cfree");

	free(NULL);
	c = calloc(1000, 8);
	ok = c != NULL;
	for (int i = 0; ok && i < 8000; i++)
		ok = c[i] == 0;
	tap_ok(ok, "calloc gives zeroed memory");
	free(c);
	errno = 0;
	tap_ok(calloc(half_max, 3) == NULL && errno == ENOMEM, "calloc overflow: NULL, ENOMEM");
	c = realloc(NULL, 100);
	tap_ok(c != NULL, "realloc(NULL, 100) allocates");
	memset(c, 'x', 100);
	c = realloc(c, 300000);
	ok = c != NULL;
	for (int i = 0; ok && i < 100; i++)
		ok = c[i] == 'x';
	tap_ok(ok, "realloc to 300000 keeps the content");
	tap_ok(realloc(c, 0) == NULL, "realloc(p, 0) frees, returns NULL");
	errno = 0;
	tap_ok(reallocarray(NULL, half_max, 3) == NULL && errno == ENOMEM,
	       "reallocarray overflow: NULL, ENOMEM");
	p = reallocarray(NULL, 10, 10);
	tap_ok(p != NULL, "reallocarray(NULL, 10, 10)");
	free(p);
	p = NULL;
	tap_ok(posix_memalign(&p, 64, 100) == 0 && aligned(p, 64), "posix_memalign 64");
	free(p);
	tap_ok(posix_memalign(&p, 3, 100) == EINVAL, "posix_memalign 3: EINVAL");
	p = aligned_alloc(4096, 4096);
	tap_ok(p && aligned(p, 4096), "aligned_alloc 4096");
	free(p);
	p = memalign(24, 100);	/* glibc rounds the alignment up: 32 */
	tap_ok(p && aligned(p, 32), "memalign(24, 100) is 32-aligned");
	free(p);
	p = valloc(100);
	q = pvalloc(100);
	tap_ok(p && q && aligned(p, 4096) && aligned(q, 4096) && malloc_usable_size(q) >= 4096 - 16,
	       "valloc and pvalloc give pages");
	free(p);
	free(q);
	p = malloc(200);
	tap_ok(malloc_usable_size(p) >= 200 && malloc_usable_size(NULL) == 0, "malloc_usable_size");
	if (free_sized)
		free_sized(p, 200);
	else
		free(p);
	p = memalign(64, 64);
	if (free_aligned_sized)
		free_aligned_sized(p, 64, 64);
	else
		free(p);
	p = malloc(10);
	if (cfree)
		cfree(p);
	else
		free(p);
	tap_ok(1, "free_sized, free_aligned_sized, cfree free their blocks");
	p = __libc_malloc(100);
	q = __libc_memalign(64, 100);
	c = __libc_calloc(10, 10);
	ok = p && q && c && aligned(q, 64) && c[99] == 0;
	p = __libc_realloc(p, 1000);
	ok = ok && p;
	if (want_glibc)
		ok = ok && glibc_chunk(p, 0) && glibc_chunk(c, 0);
	__libc_free(p);
	__libc_free(q);
	__libc_free(c);
	tap_ok(ok, "the __libc_ names allocate and free%s", want_glibc ? " glibc's blocks" : "");
	tap_ok(malloc_trim(0) >= 0, "malloc_trim");
	tap_ok(mallopt(M_MMAP_THRESHOLD, 256 * 1024) == 1, "mallopt(M_MMAP_THRESHOLD) accepted");
	{
		struct mallinfo2 a = mallinfo2(), b;

		keep = p = malloc(50000);
		memset(p, 1, 50000);
		b = mallinfo2();
		tap_ok(b.uordblks + b.hblkhd >= a.uordblks + a.hblkhd + 50000,
		       "mallinfo2 counts a block of 50000 (in use %zu -> %zu)",
		       a.uordblks + a.hblkhd, b.uordblks + b.hblkhd);
		free(p);
	}
}

static void test_malloc_info(void)
{
	char buf[256] = "";
	FILE *f = tmpfile();
	size_t n;

	if (!f) {
		tap_skip("tmpfile: %s", strerror(errno));
		return;
	}
	tap_ok(malloc_info(0, f) == 0, "malloc_info");
	fflush(f);
	rewind(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = 0;
	fclose(f);
	if (want_glibc)
		tap_ok(!strncmp(buf, "<malloc version=\"1\">", 20), "malloc_info writes glibc's XML: %.20s", buf);
	else
		tap_ok(strstr(buf, "hakmem") != NULL, "malloc_info writes hakmem's XML: %.26s", buf);
}

#define NT 4
#define NB 2000
static void *handed[NT][NB];

/* Each thread allocates, frees some of the main thread's blocks, resizes
 * its own, and hands the rest to the main thread. */
static void *worker(void *arg)
{
	int t = (int)(intptr_t)arg, bad = 0;
	void *own = malloc(64);

	if (want_glibc && !glibc_chunk(own, 1))
		bad++;
	free(own);
	for (int i = 0; i < NB; i++) {
		void *p = malloc(16 + (size_t)(i * 37 + t) % 3000);

		if (!p)
			return (void *)1;
		memset(p, t, 16);
		free(handed[t][i]);	/* the main thread's */
		p = realloc(p, 16 + (size_t)(i * 53) % 5000);
		handed[t][i] = p;
	}
	return (void *)(intptr_t)bad;
}

static void test_threads(void)
{
	pthread_t th[NT];
	int bad = 0;

	for (int t = 0; t < NT; t++)
		for (int i = 0; i < NB; i++)
			handed[t][i] = malloc(8 + (size_t)i % 500);
	for (int t = 0; t < NT; t++)
		pthread_create(&th[t], NULL, worker, (void *)(intptr_t)t);
	for (int t = 0; t < NT; t++) {
		void *r;

		pthread_join(th[t], &r);
		bad += r != NULL;
	}
	for (int t = 0; t < NT; t++)
		for (int i = 0; i < NB; i++) {
			if (*(unsigned char *)handed[t][i] != t)
				bad++;
			free(handed[t][i]);
		}
	tap_ok(bad == 0, "blocks move between threads and are freed by others%s (%d bad)",
	       want_glibc ? "; a thread's blocks come from glibc's arenas" : "", bad);
}

static void test_fork(void)
{
	void *parent = malloc(300), *big = malloc(1 << 20);
	pid_t pid;
	int st = -1;

	memset(parent, 7, 300);
	pid = fork();
	if (pid == 0) {
		void *p = malloc(1000);
		int bad = !p || ((unsigned char *)parent)[299] != 7;

		if (want_glibc && !glibc_chunk(p, 0))
			bad = 1;
		free(parent);
		parent = realloc(big, 2 << 20);
		free(parent);
		free(p);
		_exit(bad);
	}
	waitpid(pid, &st, 0);
	tap_ok(pid > 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	       "a fork child allocates and frees the parent's blocks (status %d)", st);
	free(parent);
	free(big);
}

int main(int argc, char **argv)
{
	if (argc != 2 || (strcmp(argv[1], "glibc") && strcmp(argv[1], "hakmem"))) {
		fprintf(stderr, "usage: test-disabled glibc|hakmem\n");
		return 2;
	}
	want_glibc = !strcmp(argv[1], "glibc");
	test_main_blocks();
	test_entry_points();
	test_malloc_info();
	test_threads();
	test_fork();
	malloc_stats();		/* glibc's "Arena 0:" on stderr, for disabled.sh */
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}
