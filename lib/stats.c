/* stats.c: the counters of HAKMEM_STATS, their text report (printed at
 * exit under HAKMEM_STATS=1, stats-exit.c), and the glibc reports built
 * on them: malloc_stats, mallinfo, mallinfo2 and malloc_info.
 *
 * Counters are relaxed atomics bumped on slow paths only; the fast path
 * counts nothing.  "blocks" per class are the blocks the slabs of that
 * class hold in use now, summed over every superslab while their owners
 * work, so the figures are approximate while other threads allocate;
 * any thread may ask at any time (hk_usage).
 */
#include <errno.h>
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "include/hakmem.h"
#include "lib/glibc.h"
#include "lib/internal.h"
#include "lib/msg.h"
#include "lib/os.h"
#include "lib/os-dense.h"
#include "lib/stats-impl.h"

uint64_t hk_stats[HK_ST_COUNT];

/* One superslab's slabs, read while its owner works: each field is
 * read once and bounded, so that a descriptor caught half set up adds a
 * slab or a few blocks too many or too few, never more bytes than the
 * slices left in the superslab. */
static void hk_usage_ss(struct hk_superslab *ss, void *arg)
{
	struct hk_usage *u = arg;

	u->superslabs++;
	for (unsigned i = 1; i < HK_SLICES; i++) {
		struct hk_slab *s = &ss->slabs[i];
		uint64_t bytes, room = (uint64_t)(HK_SLICES - i) << HK_SLICE_SHIFT;
		uint32_t used;
		uint8_t cls;

		if (__atomic_load_n(&ss->slab_of[i], __ATOMIC_RELAXED) != i)
			continue;
		cls = __atomic_load_n(&s->cls, __ATOMIC_RELAXED);
		used = __atomic_load_n(&s->used, __ATOMIC_RELAXED) & ~HK_SLAB_FULL;
		bytes = (uint64_t)used * __atomic_load_n(&s->block, __ATOMIC_RELAXED);
		if (cls >= HK_NCLASS)
			continue;
		u->blocks[cls] += used;
		u->slabs[cls]++;
		u->in_use += bytes < room ? bytes : room;
	}
}

/* Every superslab mapped, through the segment map, which keeps each
 * mapped while it is read: a heap's list of superslabs is its owner's
 * alone, and one read through it may be unmapped under the reader.
 * Those of exited threads count too (their blocks live on). */
void hk_usage(struct hk_usage *u)
{
	memset(u, 0, sizeof(*u));
	hk_segmap_each_ss(hk_usage_ss, u);
}

