/* options.h: the HAKMEM_* options, one table.
 *
 * Each option is one row of hk_option_descs, indexed by enum hk_opt_id:
 * its name, the kind of value, the range, the default, the help line and
 * where it lands in struct hk_options.  Parsing, printing and the
 * defaults all loop over the rows, so a new option is one enum entry and
 * one row (a static assertion in options.c keeps the two the same
 * length).  Values come, once, from /etc/hakmem.conf (lib/conf-read.c,
 * lib/options-conf.c: its global section, then the section for this
 * program) and from the environment, read through secure_getenv (ignored
 * in setuid and file-capability programs, where the file, root's, still
 * applies); an unknown value gives one warning and keeps what was there.
 * The table is documented in README.md and hakmem(7); hk-probe prints
 * the values in force and their source.
 */
#ifndef HK_OPTIONS_H
#define HK_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "probe/select.h"

/* HAKMEM_STATS: the report at exit.  Unset (the default) is off, unless
 * HAKMEM_STATS_FILE names a file, which then gets the JSON report. */
enum hk_stats_mode {
	HK_STATS_UNSET = -1,
	HK_STATS_OFF = 0,
	HK_STATS_TEXT = 1,		/* "1": the lines of malloc_stats() */
	HK_STATS_JSON = 2,		/* "json": one object on one line */
};

/* Bytes of a path option with its NUL: longer values are refused.  Fits
 * hk-probe's value column (HK_REASON_MAX), which prints it whole. */
#define HK_OPT_PATH_MAX 224

struct hk_options {
	enum hk_backend_id backend;	/* HAKMEM_BACKEND, default auto */
	enum hk_prefault prefault;	/* HAKMEM_SS_PREFAULT, default unset */
	bool verbose;			/* HAKMEM_VERBOSE=1 */
	enum hk_stats_mode stats;	/* HAKMEM_STATS, default unset */
	long purge_delay_ms;		/* HAKMEM_PURGE_DELAY_MS, default 100 */
	bool dense;			/* HAKMEM_DENSE, default 0 (probe/chunk.h) */
	bool enabled;			/* HAKMEM_ENABLED, default 1 (lib/glibc.h) */
	bool secure;			/* AT_SECURE: every HAKMEM_ variable ignored */
	/* HAKMEM_STATS_FILE, "" when unset: a pattern (lib/stats-path.h) */
	char stats_file[HK_OPT_PATH_MAX];
};

/* The options in force; read from the file and the environment on the
 * first call. */
const struct hk_options *hk_options(void);

enum hk_opt_id {
	HK_OPT_BACKEND,
	HK_OPT_PREFAULT,
	HK_OPT_VERBOSE,
	HK_OPT_STATS,
	HK_OPT_PURGE_DELAY,
	HK_OPT_DENSE,
	HK_OPT_ENABLED,
	HK_OPT_STATS_FILE,
	HK_OPT_COUNT
};

/* What a row's value is, and so which field type it writes. */
enum hk_opt_kind {
	HK_OPTK_BOOL,			/* bool field, "0" or "1" (also yes/no,
					 * true/false, on/off) */
	HK_OPTK_LONG,			/* long field, decimal in [lo, hi] */
	HK_OPTK_PREFAULT,		/* enum hk_prefault, decimal in [lo, hi];
					 * the default prints as "unset" */
	HK_OPTK_BACKEND,		/* enum hk_backend_id, by name */
	HK_OPTK_STATS,			/* enum hk_stats_mode, decimal in [lo, hi]
					 * or "json"; the default prints as
					 * "unset" */
	HK_OPTK_PATH,			/* char[HK_OPT_PATH_MAX], a
					 * HAKMEM_STATS_FILE pattern; the default
					 * "" prints as "unset" */
};

/* Where the value in force came from, in increasing precedence: a
 * source overrides those before it.  The file's three follow enum
 * hk_conf_scope (probe/conf.h): a [program PATH] section is more exact
 * than a [comm NAME] one. */
enum hk_opt_source {
	HK_OPT_SRC_DEFAULT = 0,
	HK_OPT_SRC_GLOBAL,		/* the file, before any section */
	HK_OPT_SRC_COMM,		/* the file, [comm NAME] */
	HK_OPT_SRC_PROGRAM,		/* the file, [program PATH] */
	HK_OPT_SRC_ENV,
};

struct hk_option_desc {
	const char *name;		/* HAKMEM_BACKEND */
	enum hk_opt_kind kind;
	long lo, hi;			/* range of a numeric value */
	long def;			/* the default, as the field's value */
	const char *values;		/* "auto|lazy|..." for the docs */
	const char *help;
	size_t offset;			/* of the field in struct hk_options */
};
extern const struct hk_option_desc hk_option_descs[];
extern const int hk_option_count;

/* Parse text v as option i into *o: 0, or -1 (o untouched) when v is not
 * a value of that option.  Pure, for the environment and for tests. */
int hk_option_parse(struct hk_options *o, int i, const char *v);
/* The value of option i in *o as text. */
void hk_option_format(const struct hk_options *o, int i, char *buf,
		      unsigned size);
/* All options at their defaults. */
void hk_options_defaults(struct hk_options *o);
/* The value of option i in force as text, and where it came from
 * (enum hk_opt_source). */
int hk_option_value(int i, char *buf, unsigned size);
/* "default", "global section", "comm section", "program section",
 * "environment": how hk-probe names a source. */
const char *hk_option_source_name(int src);

/* Where a bad line, or a bad environment value (line 0), is reported. */
struct hk_conf_report {
	void (*bad)(void *ctx, unsigned line, const char *why);
	void *ctx;
};
struct hk_conf_ident;
/* The option whose key (its name without HAKMEM_, any case) is the len
 * bytes at key, or -1. */
int hk_option_find_key(const char *key, size_t len);
/* Apply the file's len bytes at buf to *o for the program id: each
 * option's value and src[option] (enum hk_opt_source) change where the
 * line's section is at least as strong as src[option].  Bad lines go to
 * rep, and do not change *o.  Pure (lib/options-conf.c). */
void hk_options_conf(struct hk_options *o, unsigned char *src, const char *buf,
		     size_t len, const struct hk_conf_ident *id,
		     const struct hk_conf_report *rep);
/* Apply the environment, through lookup (secure_getenv in the library),
 * over everything else. */
void hk_options_env(struct hk_options *o, unsigned char *src,
		    const char *(*lookup)(const char *name),
		    const struct hk_conf_report *rep);

#endif /* HK_OPTIONS_H */
