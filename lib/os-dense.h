/* os-dense.h: the sensors of dense promotion under HAKMEM_BACKEND=auto.
 *
 * The policy (when a chunk is dense, what a dense chunk becomes, how THP
 * backs off) is probe/chunk.h's pure state machine; os-dense.c holds its
 * one instance for the process and what feeds it: mincore(2) samples of
 * earlier probes and the timing of a THP chunk's first fault.
 * lib/os-batch.c carries the resulting plans out, on the fresh-chunk
 * path only.
 */
#ifndef HK_OS_DENSE_H
#define HK_OS_DENSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "probe/caps.h"
#include "probe/chunk.h"
#include "probe/select.h"

/* Whether promotion is in force (hk_dense_applies to this process's
 * choice, HAKMEM_DENSE not 0, the backend still lazy). */
bool hk_dense_active(void);
/* Under the layer's lock: the act for a fresh chunk, sampling an earlier
 * probe when one is due. */
enum hk_dense_act hk_dense_pick(char *p, size_t len);
/* Outside it, for a chunk just advised MADV_HUGEPAGE: time its first
 * fault (the chunk reads as zero, so writing a zero changes nothing),
 * see whether a huge page came, feed the trial.  Returns whether the
 * rest of the chunk is to be populated (hk_dense_populate_rest). */
bool hk_dense_time_thp(char *p);
/* A promotion act failed with err (demotable as hk_backend_demotable
 * says for the backend whose call it was): counted, said under
 * HAKMEM_VERBOSE, fed to hk_dense_failed, whose answer it returns. */
bool hk_dense_fail(enum hk_dense_act act, bool demotable, int err);
/* A chunk was populated by promotion. */
void hk_dense_populated(void);
/* Whether some chunk of this process was advised MADV_HUGEPAGE. */
bool hk_dense_advised(void);
/* Carry out promotion act on a fresh, non-early lazy chunk: its advice
 * and its promotion, as hk_select_chunk plans them (os-batch.c). */
void hk_dense_apply(char *p, size_t len, enum hk_dense_act act);

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
