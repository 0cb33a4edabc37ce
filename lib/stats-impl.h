/* stats-impl.h: what the statistics' files share and nobody else uses.
 *
 * stats.c: the counters, the text report and glibc's reports built on
 * them.  stats-json.c: the same counters as one JSON object.
 * stats-exit.c: the report at exit, on stderr or in HAKMEM_STATS_FILE.
 */
#ifndef HK_STATS_IMPL_H
#define HK_STATS_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/internal.h"

#pragma GCC visibility push(hidden)

/* The small-block slabs of every superslab mapped, at this moment. */
struct hk_usage {
	uint64_t blocks[HK_NCLASS];	/* in use now */
	uint64_t slabs[HK_NCLASS];
	uint64_t in_use;		/* bytes in small blocks */
	uint64_t superslabs;
};
void hk_usage(struct hk_usage *u);

/* Where malloc_stats() and the report on stderr go: fd 2, or the copy
 * of it hk_stats_init took (stats-exit.c). */
extern int hk_stats_fd;

/* All of buf to fd, retrying on EINTR; an error drops the rest. */
void hk_stats_write(int fd, const char *buf, size_t n);
/* The text report on fd; usage adds the getrusage line. */
void hk_stats_text(int fd, bool usage);
/* The JSON report on fd, one line; usage adds the "rusage" object. */
void hk_stats_json(int fd, bool usage);

#pragma GCC visibility pop

#endif /* HK_STATS_IMPL_H */
