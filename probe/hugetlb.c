/* hugetlb.c: hugetlbfs and its pools: registered in /proc/filesystems,
 * the default size (Hugepagesize in /proc/meminfo), each size's pool under
 * /sys/kernel/mm/hugepages/hugepages-<kB>kB, hugetlbfs mounts, and a trial
 * MAP_HUGETLB of one page of the size the backend maps (HK_HUGETLB_KB,
 * asked for by size: the default may be 1 GiB, default_hugepagesz=1G).
 *
 * The trial runs only when that size's pool can hand out a page (free
 * beyond the reserved ones, or room for a surplus page); otherwise it is
 * not tried and map_hugetlb reads NO with ENOMEM, what mmap would return
 * (ENOSYS when hugetlbfs is not registered at all), so that selection can
 * name the reason without a syscall.  The trial maps without touching, so
 * it reserves a pool page for a moment and takes none.
 *
 * Cost (each file is 3-8 us on a VM): the library reads meminfo, whose
 * Hugepagesize line exists exactly when hugetlbfs is built in and whose
 * HugePages_* lines are the default pool, plus that pool's overcommit
 * file, and where the default size is another, the HK_HUGETLB_KB pool's
 * files (only when HAKMEM_BACKEND=hugetlb asks for the hugetlb facts).
 * HK_PROBE_DETAILS (hk-probe) adds /proc/filesystems, every pool size
 * (free/resv/surplus only for non-empty pools) and the mounts.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "probe/fmt.h"
#include "probe/kconst.h"
#include "probe/readers.h"
#include "probe/sysfile.h"

#define HK_POOL_DIR "/sys/kernel/mm/hugepages"

static void hk_hugetlb_meminfo(struct hk_caps *caps, const char *root,
			       struct hk_hugepool *def)
{
	static const char *const keys[] = {
		"HugePages_Total:", "HugePages_Free:", "HugePages_Rsvd:",
		"HugePages_Surp:",
	};
	long *fields[] = { &def->total, &def->free, &def->resv, &def->surplus };
	char buf[4096];
	const char *v;
	uint64_t n;

	if (hk_sysfile_read(root, "/proc/meminfo", buf, sizeof(buf)) < 0)
		return;
	if ((v = hk_line_value(buf, "Hugepagesize:")) && hk_parse_u64(v, &n))
		caps->huge_default_kb = n;
	for (int i = 0; i < 4; i++)
		if ((v = hk_line_value(buf, keys[i])) && hk_parse_u64(v, &n))
			*fields[i] = (long)n;
}

static long hk_hugetlb_count(const char *root, const char *dir,
			     const char *file)
{
	char rel[HK_SYSPATH_MAX];
	uint64_t v;

	if (hk_syspath(rel, sizeof(rel), dir, file) ||
	    hk_sysfile_u64(root, rel, &v) < 0)
		return 0;
	return (long)v;
}

/* Fills one pool from hugepages-<kB>kB; def holds meminfo's counts.  A
 * size other than the default with no nr_hugepages is no pool: the
 * kernel does not offer that size. */
static void hk_hugetlb_pool(struct hk_caps *caps, const char *root,
			    const char *name, const struct hk_hugepool *def)
{
	char dir[128], rel[HK_SYSPATH_MAX];
	struct hk_hugepool *p;
	uint64_t kb, total;

	if (caps->npools >= HK_HUGEPOOLS_MAX ||
	    !hk_parse_u64(name + strlen("hugepages-"), &kb) ||
	    hk_syspath(dir, sizeof(dir), HK_POOL_DIR "/", name))
		return;
	if (kb == caps->huge_default_kb && def->total >= 0) {
		p = &caps->pools[caps->npools++];
		*p = *def;
	} else {
		if (hk_syspath(rel, sizeof(rel), dir, "/nr_hugepages") ||
		    hk_sysfile_u64(root, rel, &total) < 0)
			return;
		p = &caps->pools[caps->npools++];
		p->total = (long)total;
		if (p->total) {
			p->free = hk_hugetlb_count(root, dir, "/free_hugepages");
			p->resv = hk_hugetlb_count(root, dir, "/resv_hugepages");
			p->surplus = hk_hugetlb_count(root, dir, "/surplus_hugepages");
		}
	}
	p->size_kb = kb;
	p->overcommit = hk_hugetlb_count(root, dir, "/nr_overcommit_hugepages");
}

struct hk_dirent64 {
	uint64_t ino;
	int64_t off;
	unsigned short reclen;
	unsigned char type;
	char name[];
};

static void hk_hugetlb_pools(struct hk_caps *caps, const char *root,
			     const struct hk_hugepool *def)
{
	char path[HK_SYSPATH_MAX];
	char buf[1024] __attribute__((aligned(8)));
	long n;
	int fd;

	if (hk_syspath(path, sizeof(path), root, HK_POOL_DIR))
		return;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	while ((n = syscall(SYS_getdents64, fd, buf, sizeof(buf))) > 0) {
		for (long off = 0; off < n;) {
			struct hk_dirent64 *d = (struct hk_dirent64 *)(buf + off);

			if (strncmp(d->name, "hugepages-", 10) == 0)
				hk_hugetlb_pool(caps, root, d->name, def);
			off += d->reclen;
		}
	}
	close(fd);
}

