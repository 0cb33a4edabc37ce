/* options.c: the HAKMEM_* table, read once from /etc/hakmem.conf and
 * through secure_getenv.
 *
 * secure_getenv returns NULL in AT_SECURE processes (setuid, setgid,
 * file capabilities), so a system-wide install cannot be steered by the
 * environment of an unprivileged caller of a privileged program; the
 * file is root's, and applies there too (lib/conf-read.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "probe/fmt.h"
#include "lib/conf-read.h"
#include "lib/msg.h"
#include "lib/options.h"
#include "lib/stats-path.h"

#define HK_OPT_FIELD(f) offsetof(struct hk_options, f)

const struct hk_option_desc hk_option_descs[] = {
	[HK_OPT_BACKEND] = { "HAKMEM_BACKEND", HK_OPTK_BACKEND, 0, 0, HK_BACKEND_AUTO,
		"auto|lazy|populate|touch|map_populate|thp|hugetlb",
		"how memory is acquired from the OS (auto: chosen by the probe)",
		HK_OPT_FIELD(backend) },
	[HK_OPT_PREFAULT] = { "HAKMEM_SS_PREFAULT", HK_OPTK_PREFAULT, 0, 2, HK_PREFAULT_UNSET,
		"0|1|2",
		"prefault fresh superslabs: 0 off, 1 populate, 2 populate then touch",
		HK_OPT_FIELD(prefault) },
	[HK_OPT_VERBOSE] = { "HAKMEM_VERBOSE", HK_OPTK_BOOL, 0, 1, 0,
		"0|1", "print the probe's decision, demotions and fallbacks on stderr",
		HK_OPT_FIELD(verbose) },
	[HK_OPT_STATS] = { "HAKMEM_STATS", HK_OPTK_STATS, 0, 1, HK_STATS_UNSET,
		"0|1|json", "print counters at exit: 1 as text, json as one JSON object",
		HK_OPT_FIELD(stats) },
	[HK_OPT_PURGE_DELAY] = { "HAKMEM_PURGE_DELAY_MS", HK_OPTK_LONG, 0, 60000, 100,
		"0..60000",
		"how long empty slabs and superslabs wait before being purged",
		HK_OPT_FIELD(purge_delay_ms) },
	/* Off by default: measuring density takes mincore(2) after start,
	 * which the seccomp filters that allow glibc's malloc kill on
	 * (lib/load.c). */
	[HK_OPT_DENSE] = { "HAKMEM_DENSE", HK_OPTK_BOOL, 0, 1, 0,
		"0|1",
		"under auto with lazy pages, promote fresh memory found dense (huge pages or populate)",
		HK_OPT_FIELD(dense) },
	/* Decided at init, before any block is handed out (lib/glibc.h). */
	[HK_OPT_ENABLED] = { "HAKMEM_ENABLED", HK_OPTK_BOOL, 0, 1, 1,
		"0|1",
		"0: this process uses glibc's malloc, as if hakmem were not loaded",
		HK_OPT_FIELD(enabled) },
	/* Read from the environment only where secure_getenv answers, so a
	 * setuid program writes no file an unprivileged caller named. */
	[HK_OPT_STATS_FILE] = { "HAKMEM_STATS_FILE", HK_OPTK_PATH, 0, 0, 0,
		"an absolute path; %p pid, %c command, %% %",
		"write the counters at exit to a new file (JSON unless HAKMEM_STATS=1)",
		HK_OPT_FIELD(stats_file) },
};
const int hk_option_count = HK_OPT_COUNT;

/* Designated initializers tie each row to its id and size the array by
 * the highest one: an id added without its row fails here (a row missing
 * in the middle is an empty name, which test-options catches). */
_Static_assert(sizeof(hk_option_descs) / sizeof(hk_option_descs[0]) == HK_OPT_COUNT,
	       "one hk_option_descs row per enum hk_opt_id");

static struct hk_options hk_opts;
static unsigned char hk_opts_src[HK_OPT_COUNT];	/* enum hk_opt_source */
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

/* The words a boolean takes besides 0 and 1, as systemd's and git's
 * configuration files spell them. */
static int hk_options_word(const char *s, const char *word)
{
	/* ASCII only: strcasecmp follows the locale. */
	for (; *s && *word; s++, word++)
		if ((*s >= 'A' && *s <= 'Z' ? *s - 'A' + 'a' : *s) != *word)
			return 0;
	return !*s && !*word;
}

