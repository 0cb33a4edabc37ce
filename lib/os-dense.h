/* os-dense.h: under HAKMEM_BACKEND=auto, promotion of fresh chunks that
 * will be touched completely.
 *
 * auto leaves chunks lazy where THP faults may stall (probe/select.c).
 * Lazy chunks then serve as probes: mincore(2) tells, one chunk after
 * another, how much of an earlier chunk the program touched.  While the
 * probes are dense, later fresh chunks are promoted: to a huge page
 * (MADV_HUGEPAGE) as long as a timed trial of each chunk's first fault
 * says huge pages are cheap here (a VM with free page reporting can make
 * one cost 10-20x: doc/KERNEL-COSTS.md, section 4), else to MADV_POPULATE_WRITE; one
 * chunk in 8 or 16 stays a lazy probe, so the density keeps being
 * measured.  A sparse probe stops promotion at once.
 *
 * The decisions are a pure state machine (struct hk_dense), so
 * test/unit/test-dense.c feeds it densities and trial times; os-dense.c
 * wraps it for os-batch.c, on the fresh-chunk path only.
 */
#ifndef HK_OS_DENSE_H
#define HK_OS_DENSE_H

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
void hk_dense_init(struct hk_dense *s, bool thp_ok, bool populate_ok);
/* A probe had resident of pages resident; returns whether that is dense. */
bool hk_dense_sample(struct hk_dense *s, size_t resident, size_t pages);
/* The next fresh chunk's fate. */
enum hk_dense_act hk_dense_next(struct hk_dense *s);
/* A THP chunk's first fault took ns, and mapped a huge page or not (a
 * kernel out of huge pages, or THP disabled for the process, falls back
 * to a 4 KiB page).  Returns whether THP won: if not, the caller
 * populates the rest of the chunk when it can. */
bool hk_dense_trial(struct hk_dense *s, uint64_t ns, bool huge);
/* Promotion act failed with err: an error a plainer kernel gives
 * (demotable, as os.c says) turns that act off for the process; a
 * passing MADV_HUGEPAGE failure backs THP off as a slow trial does. */
void hk_dense_failed(struct hk_dense *s, enum hk_dense_act act, bool demotable);

/* os-batch.c's side: whether promotion is in force (auto resolved to
 * lazy, HAKMEM_DENSE not 0); under the layer's lock, the act for a fresh
 * chunk (sampling an earlier probe); outside it, doing the act. */
bool hk_dense_active(void);
/* Whether auto's choice ch leaves room for promotion (auto resolved to
 * lazy, no HAKMEM_SS_PREFAULT): what hk_dense_active and hk-probe's
 * dense line both start from, HAKMEM_DENSE aside. */
bool hk_dense_applies(const struct hk_choice *ch);
enum hk_dense_act hk_dense_pick(char *p, size_t len);
void hk_dense_apply(char *p, size_t len, enum hk_dense_act act);
/* A chunk going back to the chunk cache: not huge for its next user
 * unless that user's own promotion makes it so. */
void hk_dense_release(char *p, size_t len);

/* For HAKMEM_STATS and the tests. */
struct hk_dense_counters {
	uint64_t probes;	/* fresh chunks left lazy as probes */
	uint64_t sampled;	/* probes measured with mincore */
	uint64_t dense;		/* of which dense */
	uint64_t thp;		/* chunks promoted to huge pages */
	uint64_t populate;	/* chunks promoted to MADV_POPULATE_WRITE */
	uint64_t trials_slow;	/* THP first faults too slow, or not huge */
	uint64_t failures;	/* madvise failures (the chunk stays lazy) */
};
void hk_dense_counters(struct hk_dense_counters *out);

#endif /* HK_OS_DENSE_H */
