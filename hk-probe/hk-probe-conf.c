/* hk-probe-conf.c: the configuration file as hk-probe shows it.
 *
 * --for PATH computes the options the library would take in a process
 * running PATH: the file read by the library's own reader
 * (lib/conf-read.c, the same trust checks) and applied by its own code
 * (lib/options-conf.c) for the identity the kernel would give it (the
 * path, and as comm its base name cut to 15 characters), then this
 * environment, unless PATH would run AT_SECURE (setuid or setgid to
 * someone else, or file capabilities).  --check-config FILE checks a
 * file before it is installed: every line, in every section.
 * Exit codes (hk-probe(1)): --check-config 0 valid, 1 bad lines, 2 the
 * library would not use it (unreadable, not a regular file, too big, not
 * root's or writable by group or others). */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "hk-probe/hk-probe.h"
#include "lib/conf-read.h"
#include "lib/options.h"

/* The bad lines, kept to be printed in text or JSON. */
struct hk_cli_bad {
	unsigned n;
	unsigned line[64];
	char why[64][160];
};

static void hk_cli_bad_line(void *ctx, unsigned line, const char *why)
{
	struct hk_cli_bad *b = ctx;

	if (b->n < sizeof(b->line) / sizeof(b->line[0])) {
		b->line[b->n] = line;
		snprintf(b->why[b->n], sizeof(b->why[0]), "%s", why);
	}
	b->n++;
}

static const char *hk_cli_conf_state(enum hk_conf_state s)
{
	static const char *const names[] = {
		[HK_CONF_ABSENT] = "absent",
		[HK_CONF_READ] = "read",
		[HK_CONF_UNREADABLE] = "unreadable",
		[HK_CONF_NOT_REGULAR] = "not a regular file",
		[HK_CONF_UNTRUSTED] = "untrusted",
		[HK_CONF_TOO_BIG] = "too big",
	};

	return names[s];
}

static void hk_cli_bad_print(FILE *out, const char *file, const struct hk_cli_bad *b)
{
	for (unsigned i = 0; i < b->n && i < 64; i++)
		if (b->line[i])
			fprintf(out, "%s:%u: %s\n", file, b->line[i], b->why[i]);
		else
			fprintf(out, "%s\n", b->why[i]);
	if (b->n > 64)
		fprintf(out, "%s: %u more bad lines\n", file, b->n - 64);
}

static void hk_cli_bad_json(FILE *out, const struct hk_cli_bad *b)
{
	fputs("[", out);
	for (unsigned i = 0; i < b->n && i < 64; i++) {
		fprintf(out, "%s{\"line\": %u, \"why\": ", i ? ", " : "", b->line[i]);
		hk_cli_json_string(out, b->why[i]);
		fputc('}', out);
	}
	fputs("]", out);
}

/* Would the kernel mark an exec of st AT_SECURE for this caller? */
static bool hk_cli_secure(const char *prog, const struct stat *st)
{
	return (st->st_mode & S_ISUID && st->st_uid != geteuid()) ||
	       (st->st_mode & S_ISGID && st->st_gid != getegid()) ||
	       getxattr(prog, "security.capability", NULL, 0) >= 0;
}

static const char *hk_cli_getenv(const char *name)
{
	return getenv(name);
}

static const char *hk_cli_no_env(const char *name)
{
	(void)name;
	return NULL;
}

