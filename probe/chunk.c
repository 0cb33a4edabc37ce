/* chunk.c: the run-time half of the policy (chunk.h says what): the dense
 * promotion state machine, the plan for one fresh chunk, and the
 * fallbacks below a backend.  Pure (no syscalls, no globals), like
 * select.c: test/unit/test-chunk.c and test/unit/test-dense.c pin it down,
 * lib/os-batch.c, lib/os.c and lib/os-dense.c carry it out, and hk-probe
 * prints its "dense" line from here.
 *
 * The plan (hakmem(7), "Backends" and "Dense memory under auto"):
 *   reserve  address space only (PROT_NONE) where the backend's mapping
 *            commits or under vm.overcommit_memory=2, else the backend's
 *            own lazy mapping;
 *   commit   the backend's own (MAP_POPULATE, MAP_HUGETLB) past the first
 *            HK_OS_LAZY_BYTES; a plain read-write mmap MAP_FIXED where the
 *            piece is only reserved (such a backend's early chunks, or
 *            vm.overcommit_memory=2); none otherwise;
 *   advice   MADV_NOHUGEPAGE for an early chunk under thp or THP
 *            "always" (one touch would cost 2 MiB), and for every chunk
 *            under THP "always" when the choice wants small pages (a
 *            cgroup limit under 1 GiB, select.c); MADV_HUGEPAGE for a
 *            thp chunk committed by its own mmap (the reservation's advice
 *            is lost); MADV_NOHUGEPAGE under THP "always" for a dense
 *            probe or a populated chunk (a probe's first touch would map
 *            2 MiB, and populate would fault the huge pages a slow trial
 *            just ruled out);
 *   prefault the backend's prefault past the early chunks when
 *            HAKMEM_SS_PREFAULT resolved to 1 or 2, then one write per
 *            page for 2;
 *   promote  what the dense state machine picked.
 *
 * The fallbacks, each counted and said under HAKMEM_VERBOSE:
 *   backend demotion   hk_backend_demotable (select.c): the chain;
 *   populate -> touch  MADV_POPULATE_WRITE failing with EINVAL (before
 *                      5.14): each page is touched instead, for good;
 *   free -> dontneed   MADV_FREE failing with EINVAL (before 4.5, or a
 *                      hugetlb range): MADV_DONTNEED, for good unless
 *                      hugetlb memory was ever acquired;
 *   dense acts         a demotable error turns THP or populate
 *                      promotion off (hk_dense_failed).
 */
#include <errno.h>

#include "probe/chunk.h"
#include "probe/fmt.h"

/* The superslab size (lib/os.h HK_CHUNK_SIZE): the only THP size a
 * chunk can be made of. */
#define HK_DENSE_CHUNK ((size_t)2 << 20)

void hk_dense_init(struct hk_dense *s, bool thp_ok, bool populate_ok)
{
	*s = (struct hk_dense){ .thp_ok = thp_ok, .populate_ok = populate_ok,
				.thp_backoff = HK_DENSE_BACKOFF_MIN };
}

bool hk_dense_sample(struct hk_dense *s, size_t resident, size_t pages)
{
	if (pages && resident * 100 >= pages * HK_DENSE_PCT) {
		if (s->streak < HK_DENSE_STREAK)
			s->streak++;
		return true;
	}
	s->streak = 0;
	s->since_probe = 0;
	return false;
}

enum hk_dense_act hk_dense_next(struct hk_dense *s)
{
	bool thp = s->thp_ok && s->thp_skip == 0;
	unsigned every = thp ? HK_DENSE_PROBE_EVERY_THP : HK_DENSE_PROBE_EVERY;

	if (s->streak < HK_DENSE_STREAK || (!s->thp_ok && !s->populate_ok) ||
	    ++s->since_probe >= every) {
		s->since_probe = 0;
		return HK_DENSE_PROBE;
	}
	if (s->thp_ok && s->thp_skip)
		s->thp_skip--;
	if (thp)
		return HK_DENSE_THP;
	return s->populate_ok ? HK_DENSE_POPULATE : HK_DENSE_PROBE;
}

/* THP lost: no THP for the next thp_backoff promotions, doubling. */
static void hk_dense_lose(struct hk_dense *s)
{
	s->thp_skip = s->thp_backoff;
	s->thp_backoff = s->thp_backoff * 2 > HK_DENSE_BACKOFF_MAX
				 ? HK_DENSE_BACKOFF_MAX : s->thp_backoff * 2;
}

bool hk_dense_trial(struct hk_dense *s, uint64_t ns, bool huge)
{
	if (huge && ns <= HK_DENSE_TRIAL_SLOW_NS) {
		s->thp_backoff = HK_DENSE_BACKOFF_MIN;
		return true;
	}
	hk_dense_lose(s);
	return false;
}

bool hk_dense_populate_rest(const struct hk_dense *s, bool huge)
{
	return !huge && s->populate_ok;
}

bool hk_dense_thp_ok(const struct hk_caps *c)
{
	return (c->thp_enabled == HK_THP_MADVISE || c->thp_enabled == HK_THP_ALWAYS) &&
	       c->madv_hugepage.state != HK_FEAT_NO &&
	       (c->thp_pmd_size == 0 || c->thp_pmd_size == HK_DENSE_CHUNK);
}

bool hk_dense_populate_ok(const struct hk_caps *c)
{
	return c->populate_write.state != HK_FEAT_NO;
}

