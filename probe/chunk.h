/* chunk.h: what a fresh superslab chunk becomes, and which failures fall
 * back to what: the half of the policy that hk_select() leaves to run
 * time.
 *
 * hk_select() picks the backend once per process; the functions here
 * turn the backend in force, the chunk's place (early, reserved only)
 * and the dense state into a plan for one chunk (commit, advice,
 * prefault, promotion), and an error into a demotion or a fallback.
 * Like hk_select() they are pure (no syscalls, no globals), so
 * test/unit/test-chunk.c and test/unit/test-dense.c feed them made-up
 * machines, and lib/os-batch.c only carries the plans out.
 *
 * Dense promotion under auto: auto leaves chunks lazy where THP faults
 * may stall (probe/select.c).  Lazy chunks then serve as probes:
 * mincore(2) tells, one chunk after another, how much of an earlier chunk
 * the program touched.  While the probes are dense, later fresh chunks
 * are promoted: to a huge page (MADV_HUGEPAGE) as long as a timed trial
 * of each chunk's first fault says huge pages are cheap here (a VM with
 * free page reporting can make one cost 10-20x: doc/KERNEL-COSTS.md,
 * section 4), else to MADV_POPULATE_WRITE; one chunk in 8 or 16 stays a
 * lazy probe, so the density keeps being measured.  A sparse probe stops
 * promotion at once.  The decisions are a state machine (struct
 * hk_dense); lib/os-dense.c holds the sensors that feed it.
 */
#ifndef HK_CHUNK_H
#define HK_CHUNK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/caps.h"
#include "probe/select.h"

/* A probe at or above this share of resident pages is dense: high
 * enough that a promoted chunk's full RSS is RSS the program would have
 * reached anyway. */
#define HK_DENSE_PCT 88
/* Dense probes in a row before the first promotion. */
#define HK_DENSE_STREAK 2
/* While promoting, one fresh chunk in this many stays a lazy probe: a
 * probe costs what a lazy chunk costs, about 1.25x a populated one and
 * 3-4x a huge one (doc/KERNEL-COSTS.md, section 1), so probes are rarer while huge
 * pages win.  The price is the reaction to memory turning sparse: up to
 * HK_DENSE_PROBE_EVERY_THP + 8 more chunks promoted (the 8: os-dense.c's
 * lag) before a probe says so. */
#define HK_DENSE_PROBE_EVERY 8
#define HK_DENSE_PROBE_EVERY_THP 16
/* A THP first fault slower than this loses to the fallback: populating
 * 2 MiB of 4 KiB pages costs about 320 us/MiB (doc/KERNEL-COSTS.md, section 1); a
 * warm huge page about 100 us/MiB, one the hypervisor took back
 * 1.3-2.2 ms/MiB (section 4). */
#define HK_DENSE_TRIAL_SLOW_NS 640000u
/* After a slow trial, this many promoted chunks are populated instead
 * of huge, doubling per slow trial up to the cap; a fast trial resets
 * it. */
#define HK_DENSE_BACKOFF_MIN 4u
#define HK_DENSE_BACKOFF_MAX 256u

/* What to make of a fresh chunk. */
enum hk_dense_act {
	HK_DENSE_PROBE = 0,	/* lazy 4 KiB pages, measured later */
	HK_DENSE_THP,		/* MADV_HUGEPAGE, first fault timed */
	HK_DENSE_POPULATE,	/* MADV_POPULATE_WRITE */
};

struct hk_dense {
	bool thp_ok;		/* THP madvise/always, MADV_HUGEPAGE accepted */
	bool populate_ok;	/* MADV_POPULATE_WRITE works */
	unsigned streak;	/* dense probes in a row */
	unsigned since_probe;	/* promoted chunks since the last probe */
	unsigned thp_skip;	/* promotions before THP is tried again */
	unsigned thp_backoff;	/* the next thp_skip after a slow trial */
};

/* From the probe's facts: whether a chunk can be made huge (THP
 * madvise/always, MADV_HUGEPAGE accepted, 2 MiB pages), populated. */
bool hk_dense_thp_ok(const struct hk_caps *c);
bool hk_dense_populate_ok(const struct hk_caps *c);
/* Whether auto's choice ch leaves room for promotion: HAKMEM_BACKEND
 * (asked) auto, resolved to lazy, no HAKMEM_SS_PREFAULT. */
bool hk_dense_applies(enum hk_backend_id asked, const struct hk_choice *ch);
void hk_dense_init(struct hk_dense *s, bool thp_ok, bool populate_ok);
/* A probe had resident of pages resident; returns whether that is dense. */
bool hk_dense_sample(struct hk_dense *s, size_t resident, size_t pages);
/* The next fresh chunk's fate. */
enum hk_dense_act hk_dense_next(struct hk_dense *s);
/* A THP chunk's first fault took ns, and mapped a huge page or not (a
 * kernel out of huge pages, or THP disabled for the process, falls back
 * to a 4 KiB page).  Returns whether THP won. */
