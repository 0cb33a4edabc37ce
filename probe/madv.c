/* madv.c: the memory features decided by trial, never by version: each
 * is one call on a scratch mapping of a page or two, and EINVAL (or, for
 * MAP_FIXED_NOREPLACE, a different address) means the running kernel
 * lacks it, whatever the headers we were built with said (kconst.h
 * supplies values old headers miss).
 *
 *   populate_write  madvise(MADV_POPULATE_WRITE) on a fresh page   5.14
 *   populate_read   madvise(MADV_POPULATE_READ) on another         5.14
 *   madv_free       madvise(MADV_FREE) on the populated page       4.5
 *   madv_hugepage   madvise(MADV_HUGEPAGE) on the mapping          2.6.38,
 *                   EINVAL when the kernel has no THP
 *   fixed_noreplace mmap(MAP_FIXED_NOREPLACE) over a page we hold:  4.17
 *                   EEXIST means honoured; an old kernel takes the
 *                   flag as a hint and returns another address
 *   map_populate    mmap(MAP_POPULATE) over the second page, then
 *                   mincore shows it resident
 *
 * Side effect: with THP madvise or always, the MADV_HUGEPAGE trial
 * registers this process with khugepaged (as the thp backend would
 * anyway); the scratch range is unmapped, so khugepaged finds nothing.
 * Cost: one mmap, five madvise/mmap calls, a mincore and one munmap,
 * about 19 us warm on the development VM.  The library's lean probe
 * (HK_PROBE_LEAN, at load) runs only the trials its options need
 * (hk_madv_lean), map_populate without mincore (not in systemd's
 * @system-service set, under which a program may start).
 *
 * With a captured tree the results come from its trials file instead
 * (test/fixtures/README.txt); HK_PROBE_NO_TRIALS leaves them UNKNOWN.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "probe/kconst.h"
#include "probe/readers.h"
#include "probe/sysfile.h"

static void hk_trial_set(struct hk_trial *t, int ok)
{
	t->state = ok ? HK_FEAT_YES : HK_FEAT_NO;
	t->err = ok ? 0 : errno;
}

static void hk_madv_noreplace(struct hk_caps *caps, char *held, size_t ps)
{
	void *q = mmap(held, ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (q == MAP_FAILED) {
		caps->fixed_noreplace.state = errno == EEXIST ? HK_FEAT_YES : HK_FEAT_NO;
		caps->fixed_noreplace.err = errno == EEXIST ? 0 : errno;
		return;
	}
	/* Treated as a hint: mapped elsewhere.  (The very address would
	 * mean our page was replaced, which no kernel does.) */
	munmap(q, ps);
	caps->fixed_noreplace.state = HK_FEAT_NO;
	caps->fixed_noreplace.err = 0;
}

/* Maps over the scratch page q with MAP_POPULATE: mincore then shows
 * whether the kernel faulted it in.  MAP_FIXED is safe: q is ours. */
static void hk_madv_map_populate(struct hk_caps *caps, char *q, size_t ps,
				 int lean)
{
	unsigned char vec = 0;
	void *r = mmap(q, ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_POPULATE, -1, 0);

	if (r == MAP_FAILED) {
		hk_trial_set(&caps->map_populate, 0);
		return;
	}
	/* mincore is outside systemd's @system-service set, under which a
	 * program may start: the library's probe trusts the mapping
	 * (private ones are populated since 2.6.23; the batch layer still
	 * demotes on failure). */
	hk_trial_set(&caps->map_populate,
		     lean || (mincore(r, ps, &vec) == 0 && (vec & 1)));
}

/* HK_PROBE_LEAN: only the trials whose answer the library would act on
 * (probe/caps.h), on the same two scratch pages, none at all where none
 * is needed (auto where THP cannot serve: the common case). */
