/* test-select: the backend policy against a table of made-up machines.
 * Each row: a machine, HAKMEM_BACKEND and HAKMEM_SS_PREFAULT in, and the
 * backend, purge, prefault and a piece of the reason out. */
#include <errno.h>
#include <string.h>

#include "probe/select.h"
#include "test/tap.h"

#define MiB ((uint64_t)1 << 20)

/* This machine: 6.18, THP madvise, every trial yes, hugetlbfs with an
 * empty pool, root, no cgroup limit. */
static void m_this(struct hk_caps *c)
{
	static const struct hk_trial yes = { HK_FEAT_YES, 0 };

	memset(c, 0, sizeof(*c));
	strcpy(c->release, "6.18.44-fc-v669");
	c->kmajor = 6, c->kminor = 18, c->kpatch = 44;
	c->page_size = 4096, c->ncpu = 2;
	c->populate_write = c->populate_read = c->map_populate = yes;
	c->madv_free = c->fixed_noreplace = c->madv_hugepage = yes;
	c->thp_enabled = HK_THP_MADVISE, c->thp_defrag = HK_DEFRAG_MADVISE;
	c->thp_pmd_size = 2 * MiB;
	c->hugetlbfs_registered = 1, c->huge_default_kb = 2048, c->npools = 2;
	c->pools[0].size_kb = 2048, c->pools[1].size_kb = 1048576;
	c->map_hugetlb = (struct hk_trial){ HK_FEAT_NO, ENOMEM };
	c->memlock_cur = c->memlock_max = 8 * MiB;
	c->overcommit = 0, c->max_map_count = 65530;
	c->cgroup_mem_max = UINT64_MAX;
	c->cap_ipc_lock = c->cap_sys_admin = 1;
}

static void m_old_nopop(struct hk_caps *c)	/* 5.10: no MADV_POPULATE_* */
{
	m_this(c);
	c->kmajor = 5, c->kminor = 10, c->kpatch = 0;
	c->populate_write = c->populate_read = (struct hk_trial){ HK_FEAT_NO, EINVAL };
}

static void m_rhel7(struct hk_caps *c)	/* 3.10: no populate, no MADV_FREE */
{
	m_old_nopop(c);
	c->kmajor = 3, c->kminor = 10;
	c->madv_free = (struct hk_trial){ HK_FEAT_NO, EINVAL };
	c->fixed_noreplace = (struct hk_trial){ HK_FEAT_NO, 0 };
	c->thp_enabled = HK_THP_ALWAYS;
}

static void m_nompop(struct hk_caps *c)	/* neither populate works */
{
	m_old_nopop(c);
	c->map_populate = (struct hk_trial){ HK_FEAT_NO, 0 };
}

static void m_thp_never(struct hk_caps *c) { m_this(c); c->thp_enabled = HK_THP_NEVER; }
static void m_thp_always(struct hk_caps *c) { m_this(c); c->thp_enabled = HK_THP_ALWAYS; }

/* THP defrag modes: only defer and never keep MADV_HUGEPAGE faults from
 * compacting memory synchronously. */
static void m_defer(struct hk_caps *c) { m_this(c); c->thp_defrag = HK_DEFRAG_DEFER; }
static void m_defrag_never(struct hk_caps *c) { m_this(c); c->thp_defrag = HK_DEFRAG_NEVER; }
static void m_defrag_always(struct hk_caps *c) { m_this(c); c->thp_defrag = HK_DEFRAG_ALWAYS; }
static void m_defrag_defer_madvise(struct hk_caps *c)
{
	m_this(c);
	c->thp_defrag = HK_DEFRAG_DEFER_MADVISE;
}
static void m_defrag_unknown(struct hk_caps *c) { m_this(c); c->thp_defrag = HK_DEFRAG_UNKNOWN; }
static void m_thp_always_defer(struct hk_caps *c) { m_thp_always(c); c->thp_defrag = HK_DEFRAG_DEFER; }

static void m_thp_absent(struct hk_caps *c)
{
	m_this(c);
	c->thp_enabled = HK_THP_ABSENT, c->thp_defrag = HK_DEFRAG_ABSENT;
	c->madv_hugepage = (struct hk_trial){ HK_FEAT_NO, EINVAL };
}