bool hk_dense_failed(struct hk_dense *s, enum hk_dense_act act, bool demotable)
{
	/* A passing MADV_HUGEPAGE failure (ENOMEM: the chunk's own VMA
	 * would pass vm.max_map_count) backs off as a slow trial does,
	 * rather than failing again on every promoted chunk. */
	if (act == HK_DENSE_THP && !demotable)
		hk_dense_lose(s);
	if (demotable && act == HK_DENSE_THP)
		s->thp_ok = false;
	else if (demotable && act == HK_DENSE_POPULATE)
		s->populate_ok = false;
	return act == HK_DENSE_THP && s->populate_ok;
}

/* Lazy pages because auto chose them (a backend asked for stays as
 * asked), and nobody asked for a prefault: the probes would measure
 * nothing otherwise. */
bool hk_dense_applies(enum hk_backend_id asked, const struct hk_choice *ch)
{
	return asked == HK_BACKEND_AUTO && ch->backend == HK_BACKEND_LAZY &&
	       ch->prefault == HK_PREFAULT_OFF;
}

int hk_dense_describe(const struct hk_caps *c, enum hk_backend_id asked,
		      const struct hk_choice *ch, bool on,
		      char *line, size_t lsize, char *detail, size_t dsize)
{
	bool thp = hk_dense_thp_ok(c), pop = hk_dense_populate_ok(c);

	if (!hk_dense_applies(asked, ch))
		return 0;
	detail[0] = '\0';
	if (!on) {
		hk_fmt(line, lsize, "off (HAKMEM_DENSE=0)");
		return 1;
	}
	if (!thp && !pop) {
		hk_fmt(line, lsize, "neither THP nor MADV_POPULATE_WRITE here: all chunks stay lazy, unmeasured");
		return 1;
	}
	if (!thp)
		hk_fmt(line, lsize, "lazy chunks probed by mincore; once >= %d%% touched, later ones get MADV_POPULATE_WRITE",
		       HK_DENSE_PCT);
	else
		hk_fmt(line, lsize, "lazy chunks probed by mincore; once >= %d%% touched, later ones get THP (%s while a timed first fault takes > %u us)",
		       HK_DENSE_PCT, pop ? "MADV_POPULATE_WRITE" : "lazy pages",
		       HK_DENSE_TRIAL_SLOW_NS / 1000);
	if (thp)
		hk_fmt(detail, dsize, "1 chunk in %d (THP) or %d stays a probe",
		       HK_DENSE_PROBE_EVERY_THP, HK_DENSE_PROBE_EVERY);
	else
		hk_fmt(detail, dsize, "1 chunk in %d stays a probe", HK_DENSE_PROBE_EVERY);
	return 1;
}

bool hk_chunk_reserve_only(bool backend_commits, bool strict)
{
	return backend_commits || strict;
}

static enum hk_commit hk_chunk_commit(const struct hk_chunk_in *in)
{
	/* hugetlb pages come from their pool, outside the memory limit:
	 * its commit stays; MAP_POPULATE's would fault the whole chunk. */
	if (!in->early && in->backend_commits &&
	    (!in->tight || in->backend == HK_BACKEND_HUGETLB))
		return HK_COMMIT_BACKEND;
	return in->reserved_only ? HK_COMMIT_PLAIN : HK_COMMIT_NONE;
}

static enum hk_advice hk_chunk_advice(const struct hk_chunk_in *in)
{
	bool thp = in->backend == HK_BACKEND_THP;

	if (in->early && (thp || in->thp_always))
		return HK_ADVICE_NOHUGEPAGE;
	if (in->small_pages && in->thp_always && !thp)
		return HK_ADVICE_NOHUGEPAGE;
	if (!in->early && thp && in->reserved_only)
		return HK_ADVICE_HUGEPAGE;
	if (in->dense && !in->early && in->act != HK_DENSE_THP && in->thp_always)
		return HK_ADVICE_NOHUGEPAGE;
	return HK_ADVICE_NONE;
}

void hk_select_chunk(const struct hk_chunk_in *in, struct hk_chunk_plan *out)
{
	/* Under a memory limit the kernel kills rather than fail a map: a
	 * prefault of pages nobody may touch is what pushes a program that
	 * fits without it over the limit. */
	bool pf = !in->early && !in->tight && in->prefault != HK_PREFAULT_OFF &&
		  in->prefault != HK_PREFAULT_UNSET;

	out->commit = hk_chunk_commit(in);
	out->advice = hk_chunk_advice(in);
	out->prefault = pf;
	out->touch = pf && in->prefault == HK_PREFAULT_TOUCH;
	out->promote = in->dense && !in->early && !in->tight ? in->act : HK_DENSE_PROBE;
}

enum hk_advice hk_chunk_release_advice(bool dense, bool advised)
{
	return dense && advised ? HK_ADVICE_NOHUGEPAGE : HK_ADVICE_NONE;
}

bool hk_populate_demotable(int err)
{
	return err == EINVAL;
}

enum hk_purge hk_purge_advice(enum hk_backend_id backend, enum hk_purge asked)
{
	return backend == HK_BACKEND_HUGETLB ? HK_PURGE_DONTNEED : asked;
}

enum hk_purge hk_purge_demote(int err, bool hugetlb_seen, bool *for_good)
{
	*for_good = false;
	if (err != EINVAL)
		return HK_PURGE_FREE;
	*for_good = !hugetlb_seen;
	return HK_PURGE_DONTNEED;
}
