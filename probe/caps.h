/* caps.h: the facts the probe learns about the running kernel.
 *
 * One plain struct, fixed-size fields, no heap pointers: it is filled
 * inside the allocator's first call for OS memory, where nothing may
 * allocate.  Each reader (one file per topic under probe/) fills its part
 * from a root prefix ("" in production, a captured tree in tests) and
 * records how the fact was learned (enum hk_src), which hk-probe prints.
 *
 * Trials (a one-page mmap/madvise) are the truth about features; the
 * kernel release is for logging only, because distributions backport.
 */
#ifndef HK_CAPS_H
#define HK_CAPS_H

#include <stddef.h>
#include <stdint.h>

/* How a fact was learned. */
enum hk_src {
	HK_SRC_NONE = 0,	/* not learned (reader failed or skipped) */
	HK_SRC_TRIAL,		/* a trial system call on a scratch mapping */
	HK_SRC_SYSCALL,		/* a query syscall: uname, getrlimit, capget... */
	HK_SRC_SYSFS,		/* a file under /sys */
	HK_SRC_PROCFS,		/* a file under /proc */
	HK_SRC_AUXV,		/* getauxval / the auxiliary vector */
	HK_SRC_DEFAULT,		/* nothing to read: the documented default */
};

/* A feature found by trial: the errno the trial call returned. */
enum hk_feat {
	HK_FEAT_UNKNOWN = 0,	/* not tried (sysroot probe, or reader off) */
	HK_FEAT_YES,		/* the trial call succeeded */
	HK_FEAT_NO,		/* the trial call failed: see err */
};

struct hk_trial {
	enum hk_feat state;
	int err;		/* errno of the failed trial, 0 otherwise */
};

enum hk_thp_mode {
	HK_THP_ABSENT = 0,	/* no transparent_hugepage directory */
	HK_THP_NEVER,
	HK_THP_MADVISE,
	HK_THP_ALWAYS,
	HK_THP_UNKNOWN,		/* file present but no [word] we know */
};

enum hk_thp_defrag {
	HK_DEFRAG_ABSENT = 0,
	HK_DEFRAG_ALWAYS,
	HK_DEFRAG_DEFER,
	HK_DEFRAG_DEFER_MADVISE,
	HK_DEFRAG_MADVISE,
	HK_DEFRAG_NEVER,
	HK_DEFRAG_UNKNOWN,
};

/* The huge page size the hugetlb backend maps: one superslab chunk
 * (lib/os.h, HK_CHUNK_SIZE), asked for by size (MAP_HUGE_2MB), whatever
 * the default size.  Pools of other sizes are reported, not used: a
 * 1 GiB page would commit 512 chunks at once and pin them for the
 * process's life (hakmem(7), "Huge page sizes"). */
#define HK_HUGETLB_KB 2048u

/* One hugetlb page size, from /sys/kernel/mm/hugepages/hugepages-<kB>kB. */
struct hk_hugepool {
	uint64_t size_kb;
	long total;		/* nr_hugepages */
	long free;		/* free_hugepages */
	long resv;		/* resv_hugepages */
	long surplus;		/* surplus_hugepages */
	long overcommit;	/* nr_overcommit_hugepages */
};

#define HK_HUGEPOOLS_MAX 4
#define HK_RELEASE_MAX 65

struct hk_caps {
	/* Kernel (uname.c). */
	char release[HK_RELEASE_MAX];	/* uname -r, as reported */
	char machine[HK_RELEASE_MAX];	/* uname -m */
	int kmajor;			/* parsed release; 0.0.0 if unparsable */
	int kminor;
	int kpatch;
	int uname26;			/* UNAME26 personality: 2.6.(60+x); the
					 * numbers are then the real version from
					 * /proc/sys/kernel/osrelease, or 0.x.0
					 * when that is unreadable (major lost) */
	enum hk_src release_src;

	/* Memory basics (limits.c). */
	size_t page_size;
	long ncpu;			/* CPUs this process may run on */
	enum hk_src page_size_src;
	enum hk_src ncpu_src;

	/* Memory features by trial (madv.c). */
	struct hk_trial populate_write;	/* madvise(MADV_POPULATE_WRITE), 5.14+ */
	struct hk_trial populate_read;	/* madvise(MADV_POPULATE_READ), 5.14+ */
	struct hk_trial map_populate;	/* mmap(MAP_POPULATE) */
	struct hk_trial madv_free;	/* madvise(MADV_FREE), 4.5+ */
	struct hk_trial fixed_noreplace; /* MAP_FIXED_NOREPLACE honoured, 4.17+ */
	struct hk_trial madv_hugepage;	/* madvise(MADV_HUGEPAGE) accepted */

	/* Transparent huge pages (thp.c). */
	enum hk_thp_mode thp_enabled;
	enum hk_thp_defrag thp_defrag;	/* UNKNOWN when THP is never/absent,
					 * without HK_PROBE_DETAILS */
	size_t thp_pmd_size;		/* hpage_pmd_size, or 2 MiB by default */
	enum hk_src thp_src;
	enum hk_src thp_pmd_src;

