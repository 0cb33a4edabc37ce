/* select.c: the backend policy: facts + options -> backend, purge method,
 * prefault mode and a one-line reason.  Pure (no syscalls, no globals), so
 * test/unit/test-select.c pins it with a table of made-up machines, and
 * hk-probe and the library can never disagree.
 *
 * The policy (hakmem(7) carries the same text):
 *
 * HAKMEM_BACKEND=auto (the default)
 *   thp   when THP is enabled as "madvise" or "always", the
 *         MADV_HUGEPAGE trial was accepted and THP defrag is "defer" or
 *         "never": memory touched in full costs about 100 us/MiB with
 *         2 MiB pages against 320-440 us/MiB with 4 KiB ones (doc/
 *         KERNEL-COSTS.md, section 1), and munmap 9-15x less;
 *   lazy  otherwise.  Defrag "madvise", "always" and "defer+madvise" make
 *         a fault in MADV_HUGEPAGE memory compact memory synchronously
 *         when no free huge page is at hand: measured here (make bench,
 *         fresh-touch-all, 1 GiB touched) the same run took 0.14 s to
 *         3.2 s with thp against 0.6-1.0 s with lazy pages, and touching
 *         10% of it cost thp 2x lazy; after idle periods on a VM a THP
 *         fault costs 10-20x a warm one (doc/KERNEL-COSTS.md, section 4).  A fleet
 *         default must not stall a process for seconds, so huge pages
 *         are taken only where the kernel will not stall for them (or
 *         when asked for: HAKMEM_BACKEND=thp).  lazy also when the cgroup
 *         memory.max is under 1 GiB:
 *         one touch maps a whole 2 MiB page, so sparse use would inflate
 *         RSS up to 512x against a limit that small.  There a lazy
 *         mapping is not enough under THP "always", where the kernel
 *         maps huge pages into any aligned 2 MiB anyway: every chunk
 *         then gets MADV_NOHUGEPAGE (small_pages, whatever backend
 *         but thp and hugetlb: test-stress in a 96 MiB cgroup of
 *         Debian's 6.1, THP always, peaked at the limit with them and
 *         at 59-62 MiB without, glibc at 70); and when the THP
 *         size is larger than a 2 MiB superslab (arm64 with 64 KiB pages
 *         has 512 MiB ones), which could then never be huge.
 *   auto never takes hugetlb pool pages: a system-wide allocator must not
 *   drain a pool an administrator reserved for one program.  hugetlb is
 *   used only when asked for.  auto never prefaults either: memory of
 *   which 10% is touched costs 6-9x more CPU and 10x the RSS when
 *   prefaulted (doc/KERNEL-COSTS.md, section 2).
 *
 * An explicit HAKMEM_BACKEND whose feature the probe found missing is
 * demoted along the chain at once, and the reason names the missing fact:
 *   populate      needs the MADV_POPULATE_WRITE trial (Linux 5.14)
 *   map_populate  needs the MAP_POPULATE trial
 *   thp           needs THP madvise/always and MADV_HUGEPAGE accepted
 *   hugetlb       needs hugetlbfs, a free page in the default pool (or
 *                 overcommit room) and the MAP_HUGETLB trial
 *   touch, lazy   work everywhere
 * A fact the probe could not learn (UNKNOWN: a captured tree without
 * trials) does not demote; the OS layer still demotes at run time.
 *
 * The demotion chain (hk_backend_demote, also used by lib/os.c when a
 * call fails at run time):
 *   hugetlb -> thp -> lazy
 *   populate -> map_populate -> touch -> lazy
 *   lazy -> lazy
 * A run-time failure demotes (hk_backend_demotable) when a plainer
 * backend would not hit it: EINVAL, ENOSYS, EOPNOTSUPP (the kernel lacks
 * the feature), EPERM (a filter or policy forbids it), and ENOMEM from
 * hugetlb only (its pool ran dry; elsewhere ENOMEM is everyone's).  What
 * a chunk becomes under the backend in force, and the fallbacks below a
 * backend (populate -> touch, MADV_FREE -> MADV_DONTNEED), are in
 * chunk.c.
 *
 * Purge: MADV_DONTNEED, whatever the kernel.  MADV_FREE (4.5+) is
 * cheaper, but the pages it frees stay in the process's RSS (and count
 * against its cgroup) until the kernel is short of memory: a program
 * that frees most of what it allocated would look as big as at its
 * peak (bench/frag: 1594 MiB peak against 1228 with MADV_DONTNEED;
 * mimalloc purges with MADV_DONTNEED by default too).  The purge delay
 * (HAKMEM_PURGE_DELAY_MS) is what spares memory reused soon a refault.
 *
 * Prefault (HAKMEM_SS_PREFAULT): 0, 1 or 2 is kept as given, whatever
 * the backend (1 or 2 with lazy or thp keeps that backend and prefaults
 * it); unset means OFF for lazy, thp and hugetlb and POPULATE for the
 * prefaulting backends (populate, map_populate, touch).
 *
 * RLIMIT_MEMLOCK and CAP_IPC_LOCK change nothing: no backend mlocks, and
 * anonymous MAP_HUGETLB is not charged to the memlock limit (only
 * SHM_HUGETLB is).
 */
