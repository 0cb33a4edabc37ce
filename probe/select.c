/* select.c: the backend policy.  TEMPORARY: always lazy until the real
 * policy lands. */
#include <string.h>

#include "fmt.h"
#include "select.h"

static const char *const hk_backend_names[HK_BACKEND_COUNT] = {
	[HK_BACKEND_LAZY] = "lazy",
	[HK_BACKEND_TOUCH] = "touch",
	[HK_BACKEND_MAP_POPULATE] = "map_populate",
	[HK_BACKEND_POPULATE] = "populate",
	[HK_BACKEND_THP] = "thp",
	[HK_BACKEND_HUGETLB] = "hugetlb",
};

const char *hk_backend_name(enum hk_backend_id b)
{
	if (b == HK_BACKEND_AUTO)
		return "auto";
	return (unsigned)b < HK_BACKEND_COUNT ? hk_backend_names[b] : "?";
}

int hk_backend_parse(const char *name, enum hk_backend_id *out)
{
	if (strcmp(name, "auto") == 0) {
		*out = HK_BACKEND_AUTO;
		return 0;
	}
	for (int i = 0; i < HK_BACKEND_COUNT; i++) {
		if (strcmp(name, hk_backend_names[i]) == 0) {
			*out = (enum hk_backend_id)i;
			return 0;
		}
	}
	return -1;
}

enum hk_backend_id hk_backend_demote(enum hk_backend_id b)
{
	(void)b;
	return HK_BACKEND_LAZY;
}

void hk_select(const struct hk_caps *caps, const struct hk_select_in *in,
	       struct hk_choice *out)
{
	(void)caps;
	out->backend = in->backend == HK_BACKEND_AUTO ? HK_BACKEND_LAZY : in->backend;
	out->purge = HK_PURGE_DONTNEED;
	out->prefault = HK_PREFAULT_OFF;
	hk_fmt(out->reason, sizeof(out->reason), "placeholder policy");
}
