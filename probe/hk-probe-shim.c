/* hk-probe-shim.c: TEMPORARY names for the THP enums until the probe
 * readers (probe/thp.c) land; removed when branch probe is merged. */
#include "caps.h"

const char *hk_thp_mode_name(enum hk_thp_mode mode)
{
	static const char *const n[] = { "absent", "never", "madvise", "always", "unknown" };
	return (unsigned)mode < 5 ? n[mode] : "?";
}

const char *hk_thp_defrag_name(enum hk_thp_defrag d)
{
	static const char *const n[] = { "absent", "always", "defer", "defer+madvise",
					 "madvise", "never", "unknown" };
	return (unsigned)d < 7 ? n[d] : "?";
}