#include <errno.h>
#include <string.h>

#include "probe/fmt.h"
#include "probe/readers.h"
#include "probe/select.h"

/* A cgroup limit under this makes auto keep 4 KiB pages. */
#define HK_SELECT_THP_MIN_CGROUP ((uint64_t)1 << 30)
/* The superslab size (lib/os.h HK_CHUNK_SIZE): a larger PMD (arm64 with
 * 64 KiB pages: 512 MiB) could never back one, so THP would buy nothing. */
#define HK_SELECT_THP_MAX_PMD ((size_t)2 << 20)

static const char *const hk_backend_names[HK_BACKEND_COUNT] = {
	[HK_BACKEND_LAZY] = "lazy",
	[HK_BACKEND_TOUCH] = "touch",
	[HK_BACKEND_MAP_POPULATE] = "map_populate",
	[HK_BACKEND_POPULATE] = "populate",
	[HK_BACKEND_THP] = "thp",
	[HK_BACKEND_HUGETLB] = "hugetlb",
};

const char *hk_backend_name(enum hk_backend_id b)
{
	if (b == HK_BACKEND_AUTO)
		return "auto";
	return (unsigned)b < HK_BACKEND_COUNT ? hk_backend_names[b] : "?";
}

int hk_backend_parse(const char *name, enum hk_backend_id *out)
{
	if (strcmp(name, "auto") == 0) {
		*out = HK_BACKEND_AUTO;
		return 0;
	}
	for (int i = 0; i < HK_BACKEND_COUNT; i++) {
		if (strcmp(name, hk_backend_names[i]) == 0) {
			*out = (enum hk_backend_id)i;
			return 0;
		}
	}
	return -1;
}

enum hk_backend_id hk_backend_demote(enum hk_backend_id b)
{
	switch (b) {
	case HK_BACKEND_HUGETLB:
		return HK_BACKEND_THP;
	case HK_BACKEND_POPULATE:
		return HK_BACKEND_MAP_POPULATE;
	case HK_BACKEND_MAP_POPULATE:
		return HK_BACKEND_TOUCH;
	default:
		return HK_BACKEND_LAZY;
	}
}

bool hk_backend_demotable(enum hk_backend_id b, int err)
{
	if (b == HK_BACKEND_LAZY)
		return false;
	return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP ||
	       err == EPERM || (err == ENOMEM && b == HK_BACKEND_HUGETLB);
}

static int hk_select_no(const struct hk_trial *t)
{
	return t->state == HK_FEAT_NO;
}

static int hk_select_thp_missing(const struct hk_caps *c, char *why, size_t size)
{
	if (c->thp_enabled == HK_THP_ABSENT)
		hk_fmt(why, size, "THP absent (no sysfs transparent_hugepage)");
	else if (c->thp_enabled != HK_THP_MADVISE && c->thp_enabled != HK_THP_ALWAYS)
		hk_fmt(why, size, "THP enabled=%s", hk_thp_mode_name(c->thp_enabled));
	else if (hk_select_no(&c->madv_hugepage))
		hk_fmt(why, size, "MADV_HUGEPAGE rejected (errno %d)",
		       c->madv_hugepage.err);
	else
		return 0;
	return 1;
}

/* A pool of another size with free pages, which the backend leaves:
 * NULL when there is none. */
static const struct hk_hugepool *hk_select_other_pool(const struct hk_caps *c)
{
	for (int i = 0; i < c->npools && i < HK_HUGEPOOLS_MAX; i++)
		if (c->pools[i].size_kb != HK_HUGETLB_KB &&
		    c->pools[i].free > c->pools[i].resv)
			return &c->pools[i];
	return NULL;
}

static int hk_select_hugetlb_missing(const struct hk_caps *c, char *why,
				     size_t size)
{
	const struct hk_hugepool *p = hk_hugepool_find(c, HK_HUGETLB_KB);
	const struct hk_hugepool *o = hk_select_other_pool(c);
	size_t n;

	if (!c->hugetlbfs_registered)
		hk_fmt(why, size, "no hugetlbfs in this kernel");
	else if (!p)
		hk_fmt(why, size, "no hugetlb pool of %u kB", HK_HUGETLB_KB);
	else if (p->free <= p->resv && p->overcommit <= p->surplus)
		hk_fmt(why, size, "hugetlb pool empty (%llu kB pages: %ld free, %ld reserved, %ld total)",
		       (unsigned long long)p->size_kb, p->free, p->resv, p->total);
	else if (hk_select_no(&c->map_hugetlb))
		hk_fmt(why, size, "MAP_HUGETLB failed (errno %d)", c->map_hugetlb.err);
	else
		return 0;
	/* Pages of another size are there: say why they are left. */
	n = strlen(why);
	if (o && p != o && n < size)
		hk_fmt(why + n, size - n, "; %llu kB pool (%ld free) unused: a page would pin "
		       "%llu superslabs",
		       (unsigned long long)o->size_kb, o->free - o->resv,
		       (unsigned long long)(o->size_kb / HK_HUGETLB_KB));
	return 1;
}