static void m_hugepage_refused(struct hk_caps *c)
{
	m_this(c);
	c->madv_hugepage = (struct hk_trial){ HK_FEAT_NO, EINVAL };
}

static void m_pool_full(struct hk_caps *c)
{
	m_this(c);
	c->pools[0].total = 512, c->pools[0].free = 500, c->pools[0].resv = 10;
	c->map_hugetlb = (struct hk_trial){ HK_FEAT_YES, 0 };
}

static void m_pool_reserved(struct hk_caps *c)	/* every free page reserved */
{
	m_pool_full(c);
	c->pools[0].free = c->pools[0].resv = 10;
	c->map_hugetlb = (struct hk_trial){ HK_FEAT_NO, ENOMEM };
}

static void m_pool_overcommit(struct hk_caps *c)	/* empty, surplus allowed */
{
	m_this(c);
	c->pools[0].overcommit = 8;
	c->map_hugetlb = (struct hk_trial){ HK_FEAT_YES, 0 };
}

static void m_pool_eperm(struct hk_caps *c)	/* pages, but the trial failed */
{
	m_pool_full(c);
	c->map_hugetlb = (struct hk_trial){ HK_FEAT_NO, EPERM };
}

/* default_hugepagesz=1G hugepages=2: the default pool has pages, the
 * 2 MiB one the backend maps has none (the probe's trial of a 2 MiB page
 * is then not made). */
static void m_gigantic(struct hk_caps *c)
{
	m_this(c);
	c->huge_default_kb = 1048576;
	c->pools[1].total = c->pools[1].free = 2;
}

/* The same where the kernel offers no 2 MiB pool at all. */
static void m_gigantic_only(struct hk_caps *c)
{
	m_gigantic(c);
	c->pools[0] = c->pools[1];
	c->npools = 1;
}

/* 1 GiB default, and a 2 MiB pool too. */
static void m_gigantic_both(struct hk_caps *c)
{
	m_gigantic(c);
	c->pools[0].total = c->pools[0].free = 16;
	c->map_hugetlb = (struct hk_trial){ HK_FEAT_YES, 0 };
}

static void m_no_hugetlbfs(struct hk_caps *c)
{
	m_this(c);
	c->hugetlbfs_registered = 0, c->huge_default_kb = 0, c->npools = 0;
	c->map_hugetlb = (struct hk_trial){ HK_FEAT_NO, ENOSYS };
}

static void m_user(struct hk_caps *c)	/* no CAP_IPC_LOCK, 64 KiB memlock, pool full */
{
	m_pool_full(c);
	c->cap_ipc_lock = c->cap_sys_admin = 0;
	c->memlock_cur = c->memlock_max = 64 << 10;
}

static void m_arm64_64k(struct hk_caps *c)	/* 64 KiB pages: 512 MiB PMD */
{
	m_this(c);
	c->page_size = 65536, c->thp_pmd_size = 512 * MiB;
}

static void m_container(struct hk_caps *c) { m_this(c); c->cgroup_mem_max = 512 * MiB; c->cgroup_version = 2; }
static void m_container_2g(struct hk_caps *c) { m_container(c); c->cgroup_mem_max = 2048 * MiB; }
static void m_container_defer(struct hk_caps *c) { m_container(c); c->thp_defrag = HK_DEFRAG_DEFER; }
static void m_container_2g_defer(struct hk_caps *c) { m_container_2g(c); c->thp_defrag = HK_DEFRAG_DEFER; }

static void m_no_trials(struct hk_caps *c)	/* a captured tree without trials */
{
	m_old_nopop(c);
	memset(&c->populate_write, 0, sizeof(c->populate_write));
	memset(&c->madv_free, 0, sizeof(c->madv_free));
}

#define A HK_BACKEND_AUTO
#define LAZY HK_BACKEND_LAZY
#define TOUCH HK_BACKEND_TOUCH
#define MAPP HK_BACKEND_MAP_POPULATE
#define POP HK_BACKEND_POPULATE
#define THP HK_BACKEND_THP
#define HUGE HK_BACKEND_HUGETLB
#define DONT HK_PURGE_DONTNEED
#define U HK_PREFAULT_UNSET
#define P0 HK_PREFAULT_OFF
#define P1 HK_PREFAULT_POPULATE
#define P2 HK_PREFAULT_TOUCH

