/* stats-path.h: the HAKMEM_STATS_FILE pattern, checked when the option
 * is read and expanded when the report is written at exit.
 *
 * A pattern is an absolute path of at most HK_OPT_PATH_MAX - 1 bytes,
 * not ending in '/', in which "%p" stands for the pid of the process
 * that exits (a fork child writes its own file), "%c" for its command
 * name (comm, with every byte but [A-Za-z0-9._-] and a leading '.' made
 * '_') and "%%" for '%'.  Any other '%' makes the pattern invalid, so a
 * mistake shows when the option is read, not at exit.  Pure: no system
 * call, no allocation, for the options table and the unit tests. */
#ifndef HK_STATS_PATH_H
#define HK_STATS_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* 0 if s is a valid pattern, -1 if not. */
int hk_stats_path_check(const char *s);
/* Whether the pattern names the command (so the caller asks for it). */
bool hk_stats_path_wants_comm(const char *s);
/* Expand a valid pattern into out[size]: the length, or 0 when it does
 * not fit (nothing is then to be opened). */
size_t hk_stats_path_expand(const char *s, long pid, const char *comm,
			    char *out, size_t size);

#endif /* HK_STATS_PATH_H */
