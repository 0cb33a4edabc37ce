/* test-chunk: what a fresh chunk becomes (hk_select_chunk) and which
 * failures demote or fall back, against made-up states: probe/chunk.c and
 * hk_backend_demotable are pure, so every case is a row. */
#include <errno.h>
#include <string.h>

#include "probe/chunk.h"
#include "test/tap.h"

#define LAZY HK_BACKEND_LAZY
#define THP HK_BACKEND_THP
#define HUGE HK_BACKEND_HUGETLB
#define MAPP HK_BACKEND_MAP_POPULATE
#define POP HK_BACKEND_POPULATE
#define TOUCH HK_BACKEND_TOUCH

#define C0 HK_COMMIT_NONE
#define CF HK_COMMIT_PLAIN
#define CB HK_COMMIT_BACKEND
#define A0 HK_ADVICE_NONE
#define AH HK_ADVICE_HUGEPAGE
#define AN HK_ADVICE_NOHUGEPAGE
#define PR HK_DENSE_PROBE
#define PT HK_DENSE_THP
#define PP HK_DENSE_POPULATE

struct row {
	const char *what;
	struct hk_chunk_in in;
	struct hk_chunk_plan out;
};

/* backend, commits, reserved_only, early, thp_always, prefault, dense, act, tight,
 * small_pages */
static const struct row rows[] = {
	{ "lazy, past the early chunks: nothing to do",
	  { LAZY, 0, 0, 0, 0, HK_PREFAULT_OFF, 0, PR }, { C0, A0, 0, 0, PR } },
	{ "lazy under overcommit=2: committed plainly",
	  { LAZY, 0, 1, 0, 0, HK_PREFAULT_OFF, 0, PR }, { CF, A0, 0, 0, PR } },
	{ "lazy early chunk, THP always: no huge page",
	  { LAZY, 0, 0, 1, 1, HK_PREFAULT_OFF, 0, PR }, { C0, AN, 0, 0, PR } },
	{ "lazy, THP always, not dense: left to the kernel",
	  { LAZY, 0, 0, 0, 1, HK_PREFAULT_OFF, 0, PR }, { C0, A0, 0, 0, PR } },
	{ "thp early chunk: MADV_NOHUGEPAGE",
	  { THP, 0, 0, 1, 0, HK_PREFAULT_OFF, 0, PR }, { C0, AN, 0, 0, PR } },
	{ "thp from a lazy reservation: the reservation's advice holds",
	  { THP, 0, 0, 0, 0, HK_PREFAULT_OFF, 0, PR }, { C0, A0, 0, 0, PR } },
	{ "thp committed by its own mmap: MADV_HUGEPAGE again",
	  { THP, 0, 1, 0, 0, HK_PREFAULT_OFF, 0, PR }, { CF, AH, 0, 0, PR } },
	{ "map_populate: its own commit",
	  { MAPP, 1, 1, 0, 0, HK_PREFAULT_POPULATE, 0, PR }, { CB, A0, 1, 0, PR } },
	{ "map_populate early chunk: plain commit, no prefault",
	  { MAPP, 1, 1, 1, 0, HK_PREFAULT_POPULATE, 0, PR }, { CF, A0, 0, 0, PR } },
	{ "hugetlb: its own commit",
	  { HUGE, 1, 1, 0, 0, HK_PREFAULT_OFF, 0, PR }, { CB, A0, 0, 0, PR } },
	{ "hugetlb demoted to thp, same reserved piece: plain commit, MADV_HUGEPAGE",
	  { THP, 0, 1, 0, 0, HK_PREFAULT_OFF, 0, PR }, { CF, AH, 0, 0, PR } },
	{ "populate: prefault",
	  { POP, 0, 0, 0, 0, HK_PREFAULT_POPULATE, 0, PR }, { C0, A0, 1, 0, PR } },
	{ "HAKMEM_SS_PREFAULT=2: prefault, then touch",
	  { TOUCH, 0, 0, 0, 0, HK_PREFAULT_TOUCH, 0, PR }, { C0, A0, 1, 1, PR } },
	{ "HAKMEM_SS_PREFAULT=2, early chunk: neither",
	  { TOUCH, 0, 0, 1, 0, HK_PREFAULT_TOUCH, 0, PR }, { C0, A0, 0, 0, PR } },
	{ "unresolved prefault: none",
	  { LAZY, 0, 0, 0, 0, HK_PREFAULT_UNSET, 0, PR }, { C0, A0, 0, 0, PR } },
	{ "dense probe",
	  { LAZY, 0, 0, 0, 0, HK_PREFAULT_OFF, 1, PR }, { C0, A0, 0, 0, PR } },
	{ "dense probe, THP always: MADV_NOHUGEPAGE",
	  { LAZY, 0, 0, 0, 1, HK_PREFAULT_OFF, 1, PR }, { C0, AN, 0, 0, PR } },
	{ "dense THP act, THP always: advised by the promotion only",
	  { LAZY, 0, 0, 0, 1, HK_PREFAULT_OFF, 1, PT }, { C0, A0, 0, 0, PT } },
	{ "dense populate act",
	  { LAZY, 0, 0, 0, 0, HK_PREFAULT_OFF, 1, PP }, { C0, A0, 0, 0, PP } },
	{ "dense populate act, THP always: MADV_NOHUGEPAGE first",
	  { LAZY, 0, 0, 0, 1, HK_PREFAULT_OFF, 1, PP }, { C0, AN, 0, 0, PP } },
	{ "dense under overcommit=2",
	  { LAZY, 0, 1, 0, 0, HK_PREFAULT_OFF, 1, PT }, { CF, A0, 0, 0, PT } },
	{ "a dense pick on an early chunk is not carried out",
	  { LAZY, 0, 0, 1, 1, HK_PREFAULT_OFF, 1, PT }, { C0, AN, 0, 0, PR } },
	{ "tight memory limit: populate does not prefault",
	  { POP, 0, 0, 0, 0, HK_PREFAULT_POPULATE, 0, PR, 1 }, { C0, A0, 0, 0, PR } },
	{ "tight memory limit: touch neither prefaults nor touches",
	  { TOUCH, 0, 0, 0, 0, HK_PREFAULT_TOUCH, 0, PR, 1 }, { C0, A0, 0, 0, PR } },
	{ "tight memory limit: map_populate commits plainly, lazy",
	  { MAPP, 1, 1, 0, 0, HK_PREFAULT_POPULATE, 0, PR, 1 }, { CF, A0, 0, 0, PR } },
	{ "tight memory limit: hugetlb keeps its commit (the pool is outside it)",
	  { HUGE, 1, 1, 0, 0, HK_PREFAULT_OFF, 0, PR, 1 }, { CB, A0, 0, 0, PR } },
	{ "small cgroup limit, THP always: no huge page past the early chunks either",
	  { LAZY, 0, 0, 0, 1, HK_PREFAULT_OFF, 0, PR, 0, 1 }, { C0, AN, 0, 0, PR } },
	{ "small cgroup limit, populate, THP always: no huge page",
	  { POP, 0, 0, 0, 1, HK_PREFAULT_POPULATE, 0, PR, 0, 1 }, { C0, AN, 1, 0, PR } },
	{ "small cgroup limit, THP madvise: nothing to undo",
	  { LAZY, 0, 0, 0, 0, HK_PREFAULT_OFF, 0, PR, 0, 1 }, { C0, A0, 0, 0, PR } },
	{ "tight memory limit: no dense promotion",
	  { LAZY, 0, 0, 0, 0, HK_PREFAULT_OFF, 1, PP, 1 }, { C0, A0, 0, 0, PR } },
};

