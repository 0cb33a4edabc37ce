/* hk-probe-bench.c: --bench, each usable backend measured on this machine.
 *
 * One cell = one backend and one pattern over --size MiB in 2 MiB chunks:
 * acquire + prefault (the backend's own ops from lib/os.h, as the library
 * calls them) then one write per page, to every page ("dense") or to the
 * first 10% of each chunk ("sparse", an allocator carving objects from the
 * front).  Each cell runs in a fresh forked child so getrusage and RSS are
 * its own; the cost is the child's thread CPU time (preemption on a shared
 * machine does not count), release is timed apart.  An unmeasured warm-up
 * pass comes first; repetitions alternate the order of backends and
 * patterns and the table gives medians.  doc/KERNEL-COSTS.md gives
 * the figures it measured and what the code draws from them. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hk-probe/hk-probe.h"
#include "lib/options.h"
#include "lib/os.h"

enum { HK_DENSE, HK_SPARSE, HK_PATTERNS };

/* What one child measured; err != 0 when the backend failed. */
struct hk_cell {
	int err;
	uint64_t cpu_ns;	/* acquire + prefault + touch */
	uint64_t sys_us;
	uint64_t minflt;
	uint64_t rss_kb;	/* resident growth after touching */
	uint64_t rel_ns;	/* release of every chunk */
};

struct hk_bench {
	const struct hk_facts *f;
	size_t size;
	size_t nchunks;
	unsigned reps;
	bool usable[HK_BACKEND_COUNT];
	enum hk_prefault prefault[HK_BACKEND_COUNT];	/* as hk_select resolves it */
	char why[HK_BACKEND_COUNT][HK_REASON_MAX];
	struct hk_cell *cells;	/* [backend][pattern][rep] */
};

static struct hk_cell *hk_bench_cell(struct hk_bench *b, int id, int pat, unsigned rep)
{
	return &b->cells[((size_t)id * HK_PATTERNS + (size_t)pat) * b->reps + rep];
}

static uint64_t hk_bench_rss_kb(void)
{
	unsigned long size = 0, res = 0;
	FILE *fp = fopen("/proc/self/statm", "r");

	if (fp) {
		if (fscanf(fp, "%lu %lu", &size, &res) != 2)
			res = 0;
		fclose(fp);
	}
	return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE) / 1024;
}

/* Acquire, prefault when the library would (lib/os-batch.c), touch. */
static int hk_bench_fill(const struct hk_os_backend *ops, bool prefault, void **chunks,
			 size_t n, size_t touch, size_t page)
{
	for (size_t i = 0; i < n; i++) {
		int err = ops->acquire(HK_CHUNK_SIZE, HK_CHUNK_SIZE, &chunks[i]);

		if (!err && prefault)
			err = ops->prefault(chunks[i], HK_CHUNK_SIZE);
		if (err) {
			chunks[i] = NULL;
			return err;
		}
		for (size_t off = 0; off < touch; off += page)
			((volatile char *)chunks[i])[off] = 1;
	}
	return 0;
}

/* In the child: measure, then write the cell to fd. */
static void hk_bench_child(const struct hk_bench *b, int id, int pat, int fd)
{
	const struct hk_os_backend *ops = hk_os_backend_get((enum hk_backend_id)id);
	size_t page = b->f->caps.page_size ? b->f->caps.page_size : 4096;
	size_t touch = pat == HK_DENSE ? HK_CHUNK_SIZE : HK_CHUNK_SIZE / page / 10 * page;
	void **chunks = calloc(b->nchunks, sizeof(*chunks));
	struct hk_cell c = { 0 };
	struct rusage r0, r1;
	uint64_t rss0 = hk_bench_rss_kb(), t0;

	if (!chunks)
		_exit(3);
	getrusage(RUSAGE_SELF, &r0);
	t0 = hk_cli_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	c.err = hk_bench_fill(ops, b->prefault[id] != HK_PREFAULT_OFF, chunks,
			      b->nchunks, touch, page);
	c.cpu_ns = hk_cli_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	getrusage(RUSAGE_SELF, &r1);
	c.rss_kb = hk_bench_rss_kb() - rss0;
	c.minflt = (uint64_t)(r1.ru_minflt - r0.ru_minflt);
	c.sys_us = (uint64_t)((r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) * 1000000 +
			      (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec));
	t0 = hk_cli_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	for (size_t i = 0; i < b->nchunks && chunks[i]; i++)
		ops->release(chunks[i], HK_CHUNK_SIZE);
	c.rel_ns = hk_cli_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
	_exit(write(fd, &c, sizeof(c)) == (ssize_t)sizeof(c) ? 0 : 3);
}

static int hk_bench_run_cell(const struct hk_bench *b, int id, int pat, struct hk_cell *out)
{
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe(fds) != 0)
		return errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		close(fds[0]);
		close(fds[1]);
		return errno;
	}
	if (pid == 0) {
		close(fds[0]);
		hk_bench_child(b, id, pat, fds[1]);
	}
	close(fds[1]);
	n = read(fds[0], out, sizeof(*out));
	close(fds[0]);
	waitpid(pid, &status, 0);
	if (n != (ssize_t)sizeof(*out))
		out->err = ECHILD;
	return 0;
}

