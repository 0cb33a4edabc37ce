/* readers.h: the probe's readers, one per topic, called by hk_probe.
 *
 * Each fills its part of struct hk_caps from root ("" = the running
 * system, else a captured tree, see test/fixtures/README.txt) and records
 * the source of each fact.  Internal to probe/ and its unit tests.
 */
#ifndef HK_READERS_H
#define HK_READERS_H

#include "probe/caps.h"

/* uname.c */
void hk_probe_uname(struct hk_caps *caps, const char *root);
/* "4.18.0-553.el8_10.x86_64" -> 4 18 0.  0, or -1 (all zero) when the
 * release does not start with major.minor. */
int hk_uname_parse(const char *release, int *major, int *minor, int *patch);

/* limits.c */
void hk_probe_limits(struct hk_caps *caps, const char *root, unsigned flags);
/* "0-3,8,10-11" -> 7; 0 when unparsable. */
long hk_cpulist_count(const char *list);
/* The cgroup memory limit alone (hk_probe_limits reads it unless
 * HK_PROBE_LEAN, when hk_probe asks for it only where it matters). */
void hk_probe_cgroup(struct hk_caps *caps, const char *root);

/* privs.c */
void hk_probe_privs(struct hk_caps *caps, const char *root);

/* thp.c */
void hk_probe_thp(struct hk_caps *caps, const char *root, unsigned flags);

/* hugetlb.c */
void hk_probe_hugetlb(struct hk_caps *caps, const char *root, unsigned flags);
/* The pool of pages of kb, or NULL when the probe found none. */
const struct hk_hugepool *hk_hugepool_find(const struct hk_caps *caps, uint64_t kb);
/* Whether the pool of HK_HUGETLB_KB pages can hand out a page now. */
int hk_hugepool_has_free(const struct hk_caps *caps);

/* madv.c */
void hk_probe_madv(struct hk_caps *caps, const char *root, unsigned flags);
/* Reads trial name's result from root/trials; leaves *t when absent. */
void hk_trial_from_file(const char *root, const char *name, struct hk_trial *t);

#endif /* HK_READERS_H */
