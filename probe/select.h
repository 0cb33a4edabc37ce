/* select.h: facts + options -> the OS-acquire backend and why.
 *
 * hk_select() is a pure function: no syscalls, no globals, so a table of
 * made-up machines (test/unit/test-select.c) pins the policy down, and
 * hk-probe and the library can never disagree about it.
 */
#ifndef HK_SELECT_H
#define HK_SELECT_H

#include <stdbool.h>

#include "probe/caps.h"

/* The backends, plainest first.  Demotion at run time moves toward
 * HK_BACKEND_LAZY, which every kernel serves. */
enum hk_backend_id {
	HK_BACKEND_LAZY = 0,		/* plain mmap, first-touch faults */
	HK_BACKEND_TOUCH,		/* mmap, then one write per page */
	HK_BACKEND_MAP_POPULATE,	/* mmap(MAP_POPULATE) */
	HK_BACKEND_POPULATE,		/* mmap + madvise(MADV_POPULATE_WRITE) */
	HK_BACKEND_THP,			/* 2 MiB aligned + MADV_HUGEPAGE */
	HK_BACKEND_HUGETLB,		/* MAP_HUGETLB from the pool */
	HK_BACKEND_COUNT,
	HK_BACKEND_AUTO = -1,		/* let hk_select decide */
};

/* How purged memory is handed back. */
enum hk_purge {
	HK_PURGE_DONTNEED = 0,		/* MADV_DONTNEED: zero on next touch */
	HK_PURGE_FREE,			/* MADV_FREE (4.5+): cheaper, lazily reclaimed */
};

/* HAKMEM_SS_PREFAULT, kept from the original report. */
enum hk_prefault {
	HK_PREFAULT_UNSET = -1,		/* backend's own default */
	HK_PREFAULT_OFF = 0,
	HK_PREFAULT_POPULATE = 1,	/* populate fresh superslabs */
	HK_PREFAULT_TOUCH = 2,		/* populate, then touch each page */
};

struct hk_select_in {
	enum hk_backend_id backend;	/* HAKMEM_BACKEND, or AUTO */
	enum hk_prefault prefault;	/* HAKMEM_SS_PREFAULT */
};

#define HK_REASON_MAX 224

struct hk_choice {
	enum hk_backend_id backend;
	enum hk_purge purge;
	enum hk_prefault prefault;	/* resolved: never UNSET */
	/* 4 KiB pages wanted under THP "always" too (every chunk gets
	 * MADV_NOHUGEPAGE, probe/chunk.c): a cgroup memory limit under
	 * 1 GiB, and a backend that is not thp or hugetlb. */
	bool small_pages;
	char reason[HK_REASON_MAX];	/* one line, no newline */
};

void hk_select(const struct hk_caps *caps, const struct hk_select_in *in,
	       struct hk_choice *out);

/* The next plainer backend to demote to when b fails at run time;
 * HK_BACKEND_LAZY demotes to itself.  The chain is documented in
 * hakmem(7). */
enum hk_backend_id hk_backend_demote(enum hk_backend_id b);
/* b failed at run time with err (an errno value): whether that is an
 * error a plainer backend would not hit, so that b is demoted. */
bool hk_backend_demotable(enum hk_backend_id b, int err);

const char *hk_backend_name(enum hk_backend_id b);
/* 0 and *out set, or -1 for an unknown name ("auto" gives AUTO). */
int hk_backend_parse(const char *name, enum hk_backend_id *out);

#endif /* HK_SELECT_H */