/* 1 and why filled when the probe found b's feature missing. */
static int hk_select_missing(const struct hk_caps *c, enum hk_backend_id b,
			     char *why, size_t size)
{
	switch (b) {
	case HK_BACKEND_POPULATE:
		if (!hk_select_no(&c->populate_write))
			return 0;
		hk_fmt(why, size, "MADV_POPULATE_WRITE failed (errno %d, kernel %d.%d.%d)",
		       c->populate_write.err, c->kmajor, c->kminor, c->kpatch);
		return 1;
	case HK_BACKEND_MAP_POPULATE:
		if (!hk_select_no(&c->map_populate))
			return 0;
		hk_fmt(why, size, "MAP_POPULATE failed (errno %d)", c->map_populate.err);
		return 1;
	case HK_BACKEND_THP:
		return hk_select_thp_missing(c, why, size);
	case HK_BACKEND_HUGETLB:
		return hk_select_hugetlb_missing(c, why, size);
	default:
		return 0;
	}
}

static enum hk_backend_id hk_select_auto(const struct hk_caps *c, char *reason)
{
	char why[HK_REASON_MAX];

	if (hk_select_thp_missing(c, why, sizeof(why))) {
		hk_fmt(reason, HK_REASON_MAX, "auto: %s: lazy 4 KiB pages, faulted on first touch", why);
		return HK_BACKEND_LAZY;
	}
	if (c->thp_pmd_size > HK_SELECT_THP_MAX_PMD) {
		hk_fmt(reason, HK_REASON_MAX,
		       "auto: THP page %zu KiB > %zu KiB superslab: lazy",
		       c->thp_pmd_size >> 10, HK_SELECT_THP_MAX_PMD >> 10);
		return HK_BACKEND_LAZY;
	}
	if (c->cgroup_mem_max < HK_SELECT_THP_MIN_CGROUP) {
		hk_fmt(reason, HK_REASON_MAX,
		       "auto: cgroup memory.max %llu MiB < %llu MiB, huge pages would inflate RSS: lazy",
		       (unsigned long long)(c->cgroup_mem_max >> 20),
		       (unsigned long long)(HK_SELECT_THP_MIN_CGROUP >> 20));
		return HK_BACKEND_LAZY;
	}
	if (c->thp_defrag != HK_DEFRAG_DEFER && c->thp_defrag != HK_DEFRAG_NEVER) {
		hk_fmt(reason, HK_REASON_MAX,
		       "auto: THP defrag=%s: faults in MADV_HUGEPAGE memory may stall in direct compaction: lazy 4 KiB pages",
		       hk_thp_defrag_name(c->thp_defrag));
		return HK_BACKEND_LAZY;
	}
	hk_fmt(reason, HK_REASON_MAX,
	       "auto: THP %s, defrag=%s and MADV_HUGEPAGE accepted: %zu KiB pages, 3-4x cheaper per touched MiB",
	       hk_thp_mode_name(c->thp_enabled), hk_thp_defrag_name(c->thp_defrag),
	       c->thp_pmd_size >> 10);
	return HK_BACKEND_THP;
}

static enum hk_backend_id hk_select_explicit(const struct hk_caps *c,
					     enum hk_backend_id want,
					     char *reason)
{
	char why[HK_REASON_MAX];
	enum hk_backend_id b = want;

	if (!hk_select_missing(c, want, why, sizeof(why))) {
		hk_fmt(reason, HK_REASON_MAX, "HAKMEM_BACKEND=%s: requested, kernel %d.%d.%d",
		       hk_backend_name(want), c->kmajor, c->kminor, c->kpatch);
		return want;
	}
	do
		b = hk_backend_demote(b);
	while (hk_select_missing(c, b, reason, HK_REASON_MAX));
	hk_fmt(reason, HK_REASON_MAX, "HAKMEM_BACKEND=%s, but %s: demoted to %s",
	       hk_backend_name(want), why, hk_backend_name(b));
	return b;
}

static enum hk_prefault hk_select_prefault(enum hk_backend_id b,
					   enum hk_prefault asked)
{
	if (asked != HK_PREFAULT_UNSET)
		return asked;
	switch (b) {
	case HK_BACKEND_POPULATE:
	case HK_BACKEND_MAP_POPULATE:
	case HK_BACKEND_TOUCH:
		return HK_PREFAULT_POPULATE;
	default:
		return HK_PREFAULT_OFF;
	}
}

void hk_select(const struct hk_caps *caps, const struct hk_select_in *in,
	       struct hk_choice *out)
{
	if (in->backend == HK_BACKEND_AUTO || (unsigned)in->backend >= HK_BACKEND_COUNT)
		out->backend = hk_select_auto(caps, out->reason);
	else
		out->backend = hk_select_explicit(caps, in->backend, out->reason);
	out->purge = HK_PURGE_DONTNEED;
	out->prefault = hk_select_prefault(out->backend, in->prefault);
	out->small_pages = caps->cgroup_mem_max < HK_SELECT_THP_MIN_CGROUP &&
			   out->backend != HK_BACKEND_THP && out->backend != HK_BACKEND_HUGETLB;
}