static const struct row {
	const char *machine;
	void (*make)(struct hk_caps *c);
	enum hk_backend_id in;
	enum hk_prefault pf_in;
	enum hk_backend_id out;
	enum hk_purge purge;
	enum hk_prefault pf;
	const char *reason;
} rows[] = {
	{ "this", m_this, A, U, LAZY, DONT, P0, "auto: THP defrag=madvise: faults in MADV_HUGEPAGE memory may stall in direct compaction: lazy 4 KiB pages" },
	{ "this", m_this, A, P0, LAZY, DONT, P0, "auto: THP defrag=madvise" },
	{ "this", m_this, A, P1, LAZY, DONT, P1, "defrag=madvise" },
	{ "this", m_this, A, P2, LAZY, DONT, P2, "defrag=madvise" },
	{ "defrag defer", m_defer, A, U, THP, DONT, P0, "auto: THP madvise, defrag=defer and MADV_HUGEPAGE accepted: 2048 KiB" },
	{ "defrag defer", m_defer, A, P1, THP, DONT, P1, "auto: THP madvise, defrag=defer" },
	{ "defrag never", m_defrag_never, A, U, THP, DONT, P0, "auto: THP madvise, defrag=never" },
	{ "defrag always", m_defrag_always, A, U, LAZY, DONT, P0, "auto: THP defrag=always: faults" },
	{ "defrag defer+madvise", m_defrag_defer_madvise, A, U, LAZY, DONT, P0, "auto: THP defrag=defer+madvise: faults" },
	{ "defrag unknown", m_defrag_unknown, A, U, LAZY, DONT, P0, "auto: THP defrag=unknown: faults" },
	{ "defrag madvise, thp asked", m_this, THP, U, THP, DONT, P0, "HAKMEM_BACKEND=thp: requested" },
	{ "this", m_this, LAZY, U, LAZY, DONT, P0, "HAKMEM_BACKEND=lazy: requested, kernel 6.18.44" },
	{ "this", m_this, LAZY, P1, LAZY, DONT, P1, "requested" },
	{ "this", m_this, LAZY, P2, LAZY, DONT, P2, "requested" },
	{ "this", m_this, POP, U, POP, DONT, P1, "HAKMEM_BACKEND=populate: requested" },
	{ "this", m_this, POP, P0, POP, DONT, P0, "requested" },
	{ "this", m_this, MAPP, U, MAPP, DONT, P1, "HAKMEM_BACKEND=map_populate: requested" },
	{ "this", m_this, TOUCH, U, TOUCH, DONT, P1, "HAKMEM_BACKEND=touch: requested" },
	{ "this", m_this, THP, P1, THP, DONT, P1, "HAKMEM_BACKEND=thp: requested" },
	{ "this (pool empty)", m_this, HUGE, U, THP, DONT, P0,
	  "HAKMEM_BACKEND=hugetlb, but hugetlb pool empty (2048 kB pages: 0 free, 0 reserved, 0 total): demoted to thp" },
	{ "5.10 no populate", m_old_nopop, A, U, LAZY, DONT, P0, "auto: THP defrag=madvise" },
	{ "5.10 no populate", m_old_nopop, POP, U, MAPP, DONT, P1,
	  "HAKMEM_BACKEND=populate, but MADV_POPULATE_WRITE failed (errno 22, kernel 5.10.0): demoted to map_populate" },
	{ "3.10", m_rhel7, A, U, LAZY, DONT, P0, "auto: THP defrag=madvise" },
	{ "3.10", m_rhel7, POP, U, MAPP, DONT, P1, "kernel 3.10.0): demoted to map_populate" },
	{ "3.10", m_rhel7, POP, P2, MAPP, DONT, P2, "MADV_POPULATE_WRITE failed (errno 22" },
	{ "3.10", m_rhel7, LAZY, U, LAZY, DONT, P0, "requested" },
	{ "no populate at all", m_nompop, POP, U, TOUCH, DONT, P1, "MADV_POPULATE_WRITE failed (errno 22, kernel 5.10.0): demoted to touch" },
	{ "no populate at all", m_nompop, MAPP, U, TOUCH, DONT, P1, "HAKMEM_BACKEND=map_populate, but MAP_POPULATE failed (errno 0): demoted to touch" },
	{ "THP never", m_thp_never, A, U, LAZY, DONT, P0, "auto: THP enabled=never: lazy 4 KiB pages" },
	{ "THP never", m_thp_never, THP, U, LAZY, DONT, P0, "HAKMEM_BACKEND=thp, but THP enabled=never: demoted to lazy" },
	{ "THP never", m_thp_never, A, P1, LAZY, DONT, P1, "THP enabled=never" },
	{ "THP always", m_thp_always, A, U, LAZY, DONT, P0, "auto: THP defrag=madvise" },
	{ "THP always, defrag defer", m_thp_always_defer, A, U, THP, DONT, P0, "auto: THP always, defrag=defer and MADV_HUGEPAGE accepted" },
	{ "THP absent", m_thp_absent, A, U, LAZY, DONT, P0, "auto: THP absent" },
	{ "THP absent", m_thp_absent, THP, U, LAZY, DONT, P0, "but THP absent (no sysfs transparent_hugepage): demoted to lazy" },
	{ "THP absent", m_thp_absent, HUGE, U, LAZY, DONT, P0, "hugetlb pool empty" },
	{ "arm64 64 KiB pages", m_arm64_64k, A, U, LAZY, DONT, P0, "auto: THP page 524288 KiB > 2048 KiB superslab: lazy" },
	{ "arm64 64 KiB pages", m_arm64_64k, THP, U, THP, DONT, P0, "requested" },
	{ "MADV_HUGEPAGE refused", m_hugepage_refused, A, U, LAZY, DONT, P0, "auto: MADV_HUGEPAGE rejected (errno 22)" },
	{ "pool full", m_pool_full, A, U, LAZY, DONT, P0, "auto: THP defrag=madvise" },
	{ "pool full", m_pool_full, HUGE, U, HUGE, DONT, P0, "HAKMEM_BACKEND=hugetlb: requested" },
	{ "pool full", m_pool_full, HUGE, P1, HUGE, DONT, P1, "requested" },
	{ "pool all reserved", m_pool_reserved, HUGE, U, THP, DONT, P0, "hugetlb pool empty (2048 kB pages: 10 free, 10 reserved, 512 total)" },
	{ "pool overcommit", m_pool_overcommit, HUGE, U, HUGE, DONT, P0, "requested" },
	{ "pool full, trial EPERM", m_pool_eperm, HUGE, U, THP, DONT, P0, "MAP_HUGETLB failed (errno 1): demoted to thp" },
	{ "1 GiB default pool", m_gigantic, HUGE, U, THP, DONT, P0,
	  "HAKMEM_BACKEND=hugetlb, but hugetlb pool empty (2048 kB pages: 0 free, 0 reserved, 0 total); "
	  "1048576 kB pool (2 free) unused: a page would pin 512 superslabs: demoted to thp" },
	{ "1 GiB default pool", m_gigantic, A, U, LAZY, DONT, P0, "auto: THP defrag=madvise" },
	{ "1 GiB pool only", m_gigantic_only, HUGE, U, THP, DONT, P0,
	  "but no hugetlb pool of 2048 kB; 1048576 kB pool (2 free) unused: a page would pin 512 superslabs" },
	{ "1 GiB default, 2 MiB pool", m_gigantic_both, HUGE, U, HUGE, DONT, P0, "HAKMEM_BACKEND=hugetlb: requested" },
	{ "no hugetlbfs", m_no_hugetlbfs, HUGE, U, THP, DONT, P0, "but no hugetlbfs in this kernel: demoted to thp" },
	{ "no hugetlbfs", m_no_hugetlbfs, A, U, LAZY, DONT, P0, "auto: THP defrag" },
	{ "no CAP_IPC_LOCK, 64 KiB memlock", m_user, A, U, LAZY, DONT, P0, "auto: THP defrag=madvise" },
	{ "no CAP_IPC_LOCK, 64 KiB memlock", m_user, HUGE, U, HUGE, DONT, P0, "requested" },
	{ "no CAP_IPC_LOCK, 64 KiB memlock", m_user, POP, U, POP, DONT, P1, "requested" },
	{ "container 512 MiB", m_container, A, U, LAZY, DONT, P0, "auto: cgroup memory.max 512 MiB < 1024 MiB" },
	{ "container 512 MiB", m_container, A, P1, LAZY, DONT, P1, "memory.max 512 MiB" },
	{ "container 512 MiB", m_container, THP, U, THP, DONT, P0, "HAKMEM_BACKEND=thp: requested" },
	{ "container 2 GiB", m_container_2g, A, U, LAZY, DONT, P0, "auto: THP defrag=madvise" },
	{ "container 2 GiB, defrag defer", m_container_2g_defer, A, U, THP, DONT, P0, "auto: THP madvise, defrag=defer" },
	{ "container 512 MiB, defrag defer", m_container_defer, A, U, LAZY, DONT, P0, "auto: cgroup memory.max 512 MiB < 1024 MiB" },
	{ "tree without trials", m_no_trials, POP, U, POP, DONT, P1, "requested" },
};