/* getdents order is the filesystem's: sort by size for stable output. */
static void hk_hugetlb_sort(struct hk_caps *caps)
{
	for (int i = 1; i < caps->npools; i++) {
		struct hk_hugepool p = caps->pools[i];
		int j = i;

		for (; j > 0 && caps->pools[j - 1].size_kb > p.size_kb; j--)
			caps->pools[j] = caps->pools[j - 1];
		caps->pools[j] = p;
	}
}

/* Counts hugetlbfs lines in /proc/self/mounts, which may be long in a
 * container: read in pieces, keeping a few bytes of overlap.  The type is
 * the third field and is the only one that can be " hugetlbfs " (a mount
 * point starts with '/', the device starts the line). */
static int hk_hugetlb_mounts(const char *root)
{
	static const char pat[] = " hugetlbfs ";
	const size_t keep = sizeof(pat) - 2;
	char path[HK_SYSPATH_MAX], buf[2048];
	size_t have = 0;
	ssize_t n;
	int fd, count = 0;

	if (hk_syspath(path, sizeof(path), root, "/proc/self/mounts"))
		return 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while ((n = read(fd, buf + have, sizeof(buf) - 1 - have)) > 0) {
		have += (size_t)n;
		buf[have] = '\0';
		for (char *p = buf; (p = strstr(p, pat)); p += keep)
			count++;
		if (have > keep) {
			memmove(buf, buf + have - keep, keep);
			have = keep;
		}
	}
	close(fd);
	return count;
}

const struct hk_hugepool *hk_hugepool_find(const struct hk_caps *caps, uint64_t kb)
{
	for (int i = 0; i < caps->npools && i < HK_HUGEPOOLS_MAX; i++)
		if (caps->pools[i].size_kb == kb)
			return &caps->pools[i];
	return NULL;
}

int hk_hugepool_has_free(const struct hk_caps *caps)
{
	const struct hk_hugepool *p = hk_hugepool_find(caps, HK_HUGETLB_KB);

	return p && (p->free > p->resv || p->overcommit > p->surplus);
}

/* One page of the backend's size, asked for by size (3.8+; an older
 * kernel ignores the size bits and maps its default size, which before
 * 3.8 could not be set to anything but the PMD size on x86). */
static void hk_hugetlb_trial(struct hk_caps *caps, const char *root,
			     unsigned flags)
{
	size_t len = (size_t)HK_HUGETLB_KB << 10;
	int size_bits = __builtin_ctzl(len) << MAP_HUGE_SHIFT;
	void *p;

	if (caps->hugetlb_src == HK_SRC_NONE)
		return;		/* nothing read: nothing known */
	if (!caps->hugetlbfs_registered || !hk_hugepool_has_free(caps)) {
		caps->map_hugetlb.state = HK_FEAT_NO;
		caps->map_hugetlb.err = caps->hugetlbfs_registered ? ENOMEM : ENOSYS;
		return;
	}
	if (flags & HK_PROBE_NO_TRIALS)
		return;
	if (*root) {
		hk_trial_from_file(root, "map_hugetlb", &caps->map_hugetlb);
		return;
	}
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | size_bits, -1, 0);
	if (p == MAP_FAILED) {
		caps->map_hugetlb.state = HK_FEAT_NO;
		caps->map_hugetlb.err = errno;
		return;
	}
	munmap(p, len);
	caps->map_hugetlb.state = HK_FEAT_YES;
}

/* Without the details: the default size (its counts from meminfo, its
 * overcommit file) and the size the backend maps, where it differs. */
static void hk_hugetlb_lean(struct hk_caps *caps, const char *root,
			    const struct hk_hugepool *def)
{
	char name[40];

	hk_fmt(name, sizeof(name), "hugepages-%llukB",
	       (unsigned long long)caps->huge_default_kb);
	hk_hugetlb_pool(caps, root, name, def);
	if (caps->huge_default_kb != HK_HUGETLB_KB) {
		hk_fmt(name, sizeof(name), "hugepages-%ukB", HK_HUGETLB_KB);
		hk_hugetlb_pool(caps, root, name, def);
	}
}

void hk_probe_hugetlb(struct hk_caps *caps, const char *root, unsigned flags)
{
	struct hk_hugepool def = { .total = -1 };
	char buf[1024];

	caps->hugetlbfs_mounts = -1;
	hk_hugetlb_meminfo(caps, root, &def);
	if (caps->huge_default_kb) {
		caps->hugetlbfs_registered = 1;
		caps->hugetlb_src = HK_SRC_PROCFS;
	}
	if (flags & HK_PROBE_DETAILS &&
	    hk_sysfile_read(root, "/proc/filesystems", buf, sizeof(buf)) >= 0) {
		caps->hugetlbfs_registered = strstr(buf, "\thugetlbfs\n") != NULL;
		caps->hugetlb_src = HK_SRC_PROCFS;
	}
	if (caps->hugetlbfs_registered && !(flags & HK_PROBE_DETAILS))
		hk_hugetlb_lean(caps, root, &def);
	if (flags & HK_PROBE_DETAILS)
		caps->hugetlbfs_mounts = 0;
	if (caps->hugetlbfs_registered && flags & HK_PROBE_DETAILS) {
		hk_hugetlb_pools(caps, root, &def);
		hk_hugetlb_sort(caps);
		caps->hugetlbfs_mounts = hk_hugetlb_mounts(root);
	}
	hk_hugetlb_trial(caps, root, flags);
}