static const struct hk_hugepool *hk_bench_pool(const struct hk_caps *c, uint64_t kb)
{
	for (int i = 0; i < c->npools && i < HK_HUGEPOOLS_MAX; i++)
		if (c->pools[i].size_kb == kb)
			return &c->pools[i];
	return NULL;
}

/* Which backends can serve this run, and why not: the library's own
 * hk_select() asked for each backend by name (it demotes what the probe
 * found missing and says why), plus enough hugetlb pool pages for the
 * whole run.  A failure the probe did not foresee shows in the table as
 * "failed". */
static bool hk_bench_usable(struct hk_bench *b, int id, char *why, size_t n)
{
	struct hk_select_in in = { (enum hk_backend_id)id, hk_options()->prefault };
	const struct hk_caps *c = &b->f->caps;
	const struct hk_hugepool *p;
	struct hk_choice ch;
	long avail;

	hk_select(c, &in, &ch);
	b->prefault[id] = ch.prefault;
	if (ch.backend != (enum hk_backend_id)id) {
		snprintf(why, n, "%s", ch.reason);
		return false;
	}
	if (id != HK_BACKEND_HUGETLB)
		return true;
	p = hk_bench_pool(c, HK_CHUNK_SIZE / 1024);
	avail = p ? p->free - p->resv + (p->overcommit - p->surplus) : 0;
	if (avail >= (long)b->nchunks)
		return true;
	snprintf(why, n, "hugetlb pool has %ld free 2048 kB pages, needs %zu "
		 "(echo %zu > /proc/sys/vm/nr_hugepages)", avail > 0 ? avail : 0,
		 b->nchunks, b->nchunks + (p ? (size_t)p->total : 0));
	return false;
}

/* One pass over the usable backends; rep < 0 is the unmeasured warm-up.
 * Odd repetitions reverse the order of the backends and of the patterns,
 * so no cell always inherits the memory its neighbour just freed. */
static int hk_bench_pass(struct hk_bench *b, int rep, int *measured)
{
	struct hk_cell warm;
	bool rev = rep % 2 != 0;

	for (int k = 0; k < HK_BACKEND_COUNT; k++) {
		int id = rev ? HK_BACKEND_COUNT - 1 - k : k;

		if (!b->usable[id])
			continue;
		for (int j = 0; j < HK_PATTERNS; j++) {
			int pat = rev ? HK_PATTERNS - 1 - j : j;
			struct hk_cell *c = rep < 0 ? &warm : hk_bench_cell(b, id, pat, (unsigned)rep);
			int err;

			if (rep < 0 && pat != HK_DENSE)
				continue;
			err = hk_bench_run_cell(b, id, pat, c);
			if (err) {
				fprintf(stderr, "hk-probe: cannot start a cell: %s\n", strerror(err));
				return 2;
			}
			*measured += rep >= 0 && c->err == 0;
		}
	}
	return 0;
}

static int hk_bench_measure(struct hk_bench *b)
{
	int measured = 0;

	/* Memory a VM has not touched for a while is slow to fault again,
	 * 2 MiB pages the most (doc/KERNEL-COSTS.md, section 4): one unmeasured dense
	 * pass first, so the table compares backends on warm memory. */
	for (int rep = -1; rep < (int)b->reps; rep++)
		if (hk_bench_pass(b, rep, &measured))
			return 2;
	return measured ? 0 : 2;
}

/* The median of one field over the repetitions, and optionally the
 * smallest; err set if any repetition failed. */
static uint64_t hk_bench_median(struct hk_bench *b, int id, int pat, size_t field,
				int *err, uint64_t *min)
{
	uint64_t v[100];

	*err = 0;
	for (unsigned rep = 0; rep < b->reps; rep++) {
		const struct hk_cell *c = hk_bench_cell(b, id, pat, rep);

		if (c->err)
			*err = c->err;
		memcpy(&v[rep], (const char *)c + field, sizeof(uint64_t));
	}
	qsort(v, b->reps, sizeof(v[0]), hk_cli_cmp_u64);
	if (min)
		*min = v[0];
	return v[b->reps / 2];
}

static const char *const hk_bench_pat_name[HK_PATTERNS] = { "dense", "sparse" };

static void hk_bench_row(FILE *out, struct hk_bench *b, int id, int pat)
{
	double mib = (double)b->size / (1 << 20);
	int err, e;
	uint64_t min;
	uint64_t cpu = hk_bench_median(b, id, pat, offsetof(struct hk_cell, cpu_ns), &err, &min);
	uint64_t sys = hk_bench_median(b, id, pat, offsetof(struct hk_cell, sys_us), &e, NULL);
	uint64_t flt = hk_bench_median(b, id, pat, offsetof(struct hk_cell, minflt), &e, NULL);
	uint64_t rss = hk_bench_median(b, id, pat, offsetof(struct hk_cell, rss_kb), &e, NULL);
	uint64_t rel = hk_bench_median(b, id, pat, offsetof(struct hk_cell, rel_ns), &e, NULL);

	if (err) {
		fprintf(out, "%-13s %-7s failed: %s\n", hk_backend_name((enum hk_backend_id)id),
			hk_bench_pat_name[pat], hk_cli_errno_name(err));
		return;
	}
	fprintf(out, "%-13s %-7s %2d %10.1f %7.1f %7.1f %9.1f %8.1f %11.1f\n",
		hk_backend_name((enum hk_backend_id)id), hk_bench_pat_name[pat],
		(int)b->prefault[id], (double)cpu / 1000.0 / mib,
		(double)min / 1000.0 / mib, (double)sys / 1000.0,
		(double)flt / (double)b->nchunks, (double)rss / 1024.0,
		(double)rel / 1000.0 / mib);
}