static void test_rows(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct hk_select_in in = { r->in, r->pf_in };
		struct hk_caps c;
		struct hk_choice out;

		r->make(&c);
		memset(&out, 0x5a, sizeof(out));
		hk_select(&c, &in, &out);
		tap_ok(out.backend == r->out && out.purge == r->purge && out.prefault == r->pf &&
		       strstr(out.reason, r->reason) && !strchr(out.reason, '\n'),
		       "%s, %s, prefault %d -> %s, purge %s, prefault %d: %s", r->machine,
		       hk_backend_name(r->in), r->pf_in, hk_backend_name(out.backend),
		       out.purge == HK_PURGE_FREE ? "free" : "dontneed", out.prefault, out.reason);
	}
}

/* auto never takes the pool, on any machine of the table. */
static void test_auto_never_hugetlb(void)
{
	int bad = 0;

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		struct hk_select_in in = { A, U };
		struct hk_caps c;
		struct hk_choice out;

		rows[i].make(&c);
		hk_select(&c, &in, &out);
		bad += out.backend == HUGE;
	}
	tap_ok(bad == 0, "auto never picks hugetlb (%d machines did)", bad);
}

/* Under a cgroup limit below 1 GiB the choice keeps 4 KiB pages even
 * where THP "always" would map huge ones (probe/chunk.c advises every
 * chunk); never for the backends that are huge pages. */
