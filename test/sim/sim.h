/* sim.h: the parts of hk-simkernel, the launcher that runs a command in a
 * simulated kernel (hk-simkernel.c says what it fakes and how).
 *
 * sim-mounts.c  the private mount namespace and the rewritten /proc and
 *               /sys files;
 * sim-uname.c   the seccomp user-notification supervisor that answers
 *               uname(2) with the simulated release;
 * sim-pool.c    the hugetlb pool grown for one run and shrunk after it.
 * Every function prints its own message ("hk-simkernel: ...") on failure.
 */
#ifndef HK_SIM_H
#define HK_SIM_H

#include <sys/types.h>

/* Exit statuses of the launcher besides the command's own. */
#define HK_SIM_EXIT_USAGE 2
#define HK_SIM_EXIT_SETUP 125	/* simulation impossible here: skip */
#define HK_SIM_EXIT_EXEC 127

struct hk_sim {
	const char *osrelease;	/* NULL: the real release */
	const char *thp;	/* never, madvise, always, absent or NULL */
	const char *thp_defrag;	/* a word of the defrag file, or NULL */
	int no_hugetlbfs;	/* hugetlbfs unregistered, its files gone */
	int hugepages_absent;	/* only /sys/kernel/mm/hugepages gone */
	int uname26;		/* the UNAME26 personality */
	long pool;		/* 2 MiB pages added to the pool, or 0 */
};

/* sim-mounts.c: enters a private mount namespace (a user namespace too
 * when not privileged) and mounts the faked files.  0, or -1. */
int hk_sim_mounts(const struct hk_sim *sim);

/* sim-uname.c */
/* In the child: installs the filter; the listener fd, or -1. */
int hk_sim_uname_filter(void);
/* The release uname(2) reports for REL, under UNAME26 when asked. */
void hk_sim_uname_release(const char *rel, int uname26, char *out, size_t size);
/* In the parent: answers uname(2) calls on FD until CHILD exits. */
void hk_sim_uname_serve(int fd, pid_t child, const char *release);

/* sim-pool.c: adds N pages to the default pool; the number really
 * added (the kernel may find fewer free pages), or -1. */
long hk_sim_pool_grow(long n);
/* Takes the ADDED pages back out, whatever the pool holds now. */
void hk_sim_pool_shrink(long added);

#endif
