/* thp.c: transparent huge pages: the enabled and defrag modes and the PMD
 * size, from /sys/kernel/mm/transparent_hugepage.
 *
 * The mode is the [bracketed] word, not the whole line, because kernels
 * add choices over time (defer and defer+madvise in 4.6, for example).
 * A missing directory means a kernel built without THP: ABSENT.  Kernels
 * before 4.10 (RHEL 7) have no hpage_pmd_size; x86's 2 MiB is the default.
 */
#include <errno.h>

#include "probe/readers.h"
#include "probe/sysfile.h"

#define HK_THP_DIR "/sys/kernel/mm/transparent_hugepage"

static const char *const hk_thp_mode_names[] = {
	[HK_THP_ABSENT] = "absent",
	[HK_THP_NEVER] = "never",
	[HK_THP_MADVISE] = "madvise",
	[HK_THP_ALWAYS] = "always",
	[HK_THP_UNKNOWN] = "unknown",
};

static const char *const hk_thp_defrag_names[] = {
	[HK_DEFRAG_ABSENT] = "absent",
	[HK_DEFRAG_ALWAYS] = "always",
	[HK_DEFRAG_DEFER] = "defer",
	[HK_DEFRAG_DEFER_MADVISE] = "defer+madvise",
	[HK_DEFRAG_MADVISE] = "madvise",
	[HK_DEFRAG_NEVER] = "never",
	[HK_DEFRAG_UNKNOWN] = "unknown",
};

#define HK_NELEM(a) (sizeof(a) / sizeof((a)[0]))

const char *hk_thp_mode_name(enum hk_thp_mode mode)
{
	return (unsigned)mode < HK_NELEM(hk_thp_mode_names) ? hk_thp_mode_names[mode] : "?";
}

const char *hk_thp_defrag_name(enum hk_thp_defrag defrag)
{
	return (unsigned)defrag < HK_NELEM(hk_thp_defrag_names) ? hk_thp_defrag_names[defrag] : "?";
}

/* Reads a choice file; returns the index of its [word] in names (from
 * first on), unknown when the word is not there, absent when no file. */
static int hk_thp_choice(const char *root, const char *path,
			 const char *const *names, int first, int unknown)
{
	char buf[128];
	const char *w;
	size_t len;

	if (hk_sysfile_read(root, path, buf, sizeof(buf)) < 0)
		return 0;
	len = hk_bracket_word(buf, &w);
	for (int i = first; i < unknown; i++)
		if (hk_word_is(w, len, names[i]))
			return i;
	return unknown;
}

void hk_probe_thp(struct hk_caps *caps, const char *root, unsigned flags)
{
	uint64_t pmd;

	caps->thp_enabled = (enum hk_thp_mode)hk_thp_choice(root,
		HK_THP_DIR "/enabled", hk_thp_mode_names, HK_THP_NEVER,
		HK_THP_UNKNOWN);
	caps->thp_src = HK_SRC_SYSFS;
	caps->thp_pmd_size = (size_t)2 << 20;
	caps->thp_pmd_src = HK_SRC_DEFAULT;
	if (caps->thp_enabled == HK_THP_ABSENT)
		return;
	caps->thp_defrag = HK_DEFRAG_UNKNOWN;
	/* The policy needs defrag only where THP could be used at all. */
	if (flags & HK_PROBE_DETAILS || caps->thp_enabled == HK_THP_MADVISE ||
	    caps->thp_enabled == HK_THP_ALWAYS)
		caps->thp_defrag = (enum hk_thp_defrag)hk_thp_choice(root,
			HK_THP_DIR "/defrag", hk_thp_defrag_names,
			HK_DEFRAG_ALWAYS, HK_DEFRAG_UNKNOWN);
	if (hk_sysfile_u64(root, HK_THP_DIR "/hpage_pmd_size", &pmd) == 0 && pmd) {
		caps->thp_pmd_size = (size_t)pmd;
		caps->thp_pmd_src = HK_SRC_SYSFS;
	}
}