static void test_plans(void)
{
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const struct row *r = &rows[i];
		struct hk_chunk_plan p;

		memset(&p, 0x5a, sizeof(p));
		hk_select_chunk(&r->in, &p);
		tap_ok(p.commit == r->out.commit && p.advice == r->out.advice &&
		       p.prefault == r->out.prefault && p.touch == r->out.touch &&
		       p.promote == r->out.promote,
		       "%s: commit %d advice %d prefault %d touch %d promote %d", r->what,
		       p.commit, p.advice, p.prefault, p.touch, p.promote);
	}
}

static void test_demotable(void)
{
	static const int demote[] = { EINVAL, ENOSYS, EOPNOTSUPP, EPERM };
	int bad = 0;

	for (int b = 0; b < HK_BACKEND_COUNT; b++)
		for (size_t i = 0; i < sizeof(demote) / sizeof(demote[0]); i++)
			bad += hk_backend_demotable((enum hk_backend_id)b, demote[i]) != (b != LAZY);
	tap_ok(bad == 0, "EINVAL, ENOSYS, EOPNOTSUPP, EPERM demote every backend but lazy (%d wrong)",
	       bad);
	tap_ok(hk_backend_demotable(HUGE, ENOMEM) && !hk_backend_demotable(THP, ENOMEM) &&
	       !hk_backend_demotable(POP, ENOMEM) && !hk_backend_demotable(MAPP, ENOMEM),
	       "ENOMEM demotes hugetlb only (its pool ran dry)");
	tap_ok(!hk_backend_demotable(THP, EAGAIN) && !hk_backend_demotable(HUGE, EFAULT) &&
	       !hk_backend_demotable(LAZY, ENOMEM), "other errors are the caller's");
}

