/* test-os-batch.c: hk_os_chunk_alloc/free under several backends (one
 * forked child each, HAKMEM_BACKEND set before the layer starts): many
 * chunks from few mmap calls, early chunks lazy and 4 KiB, later ones
 * huge or populated as the backend says, the cache of freed chunks, and
 * the large-object maps. */
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "lib/os.h"
#include "test/unit/os-test.h"
#include "test/tap.h"

#define NCHUNKS 40
#define TESTS_PER_CHILD 12

static void *chunks[NCHUNKS];
static bool strict;	/* as under vm.overcommit_memory=2 */

static void check_carving(const struct hk_os_backend *b)
{
	struct hk_os_counters c;
	bool ok = true;

	errno = 12345;
	for (int i = 0; i < NCHUNKS; i++) {
		bool fresh = false;

		/* Not read yet: a read maps the zero page, which mincore
		 * counts as resident. */
		ok &= hk_os_chunk_alloc(HK_CHUNK_SIZE, &chunks[i], &fresh) == 0 &&
		      fresh && ((uintptr_t)chunks[i] & (HK_CHUNK_SIZE - 1)) == 0;
		for (int j = 0; ok && j < i; j++)
			ok &= chunks[j] != chunks[i];
	}
	tap_ok(ok && errno == 12345, "%s: %d fresh, aligned, distinct chunks, errno kept",
	       b->name, NCHUNKS);
	hk_os_counters(b->id, &c);
	if (b->commit || strict)
		tap_ok(c.regions == NCHUNKS && c.chunks == NCHUNKS,
		       "%s: one commit mmap per chunk, no trim (%llu for %llu)",
		       b->name, (unsigned long long)c.regions, (unsigned long long)c.chunks);
	else
		tap_ok(c.regions <= 3 && c.chunks == NCHUNKS,
		       "%s: %llu chunks from %llu reservations", b->name,
		       (unsigned long long)c.chunks, (unsigned long long)c.regions);
}

/* The first HK_OS_LAZY_BYTES stay lazy 4 KiB pages; later chunks are
 * what the backend makes them. */
static void check_early(const struct hk_os_backend *b, bool thp_ok)
{
	size_t pages = HK_CHUNK_SIZE / (size_t)sysconf(_SC_PAGESIZE);
	bool populating = b->commit || hk_os_choice()->prefault != HK_PREFAULT_OFF;
	long kb0, kb2;

	tap_ok(os_test_resident(chunks[0], HK_CHUNK_SIZE) == 0 &&
	       os_test_resident(chunks[1], HK_CHUNK_SIZE) == 0,
	       "%s: the first two chunks are not populated", b->name);
	if (populating && b->id != HK_BACKEND_THP)
		tap_ok(os_test_resident(chunks[2], HK_CHUNK_SIZE) == pages,
		       "%s: the third chunk is populated", b->name);
	else
		tap_ok(os_test_resident(chunks[2], HK_CHUNK_SIZE) == 0,
		       "%s: the third chunk is lazy", b->name);
	if (!thp_ok) {
		tap_skip("%s: huge pages: THP is off on this machine", b->name);
		return;
	}
	if (b->id != HK_BACKEND_THP) {
		if (hk_os_caps()->thp_enabled == HK_THP_ALWAYS)
			tap_skip("%s: THP always: every chunk may be huge", b->name);
		else
			tap_ok(os_test_anon_huge_kb(chunks[2]) == 0,
			       "%s: no huge pages unasked", b->name);
		return;
	}
	*(volatile char *)chunks[0] = 1;
	*(volatile char *)chunks[2] = 1;
	kb0 = os_test_anon_huge_kb(chunks[0]);
	kb2 = os_test_anon_huge_kb(chunks[2]);
	*(volatile char *)chunks[0] = 0;
	*(volatile char *)chunks[2] = 0;
	tap_ok(kb0 == 0 && kb2 >= 2048,
	       "thp: first chunk 4 KiB pages (%ld kB huge), third huge (%ld kB)", kb0, kb2);
}