bool hk_dense_trial(struct hk_dense *s, uint64_t ns, bool huge);
/* After a trial: whether the rest of the chunk is populated (no huge
 * page came, so the rest is 4 KiB faults to come, and populate works). */
bool hk_dense_populate_rest(const struct hk_dense *s, bool huge);
/* Promotion act failed with err: an error a plainer kernel gives
 * (demotable, hk_backend_demotable) turns that act off for the process;
 * a passing MADV_HUGEPAGE failure backs THP off as a slow trial does.
 * Returns whether the chunk is then populated instead (a failed THP
 * act, populate still working). */
bool hk_dense_failed(struct hk_dense *s, enum hk_dense_act act, bool demotable);
/* hk-probe's "dense" line, for caps and choice under HAKMEM_BACKEND=asked
 * and HAKMEM_DENSE=on: 0 and nothing written when promotion does not
 * apply, else 1 with the line in line and its detail in detail. */
int hk_dense_describe(const struct hk_caps *c, enum hk_backend_id asked,
		      const struct hk_choice *ch, bool on,
		      char *line, size_t lsize, char *detail, size_t dsize);

/* The plan for one fresh chunk. */
enum hk_commit {
	HK_COMMIT_NONE = 0,	/* the memory is mapped read-write already */
	HK_COMMIT_PLAIN,	/* mmap MAP_FIXED read-write over the reservation */
	HK_COMMIT_BACKEND,	/* the backend's .commit (MAP_POPULATE, MAP_HUGETLB) */
};

enum hk_advice {
	HK_ADVICE_NONE = 0,
	HK_ADVICE_HUGEPAGE,	/* madvise(MADV_HUGEPAGE) */
	HK_ADVICE_NOHUGEPAGE,	/* madvise(MADV_NOHUGEPAGE) */
};

struct hk_chunk_in {
	enum hk_backend_id backend;	/* in force now */
	bool backend_commits;		/* its mmap commits (has .commit) */
	bool reserved_only;		/* carved from PROT_NONE address space */
	bool early;			/* within the first HK_OS_LAZY_BYTES */
	bool thp_always;		/* THP enabled=always */
	enum hk_prefault prefault;	/* as hk_select resolved it */
	bool dense;			/* dense promotion in force (not early) */
	enum hk_dense_act act;		/* its pick for this chunk */
	bool tight;			/* under a memory limit, half of it mapped
					 * (lib/purge.c): what is committed is only
					 * what will be touched, as a lazy chunk */
	bool small_pages;		/* hk_choice.small_pages */
};

struct hk_chunk_plan {
	enum hk_commit commit;
	enum hk_advice advice;		/* after the commit */
	bool prefault;			/* the backend's .prefault, demoting */
	bool touch;			/* then one write per page */
	enum hk_dense_act promote;	/* PROBE: nothing more; THP: advise and
					 * time the first fault; POPULATE */
};

/* Whether a new reservation is address space only (PROT_NONE), each
 * chunk then committed by itself: where the backend's mapping commits
 * (the slack of a reservation must not be populated nor taken from the
 * pool), and under vm.overcommit_memory=2 (strict), which charges every
 * private writable byte at mmap time. */
bool hk_chunk_reserve_only(bool backend_commits, bool strict);
/* Pure: the same in gives the same plan.  The OS layer plans again after
 * a demotion, since the plan depends on the backend in force. */
void hk_select_chunk(const struct hk_chunk_in *in, struct hk_chunk_plan *out);
/* A chunk going back to the chunk cache under dense promotion, in a
 * process where some chunk was advised MADV_HUGEPAGE (advised): the
 * advice that keeps it from faulting a whole huge page, untried, for its
 * next user. */
enum hk_advice hk_chunk_release_advice(bool dense, bool advised);

/* The fallbacks below a backend, as decisions (lib/os.c carries them
 * out, counts them and says them under HAKMEM_VERBOSE). */
/* MADV_POPULATE_WRITE failed with err: whether to touch each page
 * instead, from now on (EINVAL: a kernel before 5.14). */
bool hk_populate_demotable(int err);
/* Purging under the advice asked while backend is in force: the advice to
 * try first (hugetlb refuses MADV_FREE). */
enum hk_purge hk_purge_advice(enum hk_backend_id backend, enum hk_purge asked);
/* MADV_FREE failed with err.  HK_PURGE_FREE: return err as it is; else
 * retry with MADV_DONTNEED, and *for_good says whether DONTNEED is the
 * advice from then on: EINVAL means a kernel before 4.5 or a hugetlb
 * range, and the latter says nothing about the kernel, so only when no
 * hugetlb memory was ever acquired (hugetlb_seen false). */
enum hk_purge hk_purge_demote(int err, bool hugetlb_seen, bool *for_good);

#endif /* HK_CHUNK_H */