	/* hugetlbfs (hugetlb.c). */
	int hugetlbfs_registered;	/* "hugetlbfs" in /proc/filesystems; without
					 * HK_PROBE_DETAILS: meminfo has
					 * Hugepagesize (the same kernel option) */
	int hugetlbfs_mounts;		/* hugetlbfs entries in /proc/self/mounts,
					 * -1 without HK_PROBE_DETAILS */
	uint64_t huge_default_kb;	/* Hugepagesize: in /proc/meminfo */
	int npools;			/* by size; without HK_PROBE_DETAILS only
					 * the default size and HK_HUGETLB_KB */
	struct hk_hugepool pools[HK_HUGEPOOLS_MAX];
	struct hk_trial map_hugetlb;	/* one MAP_HUGETLB page of HK_HUGETLB_KB */
	enum hk_src hugetlb_src;

	/* Limits (limits.c). */
	uint64_t memlock_cur;		/* RLIMIT_MEMLOCK, UINT64_MAX = unlimited */
	uint64_t memlock_max;
	enum hk_src memlock_src;
	int overcommit;			/* vm.overcommit_memory, -1 unknown */
	long max_map_count;		/* vm.max_map_count, -1 unknown (and
					 * without HK_PROBE_DETAILS) */
	enum hk_src vm_src;		/* of overcommit and max_map_count */
	uint64_t cgroup_mem_max;	/* cgroup memory limit, UINT64_MAX = max/none:
					 * v2 the tightest memory.max from our
					 * cgroup up; v1 memory.limit_in_bytes */
	int cgroup_version;		/* 2, 1 (a v1 memory controller line in
					 * /proc/self/cgroup wins), 0 neither */
	enum hk_src cgroup_src;

	/* Privileges (privs.c). */
	int cap_ipc_lock;		/* effective CAP_IPC_LOCK */
	int cap_sys_admin;		/* effective CAP_SYS_ADMIN */
	int at_secure;			/* AT_SECURE: setuid or file capabilities */
	enum hk_src caps_src;

	uint64_t probe_ns;		/* how long hk_probe took */
};

/* Probe flags. */
enum {
	HK_PROBE_NO_TRIALS = 1 << 0,	/* skip trial syscalls (sysroot probes) */
	HK_PROBE_DETAILS = 1 << 1,	/* also read the facts no decision needs
					 * (hk-probe sets it; the library does
					 * not, each file costs 3-8 us): THP
					 * defrag, /proc/filesystems, every
					 * hugetlb pool size, hugetlbfs mounts,
					 * vm.max_map_count */
	HK_PROBE_LEAN = 1 << 2,		/* the library's own probe, at load
					 * (lib/os.c): only the facts lib/ acts
					 * on, and no call outside systemd's
					 * @system-service set (no mincore).
					 * Skips the CPU count, RLIMIT_MEMLOCK,
					 * capabilities, the hugetlb pools, the
					 * MADV_FREE, MADV_POPULATE_READ and
					 * MAP_FIXED_NOREPLACE trials; tries
					 * MADV_HUGEPAGE only
					 * where THP could serve (or with
					 * HK_PROBE_THP), the populate trials
					 * only with HK_PROBE_POPULATE, and
					 * trusts a MAP_POPULATE mapping
					 * without mincore.  An untried feature
					 * stays UNKNOWN: the layer demotes when
					 * it fails at run time */
	HK_PROBE_HUGETLB = 1 << 3,	/* with HK_PROBE_LEAN: the hugetlb facts
					 * and the MADV_HUGEPAGE trial
					 * (HAKMEM_BACKEND=hugetlb: it demotes
					 * to thp) */
	HK_PROBE_THP = 1 << 4,		/* with HK_PROBE_LEAN: the MADV_HUGEPAGE
					 * trial wherever THP is enabled
					 * (HAKMEM_BACKEND=thp, HAKMEM_DENSE=1) */
	HK_PROBE_POPULATE = 1 << 5,	/* with HK_PROBE_LEAN: the
					 * MADV_POPULATE_WRITE and MAP_POPULATE
					 * trials (HAKMEM_BACKEND=populate or
					 * map_populate, HAKMEM_DENSE=1) */
};

/* Fill *caps.  root is "" for the running system or the path of a
 * captured tree (test/fixtures/<machine>); with a non-empty root no trial
 * syscall runs: the trial results and the syscall facts (uname, rlimits,
 * capabilities, auxv) are read from files in the tree where it has them
 * (test/fixtures/README.txt).  HK_PROBE_NO_TRIALS leaves the trials
 * UNKNOWN either way.  Never allocates, never uses stdio, keeps errno;
 * costs about 75 us warm (170 us in a fresh process) on a VM whose
 * open+close costs 2.7 us. */
void hk_probe(struct hk_caps *caps, const char *root, unsigned flags);

/* Names for the enums, for hk-probe and messages. */
const char *hk_src_name(enum hk_src src);
const char *hk_thp_mode_name(enum hk_thp_mode mode);
const char *hk_thp_defrag_name(enum hk_thp_defrag defrag);

#endif /* HK_CAPS_H */