int hk_cli_conf_for(FILE *out, const char *prog, bool json)
{
	unsigned char src[HK_OPT_COUNT] = { 0 };
	struct hk_conf_report rep;
	struct hk_conf_ident id = { { prog, NULL }, NULL };
	struct hk_cli_bad *bad = calloc(1, sizeof(*bad));
	char *real = realpath(prog, NULL), comm[HK_CONF_COMM_MAX + 1], why[96], buf[64];
	const char *base = strrchr(prog, '/'), *label;
	struct hk_conf_file f;
	struct hk_options o;
	struct stat st;
	bool secure = stat(prog, &st) == 0 && hk_cli_secure(prog, &st);

	if (!bad) {
		perror("hk-probe");
		free(real);
		return 2;
	}
	rep = (struct hk_conf_report){ hk_cli_bad_line, bad };
	/* The kernel names a process after the base name of the path it
	 * was started by (fs/exec.c), cut to TASK_COMM_LEN - 1. */
	snprintf(comm, sizeof(comm), "%s", base ? base + 1 : prog);
	id.paths[1] = real;
	id.comm = comm;
	hk_options_defaults(&o);
	if (hk_conf_open(hk_conf_path, &f, false) == HK_CONF_READ)
		hk_options_conf(&o, src, f.buf, f.len, &id, &rep);
	hk_options_env(&o, src, secure ? hk_cli_no_env : hk_cli_getenv, &rep);
	label = hk_conf_state_why(&f, why, sizeof(why));
	if (json) {
		fputs("{\"program\": ", out);
		hk_cli_json_string(out, prog);
		fputs(", \"comm\": ", out);
		hk_cli_json_string(out, comm);
		fputs(", \"file\": ", out);
		hk_cli_json_string(out, hk_conf_path);
		fputs(", \"file_state\": ", out);
		hk_cli_json_string(out, hk_cli_conf_state(f.state));
		fprintf(out, ", \"environment\": %s, \"bad_lines\": ", secure ? "false" : "true");
		hk_cli_bad_json(out, bad);
		fputs(", \"options\": {", out);
	} else {
		fprintf(out, "Options for %s (comm %s)\n", prog, comm);
		fprintf(out, "  file         %s: %s%s%s\n", hk_conf_path,
			hk_cli_conf_state(f.state), label ? ", ignored: " : "", label ? label : "");
		fprintf(out, "  environment  %s\n", secure ? "ignored (AT_SECURE: setuid, setgid or capabilities)" : "applies");
		hk_cli_bad_print(stderr, hk_conf_path, bad);
	}
	for (int i = 0; i < HK_OPT_COUNT; i++) {
		char from[PATH_MAX + 16];

		hk_option_format(&o, i, buf, sizeof(buf));
		if (src[i] == HK_OPT_SRC_PROGRAM)
			snprintf(from, sizeof(from), "[program %s]", prog);
		else if (src[i] == HK_OPT_SRC_COMM)
			snprintf(from, sizeof(from), "[comm %s]", comm);
		else
			snprintf(from, sizeof(from), "%s", hk_option_source_name(src[i]));
		if (json) {
			char key[32];
			size_t k = 0;

			/* The file's key: the name without HAKMEM_, lower case. */
			for (const char *c = hk_option_descs[i].name + 7; *c && k < sizeof(key) - 1; c++)
				key[k++] = (char)tolower((unsigned char)*c);
			key[k] = '\0';
			fprintf(out, "%s\"%s\": {\"key\": \"%s\", \"value\": ", i ? ", " : "",
				hk_option_descs[i].name, key);
			hk_cli_json_string(out, buf);
			fputs(", \"source\": ", out);
			hk_cli_json_string(out, from);
			fputc('}', out);
		} else {
			fprintf(out, "  %-22s %-12s %s\n", hk_option_descs[i].name, buf, from);
		}
	}
	if (json)
		fputs("}}\n", out);
	hk_conf_close(&f);
	free(real);
	free(bad);
	return 0;
}

int hk_cli_conf_check(FILE *out, const char *file, bool json)
{
	unsigned char src[HK_OPT_COUNT] = { 0 };
	struct hk_conf_ident none = { { NULL, NULL }, NULL };
	struct hk_cli_bad *bad = calloc(1, sizeof(*bad));
	struct hk_conf_report rep = { hk_cli_bad_line, bad };
	struct hk_conf_file f;
	struct hk_options o;
	char why[96];
	const char *label;
	int rc;

	if (!bad) {
		perror("hk-probe");
		return 2;
	}
	hk_options_defaults(&o);
	/* An untrusted file is still checked line by line: the owner and
	 * mode are easy to fix once the lines are right. */
	hk_conf_open(file, &f, true);
	if (f.buf)
		hk_options_conf(&o, src, f.buf, f.len, &none, &rep);
	label = hk_conf_state_why(&f, why, sizeof(why));
	if (f.state == HK_CONF_ABSENT || f.state == HK_CONF_UNREADABLE) {
		snprintf(why, sizeof(why), "cannot be read (%s)", strerror(f.err));
		label = why;
	}
	rc = f.state != HK_CONF_READ ? 2 : bad->n ? 1 : 0;
	if (json) {
		fputs("{\"file\": ", out);
		hk_cli_json_string(out, file);
		fputs(", \"state\": ", out);
		hk_cli_json_string(out, hk_cli_conf_state(f.state));
		fputs(", \"why\": ", out);
		if (label)
			hk_cli_json_string(out, label);
		else
			fputs("null", out);
		fputs(", \"bad_lines\": ", out);
		hk_cli_bad_json(out, bad);
		fprintf(out, ", \"exit\": %d}\n", rc);
	} else {
		hk_cli_bad_print(out, file, bad);
		if (label)
			fprintf(out, "%s: %s: the library would not use it\n", file, label);
		else if (bad->n)
			fprintf(out, "%s: %u bad line%s (skipped by the library)\n", file, bad->n,
				bad->n == 1 ? "" : "s");
		else
			fprintf(out, "%s: valid\n", file);
	}
	hk_conf_close(&f);
	free(bad);
	return rc;
}
