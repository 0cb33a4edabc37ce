/* test-large-attrs.c: a large block's page attributes do not survive
 * its free.
 *
 * A program may give a large block's pages attributes of its own:
 * MADV_DONTFORK (RDMA libraries such as libibverbs, on registered
 * buffers), MADV_WIPEONFORK, mprotect(PROT_READ).  glibc unmaps such a
 * block on free; an allocator that keeps freed blocks for reuse must
 * not hand those attributes to the next owner.  In a child each time:
 * a block of 300 KiB gets the attribute on all of its pages and is
 * freed; blocks of the same size are taken again (the next one reuses
 * it where the allocator caches), filled, and
 *   - DONTFORK, WIPEONFORK: a fork child must read the fill (not crash,
 *     not read zeros) and write them;
 *   - PROT_READ: the writes must not fault.
 * A failed madvise (an old kernel) is a skip.  Built plain (glibc), -hk
 * and under LD_PRELOAD, like test/api's programs.
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "test/api/alloc-api.h"
#include "test/badinput/child.h"

#define SIZE ((size_t)300 << 10)
#define TAKE 4

enum attr { A_DONTFORK, A_WIPEONFORK, A_READONLY };

/* The pages that hold any byte of [p, p + n), as the program would
 * pass them (libibverbs rounds out to pages). */
static void *page_down(void *p)
{
	return (void *)((uintptr_t)p & ~(uintptr_t)4095);
}

static size_t pages_len(void *p, size_t n)
{
	uintptr_t lo = (uintptr_t)page_down(p);

	return (((uintptr_t)p + n + 4095) & ~(uintptr_t)4095) - lo;
}

static int set_attr(void *p, enum attr a)
{
	void *lo = page_down(p);
	size_t len = pages_len(p, SIZE);

	switch (a) {
	case A_DONTFORK: return madvise(lo, len, MADV_DONTFORK);
	case A_WIPEONFORK: return madvise(lo, len, MADV_WIPEONFORK);
	default: return mprotect(lo, len, PROT_READ);
	}
}

/* The child's work; 3: the attribute could not be set. */
static int reuse(void *arg)
{
	enum attr a = (enum attr)(intptr_t)arg;
	unsigned char *p = ta.malloc(SIZE), *q[TAKE];

	if (!p)
		return 1;
	memset(p, 0x11, SIZE);
	if (set_attr(p, a) != 0)
		return 3;
	ta.free(p);
	for (int i = 0; i < TAKE; i++) {
		if (!(q[i] = ta.malloc(SIZE)))
			return 1;
		memset(q[i], 0x5a, SIZE);	/* faults here if read-only */
	}
	if (a == A_READONLY)
		return 0;
	fflush(NULL);
	pid_t pid = fork();

	if (pid < 0)
		return 1;
	if (pid == 0) {
		for (int i = 0; i < TAKE; i++)
			for (size_t j = 0; j < SIZE; j += 512) {
				if (q[i][j] != 0x5a)
					_exit(4);	/* wiped */
				q[i][j] = 0x33;	/* crashes if not mapped */
			}
		_exit(0);
	}
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return 1;
	if (WIFSIGNALED(status))
		return 10 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void check(enum attr a, const char *what)
{
	struct hk_child c;

	hk_child(reuse, (void *)(intptr_t)a, 30, &c);
	if (c.sig == 0 && c.code == 3) {
		tap_skip("%s: the kernel refuses it", what);
		return;
	}
	tap_ok(c.sig == 0 && c.code == 0,
	       "a 300 KiB block freed with %s: the blocks taken next %s "
	       "(%s; signal %d, exit %d: 4 the fork child read zeros, 10+n it "
	       "died of signal n)", what,
	       a == A_READONLY ? "are writable" : "are whole in a fork child",
	       ta.who, c.sig, c.code);
}

int main(void)
{
	ta_start();
	tap_plan(3);
	check(A_DONTFORK, "MADV_DONTFORK");
	check(A_WIPEONFORK, "MADV_WIPEONFORK");
	check(A_READONLY, "mprotect(PROT_READ)");
	return tap_done();
}