static void hk_madv_lean(struct hk_caps *caps, unsigned flags)
{
	size_t ps = caps->page_size ? caps->page_size : 4096;
	int thp_on = caps->thp_enabled == HK_THP_MADVISE || caps->thp_enabled == HK_THP_ALWAYS;
	int thp = thp_on && ((flags & (HK_PROBE_THP | HK_PROBE_HUGETLB)) ||
			     caps->thp_defrag == HK_DEFRAG_DEFER ||
			     caps->thp_defrag == HK_DEFRAG_NEVER);
	int pop = (flags & HK_PROBE_POPULATE) != 0;
	char *p;

	if (!thp && !pop)
		return;
	p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return;
	if (pop)
		hk_trial_set(&caps->populate_write, madvise(p, ps, MADV_POPULATE_WRITE) == 0);
	if (thp)
		hk_trial_set(&caps->madv_hugepage, madvise(p, 2 * ps, MADV_HUGEPAGE) == 0);
	if (pop)
		hk_madv_map_populate(caps, p + ps, ps, 1);
	munmap(p, 2 * ps);
}

/* Two fresh pages, one mapping, one munmap: every trial reuses them. */
static void hk_madv_live(struct hk_caps *caps)
{
	size_t ps = caps->page_size ? caps->page_size : 4096;
	char *p = mmap(NULL, 2 * ps, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return;
	hk_trial_set(&caps->populate_write, madvise(p, ps, MADV_POPULATE_WRITE) == 0);
	hk_trial_set(&caps->populate_read, madvise(p + ps, ps, MADV_POPULATE_READ) == 0);
	/* MADV_FREE on a populated page, so the kernel has work to accept. */
	if (caps->populate_write.state != HK_FEAT_YES)
		p[0] = 1;
	hk_trial_set(&caps->madv_free, madvise(p, ps, MADV_FREE) == 0);
	hk_trial_set(&caps->madv_hugepage, madvise(p, 2 * ps, MADV_HUGEPAGE) == 0);
	hk_madv_noreplace(caps, p, ps);
	hk_madv_map_populate(caps, p + ps, ps, 0);
	munmap(p, 2 * ps);
}

/* Lines "name yes|no errno", e.g. "populate_write no 22". */
void hk_trial_from_file(const char *root, const char *name, struct hk_trial *t)
{
	char buf[1024], key[40];
	const char *v;
	uint64_t err = 0;
	size_t nl = strlen(name);

	if (nl + 2 > sizeof(key) ||
	    hk_sysfile_read(root, "/trials", buf, sizeof(buf)) < 0)
		return;
	memcpy(key, name, nl);
	memcpy(key + nl, " ", 2);
	if (!(v = hk_line_value(buf, key)))
		return;
	while (*v == ' ')
		v++;
	if (strncmp(v, "yes", 3) == 0) {
		t->state = HK_FEAT_YES;
		t->err = 0;
	} else if (strncmp(v, "no", 2) == 0) {
		t->state = HK_FEAT_NO;
		t->err = hk_parse_u64(v + 2, &err) ? (int)err : 0;
	}
}

void hk_probe_madv(struct hk_caps *caps, const char *root, unsigned flags)
{
	static const struct {
		const char *name;
		size_t off;
	} trials[] = {
		{ "populate_write", offsetof(struct hk_caps, populate_write) },
		{ "populate_read", offsetof(struct hk_caps, populate_read) },
		{ "map_populate", offsetof(struct hk_caps, map_populate) },
		{ "madv_free", offsetof(struct hk_caps, madv_free) },
		{ "fixed_noreplace", offsetof(struct hk_caps, fixed_noreplace) },
		{ "madv_hugepage", offsetof(struct hk_caps, madv_hugepage) },
	};

	if (flags & HK_PROBE_NO_TRIALS)
		return;
	if (!*root) {
		if (flags & HK_PROBE_LEAN)
			hk_madv_lean(caps, flags);
		else
			hk_madv_live(caps);
		return;
	}
	for (size_t i = 0; i < sizeof(trials) / sizeof(trials[0]); i++)
		hk_trial_from_file(root, trials[i].name,
				   (struct hk_trial *)((char *)caps + trials[i].off));
}