static void test_fallbacks(void)
{
	bool good = true;

	tap_ok(hk_populate_demotable(EINVAL) && !hk_populate_demotable(0) &&
	       !hk_populate_demotable(ENOMEM) && !hk_populate_demotable(EPERM),
	       "populate -> touch on EINVAL only");
	tap_ok(hk_purge_advice(HUGE, HK_PURGE_FREE) == HK_PURGE_DONTNEED &&
	       hk_purge_advice(LAZY, HK_PURGE_FREE) == HK_PURGE_FREE &&
	       hk_purge_advice(THP, HK_PURGE_DONTNEED) == HK_PURGE_DONTNEED,
	       "hugetlb purges with MADV_DONTNEED whatever was asked");
	tap_ok(hk_purge_demote(ENOMEM, false, &good) == HK_PURGE_FREE && !good,
	       "MADV_FREE failing otherwise than EINVAL: the error stands");
	tap_ok(hk_purge_demote(EINVAL, false, &good) == HK_PURGE_DONTNEED && good,
	       "MADV_FREE EINVAL, no hugetlb ever: MADV_DONTNEED for good");
	tap_ok(hk_purge_demote(EINVAL, true, &good) == HK_PURGE_DONTNEED && !good,
	       "MADV_FREE EINVAL with hugetlb memory: MADV_DONTNEED this once");
	tap_ok(hk_chunk_reserve_only(true, false) && hk_chunk_reserve_only(false, true) &&
	       !hk_chunk_reserve_only(false, false),
	       "reservations are address space only where the mapping commits, or overcommit=2");
	tap_ok(hk_chunk_release_advice(true, true) == AN &&
	       hk_chunk_release_advice(true, false) == A0 &&
	       hk_chunk_release_advice(false, true) == A0,
	       "a chunk back in the cache: MADV_NOHUGEPAGE once any was advised");
}

static void test_describe(void)
{
	struct hk_choice lazy = { .backend = LAZY, .prefault = HK_PREFAULT_OFF };
	struct hk_choice pf = { .backend = LAZY, .prefault = HK_PREFAULT_POPULATE };
	struct hk_caps c;
	char line[HK_REASON_MAX], detail[48];

	memset(&c, 0, sizeof(c));
	c.thp_enabled = HK_THP_MADVISE, c.thp_pmd_size = (size_t)2 << 20;
	tap_ok(hk_dense_applies(HK_BACKEND_AUTO, &lazy) && !hk_dense_applies(LAZY, &lazy) &&
	       !hk_dense_applies(HK_BACKEND_AUTO, &pf),
	       "promotion applies to auto's lazy pages only, without a prefault");
	tap_ok(!hk_dense_describe(&c, LAZY, &lazy, true, line, sizeof(line), detail, sizeof(detail)),
	       "no dense line for an asked backend");
	tap_ok(hk_dense_describe(&c, HK_BACKEND_AUTO, &lazy, false, line, sizeof(line), detail,
				 sizeof(detail)) && !strcmp(line, "off (HAKMEM_DENSE=0)") && !detail[0],
	       "HAKMEM_DENSE=0: %s", line);
	hk_dense_describe(&c, HK_BACKEND_AUTO, &lazy, true, line, sizeof(line), detail, sizeof(detail));
	tap_ok(strstr(line, "later ones get THP (MADV_POPULATE_WRITE while a timed first fault takes > 640 us)") &&
	       !strcmp(detail, "1 chunk in 16 (THP) or 8 stays a probe"), "THP: %s (%s)", line, detail);
	c.thp_pmd_size = (size_t)512 << 20;
	hk_dense_describe(&c, HK_BACKEND_AUTO, &lazy, true, line, sizeof(line), detail, sizeof(detail));
	tap_ok(strstr(line, "later ones get MADV_POPULATE_WRITE") &&
	       !strcmp(detail, "1 chunk in 8 stays a probe"), "512 MiB THP: %s (%s)", line, detail);
	c.populate_write = (struct hk_trial){ HK_FEAT_NO, EINVAL };
	hk_dense_describe(&c, HK_BACKEND_AUTO, &lazy, true, line, sizeof(line), detail, sizeof(detail));
	tap_ok(strstr(line, "neither THP nor MADV_POPULATE_WRITE") != NULL, "neither: %s", line);
}

int main(void)
{
	test_plans();
	test_demotable();
	test_fallbacks();
	test_describe();
	return tap_done();
}
