/* options.c: the HAKMEM_* table, read once through secure_getenv.
 *
 * secure_getenv returns NULL in AT_SECURE processes (setuid, setgid,
 * file capabilities), so a system-wide install cannot be steered by the
 * environment of an unprivileged caller of a privileged program. */
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "probe/fmt.h"
#include "lib/msg.h"
#include "lib/options.h"

const struct hk_option_desc hk_option_descs[] = {
	{ "HAKMEM_BACKEND", "auto|lazy|populate|touch|map_populate|thp|hugetlb",
	  "how memory is acquired from the OS (auto: chosen by the probe)" },
	{ "HAKMEM_SS_PREFAULT", "0|1|2",
	  "prefault fresh superslabs: 0 off, 1 populate, 2 populate then touch" },
	{ "HAKMEM_VERBOSE", "0|1", "print the probe's decision and demotions on stderr" },
	{ "HAKMEM_STATS", "0|1", "print counters at exit" },
	{ "HAKMEM_PURGE_DELAY_MS", "0..60000",
	  "how long empty slabs and superslabs wait before being purged" },
	{ "HAKMEM_DENSE", "0|1",
	  "under auto with lazy pages, promote fresh memory found dense (huge pages or populate)" },
};
const int hk_option_count = sizeof(hk_option_descs) / sizeof(hk_option_descs[0]);

enum { HK_OPT_BACKEND, HK_OPT_PREFAULT, HK_OPT_VERBOSE, HK_OPT_STATS, HK_OPT_PURGE,
       HK_OPT_DENSE };

static struct hk_options hk_opts = {
	.backend = HK_BACKEND_AUTO,
	.prefault = HK_PREFAULT_UNSET,
	.purge_delay_ms = 100,
	/* Off: measuring density takes mincore(2) after start, which the
	 * seccomp filters that allow glibc's malloc kill on (lib/load.c). */
	.dense = false,
};
static unsigned hk_opts_set;	/* bit i: option i came from the environment */
static int hk_opts_ready;

/* Parse a decimal in [lo, hi]; -1 if it is not one. */
static int hk_options_long(const char *s, long lo, long hi, long *out)
{
	long v = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > hi)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void hk_options_bad(int i, const char *v)
{
	hk_msg("ignoring %s=%s: expected %s", hk_option_descs[i].name, v,
	       hk_option_descs[i].values);
}

static void hk_options_parse(int i, const char *v)
{
	long n;
	int ok;

	switch (i) {
	case HK_OPT_BACKEND:
		ok = hk_backend_parse(v, &hk_opts.backend) == 0;
		break;
	case HK_OPT_PREFAULT:
		ok = hk_options_long(v, 0, 2, &n) == 0;
		if (ok)
			hk_opts.prefault = (enum hk_prefault)n;
		break;
	case HK_OPT_VERBOSE:
	case HK_OPT_STATS:
	case HK_OPT_DENSE:
		ok = hk_options_long(v, 0, 1, &n) == 0;
		if (ok && i == HK_OPT_VERBOSE)
			hk_opts.verbose = n;
		else if (ok && i == HK_OPT_STATS)
			hk_opts.stats = n;
		else if (ok)
			hk_opts.dense = n;
		break;
	default:
		ok = hk_options_long(v, 0, 60000, &hk_opts.purge_delay_ms) == 0;
		break;
	}
	if (ok)
		hk_opts_set |= 1u << i;
	else
		hk_options_bad(i, v);
}

const struct hk_options *hk_options(void)
{
	/* Racy but idempotent: two threads parsing at once write the same
	 * values; the only cost is a duplicated warning. */
	if (__atomic_load_n(&hk_opts_ready, __ATOMIC_ACQUIRE))
		return &hk_opts;
	hk_opts.secure = getauxval(AT_SECURE) != 0;
	for (int i = 0; i < hk_option_count; i++) {
		const char *v = secure_getenv(hk_option_descs[i].name);

		if (v)
			hk_options_parse(i, v);
	}
	__atomic_store_n(&hk_opts_ready, 1, __ATOMIC_RELEASE);
	return &hk_opts;
}

int hk_option_value(int i, char *buf, unsigned size)
{
	const struct hk_options *o = hk_options();

	switch (i) {
	case HK_OPT_BACKEND:
		hk_fmt(buf, size, "%s", hk_backend_name(o->backend));
		break;
	case HK_OPT_PREFAULT:
		if (o->prefault == HK_PREFAULT_UNSET)
			hk_fmt(buf, size, "unset");
		else
			hk_fmt(buf, size, "%d", (int)o->prefault);
		break;
	case HK_OPT_VERBOSE:
		hk_fmt(buf, size, "%d", (int)o->verbose);
		break;
	case HK_OPT_STATS:
		hk_fmt(buf, size, "%d", (int)o->stats);
		break;
	case HK_OPT_DENSE:
		hk_fmt(buf, size, "%d", (int)o->dense);
		break;
	default:
		hk_fmt(buf, size, "%ld", o->purge_delay_ms);
		break;
	}
	return (hk_opts_set >> i) & 1;
}
