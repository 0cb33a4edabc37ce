/* test-superslab: slabs cut from a superslab, found from any pointer by
 * masking; the segment map knows our regions and no one else's, and
 * frees of foreign pointers abort with a message instead of touching
 * the memory. */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/fastpath.h"
#include "include/hakmem.h"
#include "test/tap.h"

/* Run f in a child with stderr to a pipe; true if it died of SIGABRT
 * and said "want". */
static int aborts_with(void (*f)(void *), void *arg, const char *want)
{
	int fds[2], st = 0;
	char buf[512] = "";
	ssize_t n;
	pid_t pid;

	if (pipe(fds))
		return 0;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 2);
		f(arg);
		_exit(0);
	}
	close(fds[1]);
	n = read(fds[0], buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = 0;
	close(fds[0]);
	waitpid(pid, &st, 0);
	if (!(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT))
		return 0;
	tap_diag("%s", buf);
	return strstr(buf, want) != NULL;
}

static void do_free(void *p)
{
	hk_free(p);
}

static void do_free_twice(void *p)
{
	hk_free(p);
	hk_free(p);
}

int main(void)
{
	void *a = hk_malloc(100), *b = hk_malloc(5000), *big = hk_malloc(3 << 20);
	struct hk_superslab *ss = hk_ss_of(a);
	int local = 0;
	void *mapped = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ok = 1;

	tap_plan(12);
	tap_ok(a && b && big, "allocations succeed");
	tap_ok(hk_segmap_get(a) == ((uintptr_t)ss | HK_SEG_SS), "segmap: small block is in a superslab");
	tap_ok(hk_ss_of(b) == ss && hk_slab_of(ss, b) != hk_slab_of(ss, a),
	       "two classes, two slabs in one superslab");
	tap_ok(hk_slab_of(ss, a)->cls == hk_size_class(100) &&
	       hk_slab_of(ss, (char *)a + 50)->cls == hk_size_class(100),
	       "masking finds the slab from interior pointers too");
	tap_ok((hk_segmap_get(big) & HK_SEG_LARGE) &&
	       ((struct hk_large *)(hk_segmap_get(big) & ~(uintptr_t)HK_SEG_KINDS))->user == big,
	       "segmap: large object's entry names its header");
	tap_ok(hk_segmap_get(&local) == 0 && hk_segmap_get(mapped) == 0 &&
	       hk_segmap_get(NULL) == 0 && hk_segmap_get((void *)~(uintptr_t)0) == 0,
	       "segmap: stack, foreign mmap, NULL, top of address space are not ours");
	for (int i = 0; i < 1000; i++) {
		void *p = hk_malloc((size_t)i * 37 % 3000);

		ok &= hk_segmap_get(p) == ((uintptr_t)hk_ss_of(p) | HK_SEG_SS);
		hk_free(p);
	}
	tap_ok(ok, "segmap: every block is in a registered superslab");
	tap_ok(aborts_with(do_free, &local, "free(): invalid pointer"), "free of a stack address aborts");
	tap_ok(aborts_with(do_free, (char *)a + 16, "free(): invalid pointer"), "free of an interior pointer aborts");
	tap_ok(aborts_with(do_free, mapped, "free(): invalid pointer"), "free of a foreign mapping aborts");
	tap_ok(aborts_with(do_free_twice, a, "free(): double free detected"), "double free aborts");
	tap_ok(aborts_with(do_free_twice, big, "free(): double free detected"), "double free of a large object aborts");
	hk_free(a);
	hk_free(b);
	hk_free(big);
	munmap(mapped, 4096);
	return tap_done();
}