static void hk_out(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void hk_stats_write(int fd, const char *buf, size_t n)
{
	while (n) {
		ssize_t w = write(fd, buf, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		buf += w;
		n -= (size_t)w;
	}
}

static void hk_out(int fd, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	size_t n;

	va_start(ap, fmt);
	n = hk_vfmt(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	hk_stats_write(fd, buf, n);
}

static void hk_stats_os(int fd)
{
	struct hk_dense_counters d;
	struct hk_os_counters c;

	hk_os_counters(hk_os_current()->id, &c);
	hk_out(fd, "hakmem: backend %s: regions %llu, bytes %llu, released %llu, "
	       "purges %llu (%llu bytes), failures %llu, demotions %llu, fallbacks %llu\n",
	       hk_os_current()->name, (unsigned long long)c.regions,
	       (unsigned long long)c.bytes, (unsigned long long)c.released,
	       (unsigned long long)c.purges, (unsigned long long)c.purged,
	       (unsigned long long)c.failures, (unsigned long long)c.demotions,
	       (unsigned long long)c.fallbacks);
	hk_os_counters(HK_BACKEND_HUGETLB, &c);
	if (c.fork_moved || c.fork_left || c.fork_waits)
		hk_out(fd, "hakmem: fork: hugetlb bytes moved to ordinary pages %llu, "
		       "left shared %llu; waits for a child %llu\n",
		       (unsigned long long)c.fork_moved, (unsigned long long)c.fork_left,
		       (unsigned long long)c.fork_waits);
	hk_dense_counters(&d);
	if (d.probes)
		hk_out(fd, "hakmem: dense: probes %llu, sampled %llu (dense %llu); "
		       "promoted thp %llu, populate %llu; slow THP trials %llu, failures %llu\n",
		       (unsigned long long)d.probes, (unsigned long long)d.sampled,
		       (unsigned long long)d.dense, (unsigned long long)d.thp,
		       (unsigned long long)d.populate, (unsigned long long)d.trials_slow,
		       (unsigned long long)d.failures);
}

void hk_stats_text(int fd, bool usage)
{
	struct hk_usage u;
	struct rusage ru;
	int saved = errno;

	hk_usage(&u);
	for (unsigned c = 0; c < HK_NCLASS; c++)
		if (u.slabs[c])
			hk_out(fd, "hakmem: class %6u: %llu blocks in use, %llu slabs\n",
			       (unsigned)hk_class_size[c], (unsigned long long)u.blocks[c],
			       (unsigned long long)u.slabs[c]);
	hk_out(fd, "hakmem: superslabs: new %llu, freed %llu, reclaimed %llu, "
	       "mapped %llu; slabs made %llu; threads %llu\n",
	       (unsigned long long)hk_stats[HK_ST_SS_NEW],
	       (unsigned long long)hk_stats[HK_ST_SS_FREE],
	       (unsigned long long)hk_stats[HK_ST_SS_RECLAIM],
	       (unsigned long long)u.superslabs,
	       (unsigned long long)hk_stats[HK_ST_SLAB_NEW],
	       (unsigned long long)hk_stats[HK_ST_THREADS]);
	hk_out(fd, "hakmem: large: maps %llu, unmaps %llu, cache hits %llu, "
	       "remaps %llu, mapped %llu bytes; purged %llu bytes, "
	       "%llu slabs of waiting owners\n",
	       (unsigned long long)hk_stats[HK_ST_LARGE_MAP],
	       (unsigned long long)hk_stats[HK_ST_LARGE_UNMAP],
	       (unsigned long long)hk_stats[HK_ST_LARGE_HIT],
	       (unsigned long long)hk_stats[HK_ST_LARGE_REMAP],
	       (unsigned long long)hk_stats[HK_ST_LARGE_BYTES],
	       (unsigned long long)hk_stats[HK_ST_PURGED],
	       (unsigned long long)hk_stats[HK_ST_TRIMMED]);
	hk_stats_os(fd);
	if (usage && getrusage(RUSAGE_SELF, &ru) == 0)
		hk_out(fd, "hakmem: page faults: minor %ld, major %ld; peak RSS %ld KiB\n",
		       ru.ru_minflt, ru.ru_majflt, ru.ru_maxrss);
	errno = saved;
}

void hk_stats_print(bool usage)
{
	hk_stats_text(hk_stats_fd, usage);
}

static void hk_mallinfo_fill(size_t *arena, size_t *inuse, size_t *hblks,
			     size_t *hblkhd)
{
	struct hk_usage u;

	hk_usage(&u);
	*arena = (size_t)u.superslabs * HK_SS_SIZE;
	*inuse = (size_t)u.in_use;
	*hblks = (size_t)(hk_stats[HK_ST_LARGE_MAP] - hk_stats[HK_ST_LARGE_UNMAP]);
	*hblkhd = (size_t)hk_stats[HK_ST_LARGE_BYTES];
}

HK_EXPORT struct mallinfo2 hk_mallinfo2(void)
{
	const struct hk_glibc *g = hk_glibc();
	struct mallinfo2 mi = { 0 };

	if (g)
		return g->mallinfo2();

	hk_mallinfo_fill(&mi.arena, &mi.uordblks, &mi.hblks, &mi.hblkhd);
	mi.fordblks = mi.arena - mi.uordblks;
	return mi;
}

/* Saturated to int, as glibc's own mallinfo does not even do. */
static int hk_int(size_t v)
{
	return v > (size_t)INT32_MAX ? INT32_MAX : (int)v;
}

HK_EXPORT struct mallinfo hk_mallinfo(void)
{
	const struct hk_glibc *g = hk_glibc();
	struct mallinfo2 m2;
	struct mallinfo mi = { 0 };

	if (g)
		return g->mallinfo();
	m2 = hk_mallinfo2();

	mi.arena = hk_int(m2.arena);
	mi.uordblks = hk_int(m2.uordblks);
	mi.fordblks = hk_int(m2.fordblks);
	mi.hblks = hk_int(m2.hblks);
	mi.hblkhd = hk_int(m2.hblkhd);
	return mi;
}

/* The XML goes out with write(2) on fileno(f) after fflush(f), so the
 * text lands in order without stdio allocating a buffer in here.  A FILE
 * with no descriptor (fmemopen, open_memstream) gets nothing: EINVAL. */
HK_EXPORT int hk_malloc_info(int options, FILE *f)
{
	const struct hk_glibc *g = hk_glibc();
	struct mallinfo2 m;
	int fd;

	if (g)
		return g->malloc_info(options, f);
	m = hk_mallinfo2();

	if (options != 0 || !f) {
		errno = EINVAL;
		return -1;
	}
	fflush(f);
	fd = fileno(f);
	if (fd < 0) {
		errno = EINVAL;
		return -1;
	}
	hk_out(fd, "<malloc version=\"hakmem-1\">\n<heap nr=\"0\">\n");
	hk_out(fd, "<total type=\"superslabs\" size=\"%zu\"/>\n", m.arena);
	hk_out(fd, "<total type=\"in-use\" size=\"%zu\"/>\n", m.uordblks);
	hk_out(fd, "<total type=\"mmap\" count=\"%zu\" size=\"%zu\"/>\n",
	       m.hblks, m.hblkhd);
	hk_out(fd, "</heap>\n</malloc>\n");
	return 0;
}