static void test_small_pages(void)
{
	static const struct {
		void (*make)(struct hk_caps *);
		enum hk_backend_id in;
		bool want;
	} cases[] = {
		{ m_container, A, true }, { m_container, POP, true },
		{ m_container, LAZY, true }, { m_container_defer, A, true },
		{ m_container, THP, false }, { m_container_2g, A, false },
		{ m_this, A, false }, { m_thp_always, A, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct hk_select_in in = { cases[i].in, U };
		struct hk_caps c;
		struct hk_choice out;

		cases[i].make(&c);
		memset(&out, 0x5a, sizeof(out));
		hk_select(&c, &in, &out);
		tap_ok(out.small_pages == cases[i].want,
		       "small pages %s: cgroup limit %llu MiB, %s -> %s", cases[i].want ? "kept" : "not asked",
		       c.cgroup_mem_max == UINT64_MAX ? 0ULL : (unsigned long long)(c.cgroup_mem_max >> 20),
		       hk_backend_name(cases[i].in), hk_backend_name(out.backend));
	}
}

static void test_chain(void)
{
	enum hk_backend_id b;

	tap_ok(hk_backend_demote(HUGE) == THP && hk_backend_demote(THP) == LAZY,
	       "chain: hugetlb -> thp -> lazy");
	tap_ok(hk_backend_demote(POP) == MAPP && hk_backend_demote(MAPP) == TOUCH &&
	       hk_backend_demote(TOUCH) == LAZY && hk_backend_demote(LAZY) == LAZY,
	       "chain: populate -> map_populate -> touch -> lazy -> lazy");
	for (int i = 0; i < HK_BACKEND_COUNT; i++)
		if (hk_backend_parse(hk_backend_name((enum hk_backend_id)i), &b) || b != i)
			break;
	tap_ok(hk_backend_parse("auto", &b) == 0 && b == A && hk_backend_parse("fast", &b) == -1,
	       "backend names parse back; unknown names are refused");
}

int main(void)
{
	test_rows();
	test_auto_never_hugetlb();
	test_small_pages();
	test_chain();
	return tap_done();
}
