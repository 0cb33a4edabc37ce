/* test-hugetlb-fork.c: fork with HAKMEM_BACKEND=hugetlb and a small pool.
 *
 * After fork a private hugetlb page is shared copy-on-write; a copy needs
 * a free pool page, and without one the child dies of SIGBUS: when it
 * writes, and also when the parent writes first (the kernel then keeps the
 * page for the parent and unmaps it from the child).  hakmem must keep
 * every fork child alive and its heap intact (lib/os-hugefork.c).
 *
 * As root the test sets the 2 MiB pool to POOL pages for a few seconds and
 * restores it whatever happens (a signal, a crash of a scenario, the
 * alarm); each scenario runs in a fresh process (this program again, with
 * HAKMEM_BACKEND=hugetlb) whose time is bounded:
 *   half    a heap twice the pool; the parent rewrites its heap right
 *           after each fork, the child checks, rewrites and checks its
 *           whole heap, then allocates more;
 *   threads a heap six times the pool (the backend demotes on the way),
 *           two threads rewriting their blocks and allocating while the
 *           main thread forks; each child checks the forking thread's
 *           blocks and writes its whole heap;
 *   taken   as half, but the program then takes every free pool page
 *           itself, as another program could: the parent's fork handler
 *           must wait for the child's copy;
 *   spawn   system() and posix_spawn() from a program whose heap is on
 *           the pool (they run no fork handler: vfork-like clones).
 * A run that fails while another program resized the pool (other tests
 * share vm.nr_hugepages) is run again, up to three times.
 * Each child's exit status is checked; a child killed by a signal fails. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "include/hakmem.h"
#include "test/tap.h"
#include "test/stress/wait.h"

#define POOL 16
#define MIB ((size_t)1 << 20)
#define BLOCK (32 * 1024)	/* small enough for superslabs (chunks) */
#define FORKS 6
#define CHILD_ALARM 20
#define NR "/proc/sys/vm/nr_hugepages"
#define FREE "/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages"
#define DISTURBED 77	/* exit status: the pool is not as the scenario needs */

extern char **environ;

static long read_long(const char *path)
{
	char buf[32] = { 0 };
	int fd = open(path, O_RDONLY);
	long v = -1;

	if (fd >= 0) {
		if (read(fd, buf, sizeof(buf) - 1) > 0)
			v = strtol(buf, NULL, 10);
		close(fd);
	}
	return v;
}

/* Async-signal-safe: also the restore of the signal handler. */
static int write_long(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY), n = 0, ok;

	if (fd < 0)
		return -1;
	do
		buf[sizeof(buf) - 1 - n++] = (char)('0' + v % 10);
	while ((v /= 10) && n < 30);
	ok = write(fd, buf + sizeof(buf) - n, (size_t)n) == n;
	return close(fd) == 0 && ok ? 0 : -1;
}

static long saved_pool = -1;

static void restore_pool(int sig)
{
	if (saved_pool >= 0)
		write_long(NR, saved_pool);
	if (sig) {
		signal(sig, SIG_DFL);
		raise(sig);
	}
}

/* ---- the scenarios (run with HAKMEM_BACKEND=hugetlb) ---- */

struct heap {
	unsigned char **b;
	size_t n;
};

static void fill(struct heap *h, size_t from, size_t to, unsigned gen)
{
	for (size_t i = from; i < to; i++)
		for (size_t off = 0; off < BLOCK; off += 512)
			h->b[i][off] = (unsigned char)(i * 7 + off / 512 + gen);
}

static size_t check(struct heap *h, size_t from, size_t to, unsigned gen)
{
	size_t bad = 0;

	for (size_t i = from; i < to; i++)
		for (size_t off = 0; off < BLOCK; off += 512)
			bad += h->b[i][off] != (unsigned char)(i * 7 + off / 512 + gen);
	return bad;
}

static int heap_make(struct heap *h, size_t mib)
{
	h->n = mib * MIB / BLOCK;
	h->b = hk_malloc(h->n * sizeof(*h->b));
	if (!h->b)
		return -1;
	for (size_t i = 0; i < h->n; i++)
		if (!(h->b[i] = hk_malloc(BLOCK)))
			return -1;
	return 0;
}

/* The child: the forking thread's blocks [0, mine) hold generation gen;
 * every block is then written and read back; more memory is taken. */
