/* test-options: the HAKMEM_* table (lib/options.c).
 *
 * The rows are walked as the parser and printer walk them: each has a
 * name, a default inside its range that prints and parses back to
 * itself, and rejects what is not its value without touching the field.
 * Then the environment: a value set there is in force and says so, a bad
 * one keeps the default.  The old parser took any option it did not name
 * as the purge delay; here an id past the table is refused.  Booleans
 * take yes/no, true/false and on/off in any case besides 1 and 0, in the
 * environment as in /etc/hakmem.conf.  The kinds with names
 * (HAKMEM_STATS=json) and the file pattern of HAKMEM_STATS_FILE
 * (lib/stats-path.h) are checked the same way. */
#include <stdlib.h>
#include <string.h>

#include "lib/conf-read.h"
#include "lib/options.h"
#include "test/tap.h"

static int same(const struct hk_options *a, const struct hk_options *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

/* The kinds whose values are not only decimals in [lo, hi]: their
 * values by name, the default (if not a decimal) last. */
static const char *const backends[] = { "auto", "lazy", "touch", "map_populate",
					"populate", "thp", "hugetlb", NULL };
static const char *const paths[] = { "/tmp/x", "/var/log/hakmem/%c.%p.json", "/a%%b",
				     "/%p%p%c%%", NULL };
static const char *const *named(const struct hk_option_desc *d)
{
	return d->kind == HK_OPTK_BACKEND ? backends : d->kind == HK_OPTK_PATH ? paths : NULL;
}

/* Every value the row accepts, formatted, parses back to the same field. */
static int row_roundtrips(int i)
{
	const struct hk_option_desc *d = &hk_option_descs[i];
	const char *const *names = named(d);
	struct hk_options o, p;
	char buf[HK_OPT_PATH_MAX], num[32];
	int n = (int)(d->hi - d->lo + 1);

	if (names)
		for (n = 0; names[n]; n++)
			;
	if (n > 5)
		n = 5;		/* lo, lo+1, ... and hi below */
	for (int k = 0; k <= n; k++) {
		const char *v = num;

		if (names) {
			if (k == n)
				break;
			v = names[k];
		} else if (d->kind == HK_OPTK_STATS && k == n) {
			v = "json";
		} else {
			snprintf(num, sizeof(num), "%ld", k == n ? d->hi : d->lo + k);
		}
		hk_options_defaults(&o);
		if (hk_option_parse(&o, i, v) != 0)
			return 0;
		hk_option_format(&o, i, buf, sizeof(buf));
		hk_options_defaults(&p);
		if (hk_option_parse(&p, i, buf) != 0 || !same(&o, &p) || strcmp(buf, v))
			return 0;
	}
	return 1;
}

/* A row's value as a number, through its printed form. */
static long value_of(const struct hk_options *o, int i)
{
	char buf[64];

	hk_option_format(o, i, buf, sizeof(buf));
	return atol(buf);
}

static int row_rejects(int i)
{
	static const char *bad[] = { "", "x", "-1", "1x", " 1", "99999999999999999999999",
				     "60001", "3", "2", "JSON", "json ", "unset" };
	const struct hk_option_desc *d = &hk_option_descs[i];
	struct hk_options o, ref;

	for (unsigned k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		long v = atol(bad[k]);
		int valid = !named(d) && strspn(bad[k], "0123456789") ==
			strlen(bad[k]) && *bad[k] && strlen(bad[k]) < 10 &&
			v >= d->lo && v <= d->hi;

		if (valid)
			continue;
		hk_options_defaults(&o);
		ref = o;
		if (hk_option_parse(&o, i, bad[k]) == 0 || !same(&o, &ref)) {
			tap_diag("%s accepted or changed on \"%s\"", d->name, bad[k]);
			return 0;
		}
	}
	return 1;
}

int main(void)
{
	struct hk_options o, ref;
	char buf[HK_OPT_PATH_MAX], longer[HK_OPT_PATH_MAX + 1];
	int ok;

	tap_plan(17 + 3 * HK_OPT_COUNT);
	tap_ok(hk_option_count == HK_OPT_COUNT, "one row per option id (%d)", hk_option_count);
	for (int i = 0; i < HK_OPT_COUNT; i++) {
		const struct hk_option_desc *d = &hk_option_descs[i];
		int named = d->name && !strncmp(d->name, "HAKMEM_", 7) && d->values && d->help;

		hk_options_defaults(&o);
		hk_option_format(&o, i, buf, sizeof(buf));
		tap_ok(named && (d->kind == HK_OPTK_BACKEND || d->kind == HK_OPTK_PATH ||
				 d->lo <= d->hi),
		       "row %d (%s) is complete: name, values, help, range", i,
		       d->name ? d->name : "(none)");
		tap_ok(row_roundtrips(i), "%s: values print and parse back", d->name);
		tap_ok(row_rejects(i), "%s: bad values refused, field untouched", d->name);
	}

	hk_options_defaults(&o);
	tap_ok(o.backend == HK_BACKEND_AUTO && o.prefault == HK_PREFAULT_UNSET &&
	       !o.verbose && o.stats == HK_STATS_UNSET && o.purge_delay_ms == 100 &&
	       !o.dense && !o.secure && !o.stats_file[0] && o.enabled,
	       "defaults: auto, prefault and stats unset, purge 100 ms, no file, enabled, the rest off");
	hk_option_format(&o, HK_OPT_PREFAULT, buf, sizeof(buf));
	tap_ok(!strcmp(buf, "unset"), "prefault's default prints as unset (%s)", buf);
	hk_option_format(&o, HK_OPT_STATS, buf, sizeof(buf));
	ok = !strcmp(buf, "unset");
	hk_option_format(&o, HK_OPT_STATS_FILE, buf, sizeof(buf));
	tap_ok(ok && !strcmp(buf, "unset"), "HAKMEM_STATS and HAKMEM_STATS_FILE print unset");
	ok = hk_option_parse(&o, HK_OPT_STATS, "1") == 0 && o.stats == HK_STATS_TEXT &&
		hk_option_parse(&o, HK_OPT_STATS, "0") == 0 && o.stats == HK_STATS_OFF &&
		hk_option_parse(&o, HK_OPT_STATS, "json") == 0 && o.stats == HK_STATS_JSON &&
		hk_option_parse(&o, HK_OPT_STATS, "yes") == 0 && o.stats == HK_STATS_TEXT &&
		hk_option_parse(&o, HK_OPT_STATS, "Off") == 0 && o.stats == HK_STATS_OFF;
	o.stats = HK_STATS_UNSET;
	tap_ok(ok, "HAKMEM_STATS: 1 (or yes) is text as before, 0 (or off) off, json JSON");

	/* A file name: absolute, known escapes, fits, and not a directory. */
	memset(longer, 'a', sizeof(longer) - 1);
	longer[0] = '/';
	longer[sizeof(longer) - 1] = 0;
	ref = o;
	ok = hk_option_parse(&o, HK_OPT_STATS_FILE, longer) != 0 && same(&o, &ref);
	longer[HK_OPT_PATH_MAX - 1] = 0;
	ok = ok && hk_option_parse(&o, HK_OPT_STATS_FILE, longer) == 0 &&
		!strcmp(o.stats_file, longer);
	tap_ok(ok, "HAKMEM_STATS_FILE: %d bytes refused, %d taken", HK_OPT_PATH_MAX,
	       HK_OPT_PATH_MAX - 1);
	o = ref;
	ok = 1;
	for (const char *const *b = (const char *const[]){ "x/%p", "./x", "/", "/tmp/",
			"/x%", "/x%d", "/x%P", "%p", "~/x", NULL }; *b; b++)
		if (hk_option_parse(&o, HK_OPT_STATS_FILE, *b) == 0 || !same(&o, &ref)) {
			tap_diag("HAKMEM_STATS_FILE=%s accepted", *b);
			ok = 0;
		}
	tap_ok(ok, "HAKMEM_STATS_FILE: relative, directory, unknown %% escapes refused");

	/* Each kind writes its own field and nothing else. */
	ref = o;
	ok = hk_option_parse(&o, HK_OPT_PURGE_DELAY, "250") == 0 && o.purge_delay_ms == 250;
	o.purge_delay_ms = ref.purge_delay_ms;
	ok = ok && same(&o, &ref);
	ok = ok && hk_option_parse(&o, HK_OPT_DENSE, "1") == 0 && o.dense;
	o.dense = ref.dense;
	ok = ok && same(&o, &ref);
	ok = ok && hk_option_parse(&o, HK_OPT_BACKEND, "thp") == 0 && o.backend == HK_BACKEND_THP;
	o.backend = ref.backend;
	ok = ok && same(&o, &ref);
	ok = ok && hk_option_parse(&o, HK_OPT_STATS, "json") == 0 && o.stats == HK_STATS_JSON;
	o.stats = ref.stats;
	ok = ok && same(&o, &ref);
	ok = ok && hk_option_parse(&o, HK_OPT_STATS_FILE, "/x") == 0 && !strcmp(o.stats_file, "/x");
	memset(o.stats_file, 0, sizeof(o.stats_file));
	ok = ok && same(&o, &ref);
	tap_ok(ok, "each option writes only its own field");

	/* The last option is no longer the parser's default case. */
	tap_ok(hk_option_parse(&o, HK_OPT_DENSE, "5000") != 0 && same(&o, &ref),
	       "HAKMEM_DENSE=5000 is refused, not taken as a delay");
	tap_ok(hk_option_parse(&o, HK_OPT_COUNT, "100") != 0 &&
	       hk_option_parse(&o, -1, "100") != 0 && same(&o, &ref),
	       "an id outside the table is refused");

	/* Boolean words, for every boolean row. */
	ok = 1;
	for (int i = 0; i < HK_OPT_COUNT; i++) {
		static const char *const on[] = { "yes", "true", "on", "YES", "True", "oN" };
		static const char *const off[] = { "no", "false", "off", "NO", "False", "OFF" };
		static const char *const not[] = { "y", "n", "ye", "yess", "onn", "of", "maybe",
						   " yes", "yes ", "tru" };

		if (hk_option_descs[i].kind != HK_OPTK_BOOL)
			continue;
		for (unsigned k = 0; k < sizeof(on) / sizeof(on[0]); k++) {
			hk_options_defaults(&o);
			ok = ok && hk_option_parse(&o, i, off[k]) == 0 && value_of(&o, i) == 0 &&
				hk_option_parse(&o, i, on[k]) == 0 && value_of(&o, i) == 1;
		}
		for (unsigned k = 0; k < sizeof(not) / sizeof(not[0]); k++) {
			hk_options_defaults(&o);
			ref = o;
			ok = ok && hk_option_parse(&o, i, not[k]) != 0 && same(&o, &ref);
		}
	}
	tap_ok(ok, "booleans take yes/no, true/false, on/off in any case, nothing close to them");
	ok = hk_option_parse(&o, HK_OPT_PURGE_DELAY, "yes") != 0 &&
		hk_option_parse(&o, HK_OPT_PREFAULT, "on") != 0 &&
		hk_option_parse(&o, HK_OPT_BACKEND, "no") != 0;
	tap_ok(ok, "words are only for booleans");

	/* The environment, read on the first hk_options(); no file. */
	hk_conf_path = "/nonexistent/hakmem.conf";
	setenv("HAKMEM_VERBOSE", "off", 1);
	setenv("HAKMEM_PURGE_DELAY_MS", "250", 1);
	setenv("HAKMEM_BACKEND", "bogus", 1);
	setenv("HAKMEM_STATS", "1", 1);
	setenv("HAKMEM_STATS_FILE", "relative/%p", 1);
	unsetenv("HAKMEM_DENSE");
	const struct hk_options *env = hk_options();
	tap_ok(env->purge_delay_ms == 250 && env->stats == HK_STATS_TEXT &&
	       env->backend == HK_BACKEND_AUTO && !env->stats_file[0] && !env->verbose,
	       "environment values in force, a bad one keeps the default");
	ok = hk_option_value(HK_OPT_PURGE_DELAY, buf, sizeof(buf)) == HK_OPT_SRC_ENV &&
		!strcmp(buf, "250");
	tap_ok(ok, "HAKMEM_PURGE_DELAY_MS=%s, from the environment", buf);
	ok = hk_option_value(HK_OPT_BACKEND, buf, sizeof(buf)) == HK_OPT_SRC_DEFAULT &&
		!strcmp(buf, "auto");
	tap_ok(ok, "bad HAKMEM_BACKEND: %s, the default", buf);
	ok = hk_option_value(HK_OPT_DENSE, buf, sizeof(buf)) == HK_OPT_SRC_DEFAULT &&
		!strcmp(buf, "0");
	tap_ok(ok, "unset HAKMEM_DENSE: %s, the default", buf);
	tap_ok(!strcmp(hk_option_source_name(HK_OPT_SRC_ENV), "environment") &&
	       !strcmp(hk_option_source_name(HK_OPT_SRC_DEFAULT), "default"),
	       "sources are named for hk-probe");
	return tap_done();
}