/* Does the automatic choice agree with the fastest backend for pat?
 * Within 10% counts as agreeing: the machine is shared and noisy.  When
 * the medians disagree but the best runs would not, the cost is bimodal
 * (huge pages on memory a hypervisor took back): say so. */
static void hk_bench_verdict(FILE *out, struct hk_bench *b, int pat, enum hk_backend_id autob)
{
	const char *name = hk_bench_pat_name[pat];
	uint64_t best = UINT64_MAX, mine = UINT64_MAX, bestmin = UINT64_MAX, minemin = 0;
	int fastest = -1, err;

	for (int id = 0; id < HK_BACKEND_COUNT; id++) {
		uint64_t v, vmin;

		if (!b->usable[id])
			continue;
		v = hk_bench_median(b, id, pat, offsetof(struct hk_cell, cpu_ns), &err, &vmin);
		if (err)
			continue;
		if (id == (int)autob) {
			mine = v;
			minemin = vmin;
		}
		if (v < best) {
			best = v;
			fastest = id;
		}
		if (vmin < bestmin)
			bestmin = vmin;
	}
	if (fastest < 0)
		return;
	fprintf(out, "%s_fastest: %s (%.1f us/MiB)\n", name,
		hk_backend_name((enum hk_backend_id)fastest),
		(double)best / 1000.0 / ((double)b->size / (1 << 20)));
	fprintf(out, "%s_auto: %s", name, hk_backend_name(autob));
	if (mine == UINT64_MAX)
		fputs(" (not measured)\n", out);
	else if ((int)autob == fastest || mine * 10 <= best * 11)
		fputs(" (agrees)\n", out);
	else if (minemin * 10 <= bestmin * 11)
		fprintf(out, " (disagrees: %.2fx the fastest; its best run is within 10%% of the best of all: "
			"bimodal cost, see min)\n", (double)mine / (double)best);
	else
		fprintf(out, " (disagrees: %.2fx the fastest)\n", (double)mine / (double)best);
}

static void hk_bench_print(FILE *out, struct hk_bench *b)
{
	struct hk_select_in in = { HK_BACKEND_AUTO, hk_options()->prefault };
	struct hk_choice autoc;

	fprintf(out, "bench: %zu MiB in 2 MiB chunks per cell, %u repetitions, "
		"alternating order, medians\n"
		"cost: thread CPU time of acquire + prefault (pf: as HAKMEM_SS_PREFAULT "
		"resolves for the backend) + one write per page\n\n"
		"%-13s %-7s %2s %10s %7s %7s %9s %8s %11s\n", b->size >> 20, b->reps,
		"backend", "pattern", "pf", "us_per_MiB", "min", "sys_ms", "minflt/ch", "rss_MiB",
		"release_us/MiB");
	for (int id = 0; id < HK_BACKEND_COUNT; id++) {
		if (!b->usable[id]) {
			fprintf(out, "%-13s skipped: %s\n", hk_backend_name((enum hk_backend_id)id),
				b->why[id]);
			continue;
		}
		for (int pat = 0; pat < HK_PATTERNS; pat++)
			hk_bench_row(out, b, id, pat);
	}
	hk_select(&b->f->caps, &in, &autoc);
	fputc('\n', out);
	hk_bench_verdict(out, b, HK_DENSE, autoc.backend);
	hk_bench_verdict(out, b, HK_SPARSE, autoc.backend);
	fprintf(out, "note: large objects get lazy pages whatever the backend (hk_os_map)\n");
}

int hk_cli_bench(FILE *out, const struct hk_facts *f, const struct hk_bench_opts *o)
{
	struct hk_bench b = {
		.f = f,
		.size = (size_t)o->size_mib << 20,
		.reps = o->reps,
	};
	int rc;

	b.nchunks = b.size / HK_CHUNK_SIZE;
	for (int id = 0; id < HK_BACKEND_COUNT; id++)
		b.usable[id] = hk_bench_usable(&b, id, b.why[id], sizeof(b.why[id]));
	b.cells = calloc((size_t)HK_BACKEND_COUNT * HK_PATTERNS * b.reps, sizeof(*b.cells));
	if (!b.cells) {
		perror("hk-probe");
		return 2;
	}
	rc = hk_bench_measure(&b);
	if (rc == 0)
		hk_bench_print(out, &b);
	else
		fputs("hk-probe: no backend could be measured\n", stderr);
	free(b.cells);
	return rc;
}