static void check_cache(const struct hk_os_backend *b)
{
	struct hk_os_counters before, after;
	void *p = NULL, *q = NULL;
	bool fresh = true;

	memset(chunks[5], 0x5a, 4096);
	hk_os_counters(HK_BACKEND_AUTO, &before);
	hk_os_chunk_free(chunks[5], HK_CHUNK_SIZE);
	hk_os_chunk_free(chunks[6], HK_CHUNK_SIZE);
	tap_ok(hk_os_chunk_alloc(HK_CHUNK_SIZE, &p, &fresh) == 0 && p == chunks[6] &&
	       !fresh && hk_os_chunk_alloc(HK_CHUNK_SIZE, &q, &fresh) == 0 &&
	       q == chunks[5] && !fresh && ((char *)q)[4095] == 0x5a,
	       "%s: freed chunks come back last-in first-out, warm, not fresh", b->name);
	hk_os_counters(HK_BACKEND_AUTO, &after);
	tap_ok(after.cache_hits == before.cache_hits + 2 && after.regions == before.regions,
	       "%s: two cache hits, no new region", b->name);
	hk_os_chunk_free(p, HK_CHUNK_SIZE);
	/* The cached chunk and the unused rest of the reservations go back:
	 * address space is what a retry after ENOMEM needs. */
	{
		size_t got = hk_os_chunk_trim();
		bool gone = msync(p, 4096, MS_ASYNC) != 0 && errno == ENOMEM;
		void *r = NULL;

		tap_ok(got > HK_CHUNK_SIZE && gone &&
		       hk_os_chunk_alloc(HK_CHUNK_SIZE, &r, &fresh) == 0 && fresh &&
		       os_test_zero(r, HK_CHUNK_SIZE),
		       "%s: trim unmaps the cached chunk and spare reservations (%zu bytes); a new chunk is fresh",
		       b->name, got);
	}
}

static void check_maps(const struct hk_os_backend *b)
{
	size_t len = 5 * MIB;
	void *p = NULL, *q = NULL;
	bool zeroed = false;
	int err;

	err = hk_os_map(len, MIB, &p);
	tap_ok(err == 0 && ((uintptr_t)p & (MIB - 1)) == 0 &&
	       os_test_resident(p, len) == 0 && os_test_zero(p, len),
	       "%s: hk_os_map 5 MiB aligned to 1 MiB, lazy and zero", b->name);
	if (err)
		return;
	memset(p, 7, len);
	err = hk_os_remap(p, len, 2 * len, &q);
	tap_ok(err == 0 && ((char *)q)[len - 1] == 7 && ((char *)q)[2 * len - 1] == 0,
	       "%s: hk_os_remap grows keeping the contents", b->name);
	err = hk_os_purge(q, len, &zeroed);
	tap_ok(err == 0 && (!zeroed || ((char *)q)[0] == 0),
	       "%s: hk_os_purge (%s)", b->name, zeroed ? "reads zero" : "lazily freed");
	hk_os_unmap(q, 2 * len);
}

static void child(const char *name, bool thp_ok)
{
	const struct hk_os_backend *b;
	int start = tap_n;
	bool ok;

	tap_failed = 0;	/* the parent's count is the parent's */
	strict = !strcmp(name, "lazy-strict");
	if (strict)
		name = "lazy";
	setenv("HAKMEM_BACKEND", name, 1);
	b = hk_os_current();
	/* The probe's answer, overridden: this machine's overcommit mode
	 * is not the test's to change. */
	if (strict)
		((struct hk_caps *)hk_os_caps())->overcommit = 2;
	if (strcmp(b->name, name) != 0) {
		for (int i = 0; i < TESTS_PER_CHILD; i++)
			tap_skip("%s: the probe chose %s instead", name, b->name);
		exit(0);
	}
	check_carving(b);
	check_early(b, thp_ok);
	ok = true;
	for (int i = 0; i < NCHUNKS; i++)
		ok &= os_test_zero(chunks[i], HK_CHUNK_SIZE);
	tap_ok(ok, "%s: every chunk reads as zero", name);
	check_cache(b);
	check_maps(b);
	exit(tap_failed || tap_n - start != TESTS_PER_CHILD);
}

int main(void)
{
	static const char *const backends[] = {
		"lazy", "lazy-strict", "thp", "populate", "map_populate",
	};
	const int n = sizeof(backends) / sizeof(backends[0]);
	char mode[64];
	bool thp_ok;

	os_test_thp_mode(mode, sizeof(mode));
	thp_ok = !strcmp(mode, "always") || !strcmp(mode, "madvise");
	tap_plan(n * TESTS_PER_CHILD + n);
	for (int i = 0; i < n; i++) {
		int status = 0;
		pid_t pid;

		fflush(stdout);
		pid = fork();
		if (pid == 0)
			child(backends[i], thp_ok);
		waitpid(pid, &status, 0);
		tap_n += TESTS_PER_CHILD;
		tap_ok(pid > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
		       "%s: child ran its %d tests cleanly", backends[i], TESTS_PER_CHILD);
	}
	return tap_done();
}