static int hk_options_bool(const char *s, long *out)
{
	static const char *const words[][2] = {
		{ "no", "yes" }, { "false", "true" }, { "off", "on" },
	};

	for (unsigned i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		for (int v = 0; v < 2; v++)
			if (hk_options_word(s, words[i][v])) {
				*out = v;
				return 0;
			}
	return -1;
}

/* Store v in the field of row d, typed by its kind. */
static void hk_option_store(struct hk_options *o, const struct hk_option_desc *d, long v)
{
	char *f = (char *)o + d->offset;

	switch (d->kind) {
	case HK_OPTK_BOOL:
		*(bool *)f = v != 0;
		break;
	case HK_OPTK_LONG:
		*(long *)f = v;
		break;
	case HK_OPTK_PREFAULT:
		*(enum hk_prefault *)f = (enum hk_prefault)v;
		break;
	case HK_OPTK_BACKEND:
		*(enum hk_backend_id *)f = (enum hk_backend_id)v;
		break;
	case HK_OPTK_STATS:
		*(enum hk_stats_mode *)f = (enum hk_stats_mode)v;
		break;
	case HK_OPTK_PATH:
		f[0] = 0;	/* the only default: unset */
		break;
	}
}

static long hk_option_load(const struct hk_options *o, const struct hk_option_desc *d)
{
	const char *f = (const char *)o + d->offset;

	switch (d->kind) {
	case HK_OPTK_BOOL:
		return *(const bool *)f;
	case HK_OPTK_LONG:
		return *(const long *)f;
	case HK_OPTK_PREFAULT:
		return *(const enum hk_prefault *)f;
	case HK_OPTK_BACKEND:
		return *(const enum hk_backend_id *)f;
	case HK_OPTK_STATS:
		return *(const enum hk_stats_mode *)f;
	case HK_OPTK_PATH:
		break;		/* not a number: formatted apart */
	}
	return 0;
}

int hk_option_parse(struct hk_options *o, int i, const char *v)
{
	const struct hk_option_desc *d;
	enum hk_backend_id b;
	long n;

	if (i < 0 || i >= HK_OPT_COUNT || !v)
		return -1;
	d = &hk_option_descs[i];
	if (d->kind == HK_OPTK_PATH) {
		if (hk_stats_path_check(v) != 0)
			return -1;
		strcpy((char *)o + d->offset, v);	/* checked shorter */
		return 0;
	}
	if (d->kind == HK_OPTK_STATS && !strcmp(v, "json")) {
		n = HK_STATS_JSON;
	} else if (d->kind == HK_OPTK_BACKEND) {
		if (hk_backend_parse(v, &b) != 0)
			return -1;
		n = b;
	} else if ((d->kind == HK_OPTK_BOOL || d->kind == HK_OPTK_STATS) &&
		   hk_options_bool(v, &n) == 0) {
		/* a word: yes is 1, text for HAKMEM_STATS */
	} else if (hk_options_long(v, d->lo, d->hi, &n) != 0) {
		return -1;
	}
	hk_option_store(o, d, n);
	return 0;
}

void hk_option_format(const struct hk_options *o, int i, char *buf, unsigned size)
{
	const struct hk_option_desc *d = &hk_option_descs[i];
	const char *path = (const char *)o + d->offset;
	long v = hk_option_load(o, d);

	if (d->kind == HK_OPTK_PATH)
		hk_fmt(buf, size, "%s", *path ? path : "unset");
	else if (d->kind == HK_OPTK_BACKEND)
		hk_fmt(buf, size, "%s", hk_backend_name((enum hk_backend_id)v));
	else if ((d->kind == HK_OPTK_PREFAULT && v == HK_PREFAULT_UNSET) ||
		 (d->kind == HK_OPTK_STATS && v == HK_STATS_UNSET))
		hk_fmt(buf, size, "unset");
	else if (d->kind == HK_OPTK_STATS && v == HK_STATS_JSON)
		hk_fmt(buf, size, "json");
	else
		hk_fmt(buf, size, "%ld", v);
}

void hk_options_defaults(struct hk_options *o)
{
	memset(o, 0, sizeof(*o));
	for (int i = 0; i < HK_OPT_COUNT; i++)
		hk_option_store(o, &hk_option_descs[i], hk_option_descs[i].def);
}

/* The environment's bad values, always said (a line 0 is not a file's). */
static void hk_options_warn(void *ctx, unsigned line, const char *why)
{
	(void)ctx;
	(void)line;
	hk_msg("%s", why);
}

static const char *hk_options_getenv(const char *name)
{
	return secure_getenv(name);
}

const struct hk_options *hk_options(void)
{
	static const struct hk_conf_report rep = { hk_options_warn, NULL };
	unsigned char src[HK_OPT_COUNT] = { 0 };
	struct hk_conf_file file;
	struct hk_options o;

	if (__atomic_load_n(&hk_opts_ready, __ATOMIC_ACQUIRE))
		return &hk_opts;
	/* Built aside and copied whole: two threads racing here store the
	 * same bytes, and neither lets a reader see a half-parsed table (a
	 * reader only looks after the ready flag).  The only cost of the
	 * race is a duplicated warning and the file read twice; the first
	 * call runs at load (hk_os_init) or in the first malloc, which
	 * comes first. */
	hk_options_defaults(&o);
	o.secure = getauxval(AT_SECURE) != 0;
	hk_conf_load(&o, src, &file);
	hk_options_env(&o, src, hk_options_getenv, &rep);
	/* hk_verbose would come back here: the flag is o's. */
	if (o.verbose)
		hk_conf_note(&file);
	hk_opts = o;
	memcpy(hk_opts_src, src, sizeof(src));
	__atomic_store_n(&hk_opts_ready, 1, __ATOMIC_RELEASE);
	return &hk_opts;
}

int hk_option_value(int i, char *buf, unsigned size)
{
	hk_option_format(hk_options(), i, buf, size);
	return hk_opts_src[i];
}

const char *hk_option_source_name(int src)
{
	static const char *const names[] = {
		[HK_OPT_SRC_DEFAULT] = "default",
		[HK_OPT_SRC_GLOBAL] = "global section",
		[HK_OPT_SRC_COMM] = "comm section",
		[HK_OPT_SRC_PROGRAM] = "program section",
		[HK_OPT_SRC_ENV] = "environment",
	};

	return src >= 0 && src <= HK_OPT_SRC_ENV ? names[src] : "?";
}

/* The file's scopes map onto the sources in order (options-conf.c). */
_Static_assert(HK_OPT_SRC_GLOBAL + HK_CONF_COMM == HK_OPT_SRC_COMM &&
	       HK_OPT_SRC_GLOBAL + HK_CONF_PROGRAM == HK_OPT_SRC_PROGRAM &&
	       HK_OPT_SRC_PROGRAM < HK_OPT_SRC_ENV, "sources follow the file's scopes");