static void child(struct heap *h, size_t mine, unsigned gen)
{
	size_t bad;
	void *more[64];

	alarm(CHILD_ALARM);
	bad = check(h, 0, mine, gen);
	fill(h, 0, h->n, gen + 100);
	bad += check(h, 0, h->n, gen + 100);
	for (int i = 0; i < 64; i++) {
		more[i] = hk_malloc(BLOCK);
		if (!more[i])
			_exit(4);
		memset(more[i], i, BLOCK);
	}
	_exit(bad ? 3 : 0);
}

static int wait_child(pid_t pid, const char *what, int f)
{
	int status = 0;

	if (!bounded_wait(pid, &status, CHILD_ALARM)) {
		fprintf(stderr, "%s: child %d hung\n", what, f);
		return 1;
	}
	if (WIFSIGNALED(status)) {
		fprintf(stderr, "%s: child %d killed by signal %d (%s); pool %ld, free %ld\n",
			what, f, WTERMSIG(status), strsignal(WTERMSIG(status)),
			read_long(NR), read_long(FREE));
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "%s: child %d exited %d\n", what, f, WEXITSTATUS(status));
		return 1;
	}
	return 0;
}

/* Another program's pages: every free pool page, taken after hakmem's. */
static int drain_pool(void)
{
	int taken = 0;

	for (int i = 0; i < 50; i++) {
		while (mmap(NULL, 2 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS |
			    MAP_HUGETLB | MAP_POPULATE, -1, 0) != MAP_FAILED)
			taken++;
		if (read_long(FREE) == 0)
			return 0;
		usleep(10000);	/* pages another test reserved and not yet used */
	}
	fprintf(stderr, "taken: %d pages taken, %ld still free\n", taken, read_long(FREE));
	return -1;
}

/* A heap twice the pool, single-threaded; with drain, the pool emptied
 * by another program first. */
static int scenario_single(const char *what, bool drain)
{
	struct heap h;
	int failed = 0;

	if (heap_make(&h, 2 * POOL * 2))
		return 2;
	fill(&h, 0, h.n, 0);
	if (drain && drain_pool())
		return DISTURBED;
	for (int f = 0; f < FORKS; f++) {
		pid_t pid = fork();

		if (pid == 0)
			child(&h, h.n, (unsigned)f);
		if (pid < 0)
			return 2;
		/* At once: a parent's write that finds the pool empty takes
		 * the page from the child. */
		fill(&h, 0, h.n, (unsigned)f + 1);
		failed += wait_child(pid, what, f);
		if (check(&h, 0, h.n, (unsigned)f + 1)) {
			fprintf(stderr, "%s: the parent's heap changed\n", what);
			failed++;
		}
	}
	return failed ? 1 : 0;
}

struct writer {
	struct heap h;
	atomic_int *stop;
};

static void *writer(void *arg)
{
	struct writer *w = arg;
	unsigned gen = 0;

	while (!atomic_load(w->stop)) {
		void *p = hk_malloc(BLOCK);

		fill(&w->h, 0, w->h.n, gen++);
		hk_free(p);
	}
	return NULL;
}

