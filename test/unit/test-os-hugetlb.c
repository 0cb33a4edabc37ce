/* test-os-hugetlb.c: the hugetlb backend with a pool this test fills.
 *
 * As root the parent saves the 2 MiB pool size, sets it to POOL pages,
 * runs the checks in a child and restores the pool whatever the child
 * did (a crash included).  The child takes pages through the vtable, then
 * through hk_os_chunk_alloc until the pool runs dry: the layer must
 * demote once, at run time, and go on serving chunks. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/wait.h>

#include "lib/os.h"
#include "test/unit/os-test.h"
#include "test/tap.h"

#define POOL 4
#define POOL_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB/"

static long read_long(const char *path)
{
	FILE *f = fopen(path, "r");
	long v = -1;

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static int write_long(const char *path, long v)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

static void check_vtable(void)
{
	long free0 = read_long(POOL_DIR "free_hugepages");
	void *p = NULL;
	int err;

	err = hk_os_hugetlb.acquire(4 * MIB, 2 * MIB, &p);
	tap_ok(err == 0 && ((uintptr_t)p & (2 * MIB - 1)) == 0,
	       "hugetlb: acquire 4 MiB aligned (err %d)", err);
	if (err)
		return;
	tap_ok(hk_os_hugetlb.prefault(p, 4 * MIB) == 0 && os_test_zero(p, 4 * MIB) &&
	       read_long(POOL_DIR "free_hugepages") == free0 - 2,
	       "hugetlb: prefault takes two pool pages, reads as zero");
	memset(p, 1, 4 * MIB);
	tap_ok(hk_os_hugetlb.release(p, 4 * MIB) == 0 &&
	       read_long(POOL_DIR "free_hugepages") == free0,
	       "hugetlb: release gives them back");
}

static void *p[POOL + 6];

static bool os_test_filled(const void *q, size_t len, unsigned char v)
{
	const unsigned char *c = q;

	for (size_t i = 0; i < len; i++)
		if (c[i] != v)
			return false;
	return true;
}

/* 2 lazy chunks, POOL / 2 hugetlb chunks: the other half of the pool
 * stays free for the copies a fork would need (os-hugefork.c), and the
 * backend demotes when it would take more. */
static void check_demotion(void)
{
	struct hk_os_counters c;
	bool fresh, ok = true;

	setenv("HAKMEM_BACKEND", "hugetlb", 1);
	if (hk_os_current()->id != HK_BACKEND_HUGETLB) {
		tap_skip("the probe refused HAKMEM_BACKEND=hugetlb (%s)", hk_os_choice()->reason);
		tap_skip("idem");
		return;
	}
	for (int i = 0; i < POOL + 6; i++) {
		ok &= hk_os_chunk_alloc(HK_CHUNK_SIZE, &p[i], &fresh) == 0;
		if (ok)
			memset(p[i], i, HK_CHUNK_SIZE);
	}
	hk_os_counters(HK_BACKEND_HUGETLB, &c);
	tap_ok(ok && c.demotions == 1 && c.chunks == POOL / 2 + 2,
	       "%d chunks served; hugetlb demoted once (%llu) after %llu chunks, now %s",
	       POOL + 6, (unsigned long long)c.demotions, (unsigned long long)c.chunks,
	       hk_os_current()->name);
	tap_ok(read_long(POOL_DIR "free_hugepages") == POOL / 2 &&
	       hk_os_current()->id != HK_BACKEND_HUGETLB,
	       "half the pool left free for a fork's copies (%ld), backend now %s",
	       read_long(POOL_DIR "free_hugepages"), hk_os_current()->name);
}

/* A fork child finds its hugetlb chunks moved onto ordinary pages (and
 * counted), their contents intact, and may write them; the parent's
 * writes right after the fork take no page from it. */
static void check_fork(void)
{
	struct hk_os_counters c;
	int status = 0, bad = 0;
	pid_t pid;

	/* As lib/init.c registers them in the library. */
	pthread_atfork(hk_os_fork_prepare, hk_os_fork_parent, hk_os_fork_child);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char kb[64] = "";

		hk_os_counters(HK_BACKEND_HUGETLB, &c);
		for (int i = 0; i < POOL + 6; i++) {
			bad += !os_test_filled(p[i], HK_CHUNK_SIZE, (unsigned char)i);
			memset(p[i], i + 1, HK_CHUNK_SIZE);
			bad += !os_test_filled(p[i], HK_CHUNK_SIZE, (unsigned char)(i + 1));
		}
		os_test_smaps(p[2], "KernelPageSize:", kb, sizeof(kb));
		_exit(bad ? 3 : c.fork_moved != (POOL / 2) * HK_CHUNK_SIZE ? 4 :
		      !strstr(kb, " 4 kB") ? 5 : 0);
	}
	for (int i = 0; i < POOL + 6; i++)
		memset(p[i], 0x5a, HK_CHUNK_SIZE);
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "fork child: %d hugetlb chunks moved onto 4 KiB pages, contents intact "
	       "(status %#x: 3 contents, 4 count, 5 page size)", POOL / 2, status);
}

int main(void)
{
	long saved, got;
	int status = 0;
	pid_t pid;

	if (geteuid() != 0)
		tap_skip_all("needs root to fill the hugetlb pool");
	saved = read_long(POOL_DIR "nr_hugepages");
	if (saved < 0)
		tap_skip_all("no 2 MiB hugetlb pool (%s absent)", POOL_DIR);
	if (write_long(POOL_DIR "nr_hugepages", saved + POOL) != 0)
		tap_skip_all("cannot write %snr_hugepages", POOL_DIR);
	got = read_long(POOL_DIR "free_hugepages");
	if (got != POOL) {
		write_long(POOL_DIR "nr_hugepages", saved);
		tap_skip_all("pool has %ld free pages, not %d (in use or fragmented)", got, POOL);
	}
	tap_plan(7);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		check_vtable();
		check_demotion();
		check_fork();
		exit(tap_failed || tap_n != 6);
	}
	waitpid(pid, &status, 0);
	tap_n += 6;
	write_long(POOL_DIR "nr_hugepages", saved);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	       read_long(POOL_DIR "nr_hugepages") == saved,
	       "child clean, pool restored to %ld", saved);
	return tap_done();
}