static int scenario_threads(void)
{
	struct heap h, all;
	struct writer w[2];
	pthread_t t[2];
	atomic_int stop = 0;
	int failed = 0;

	/* Writers' blocks first, the main thread's after: 6x the pool. */
	for (int i = 0; i < 2; i++) {
		w[i].stop = &stop;
		if (heap_make(&w[i].h, POOL * 2))
			return 2;
		fill(&w[i].h, 0, w[i].h.n, 0);
	}
	if (heap_make(&h, POOL * 2 * 4))
		return 2;
	/* The child writes every block: one table of them all. */
	all.n = h.n + w[0].h.n + w[1].h.n;
	all.b = hk_malloc(all.n * sizeof(*all.b));
	if (!all.b)
		return 2;
	memcpy(all.b, h.b, h.n * sizeof(*h.b));
	memcpy(all.b + h.n, w[0].h.b, w[0].h.n * sizeof(*h.b));
	memcpy(all.b + h.n + w[0].h.n, w[1].h.b, w[1].h.n * sizeof(*h.b));
	fill(&h, 0, h.n, 0);
	for (int i = 0; i < 2; i++)
		pthread_create(&t[i], NULL, writer, &w[i]);
	for (int f = 0; f < FORKS; f++) {
		pid_t pid = fork();

		if (pid == 0)
			child(&all, h.n, (unsigned)f);
		if (pid < 0)
			return 2;
		fill(&h, 0, h.n, (unsigned)f + 1);
		failed += wait_child(pid, "threads", f);
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	return failed ? 1 : 0;
}

static int scenario_spawn(const char *self)
{
	char *argv[] = { (char *)self, (char *)"exit", NULL };
	struct heap h;
	int failed = 0, status;
	pid_t pid;

	if (heap_make(&h, 2 * POOL * 2))
		return 2;
	fill(&h, 0, h.n, 0);
	for (int f = 0; f < FORKS; f++) {
		status = system("exit 0");
		if (status != 0) {
			fprintf(stderr, "spawn: system() returned %#x\n", status);
			failed++;
		}
		if (posix_spawn(&pid, self, NULL, NULL, argv, environ) != 0 ||
		    wait_child(pid, "posix_spawn", f))
			failed++;
		fill(&h, 0, h.n, (unsigned)f + 1);
	}
	return failed || check(&h, 0, h.n, FORKS) ? 1 : 0;
}

static int scenario(const char *name, const char *self)
{
	alarm(90);
	if (strcmp(name, "exit") == 0)
		return 0;
	if (strcmp(name, "half") == 0)
		return scenario_single("half", false);
	if (strcmp(name, "threads") == 0)
		return scenario_threads();
	if (strcmp(name, "taken") == 0)
		return scenario_single("taken", true);
	if (strcmp(name, "spawn") == 0)
		return scenario_spawn(self);
	return 2;
}

/* ---- the driver ---- */

/* One run of a scenario, bounded; *moved: whether vm.nr_hugepages left
 * want meanwhile (polled every 2 ms), that is another program (another
 * test) resized the pool under it, which can take the pages a fork's
 * copies need.  Returns the exit status, -1 if it hung. */
static int run_once(const char *self, const char *name, long want, bool *moved)
{
	struct timespec tick = { 0, 2000000 };
	int status = -1;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setenv("HAKMEM_BACKEND", "hugetlb", 1);
		execl(self, self, name, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		return -1;
	for (int i = 0; i < 60 * 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		*moved |= read_long(NR) != want;
		nanosleep(&tick, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

/* A failure while the pool was resized by someone else, or a scenario
 * that could not drain it, is run again (up to three times); any other
 * failure is a failure. */
static void run(const char *self, const char *name, const char *what)
{
	long want = saved_pool + POOL;
	bool moved = false;
	int status = -1;

	for (int i = 0; i < 3; i++) {
		moved = false;
		if (read_long(NR) != want)
			write_long(NR, want);
		status = run_once(self, name, want, &moved);
		moved |= WIFEXITED(status) && WEXITSTATUS(status) == DISTURBED;
		if (status == 0 || !moved)
			break;
		tap_diag("%s: status %#x while another program resized the pool: again", name, status);
	}
	if (status != 0 && moved) {
		tap_skip("%s: another program resized or used the pool at each try", name);
		return;
	}
	if (WIFSIGNALED(status))
		tap_diag("%s: killed by signal %d", name, WTERMSIG(status));
	tap_ok(status == 0, "%s: %s (status %#x)", name, what, status);
}

int main(int argc, char **argv)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGALRM, SIGQUIT };
	long got;

	if (argc > 1)
		return scenario(argv[1], argv[0]);
	if (geteuid() != 0)
		tap_skip_all("needs root to fill the hugetlb pool");
	saved_pool = read_long(NR);
	if (saved_pool < 0 || read_long(FREE) < 0)
		tap_skip_all("no 2 MiB hugetlb pool (%s)", FREE);
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], restore_pool);
	alarm(240);
	if (write_long(NR, saved_pool + POOL) != 0) {
		restore_pool(0);
		tap_skip_all("cannot write %s", NR);
	}
	got = read_long(FREE);
	if (got < POOL) {
		restore_pool(0);
		tap_skip_all("pool has %ld free pages, not %d (in use or fragmented)", got, POOL);
	}
	tap_plan(5);
	run(argv[0], "half", "a pool for half the heap; every fork child checks and writes its heap");
	run(argv[0], "threads", "a pool that runs dry; fork while two threads write");
	run(argv[0], "taken", "the pool emptied by another program; the parent writes after fork");
	run(argv[0], "spawn", "system() and posix_spawn() from a heap on the pool");
	restore_pool(0);
	tap_ok(read_long(NR) == saved_pool, "pool restored to %ld pages", saved_pool);
	return tap_done();
}
