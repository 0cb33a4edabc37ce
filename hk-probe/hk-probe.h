/* hk-probe.h: the pieces of the hk-probe CLI (not the library).
 *
 * hk-probe turns what the library learns (struct hk_caps, struct
 * hk_choice, the options) into one flat list of report items
 * (hk-probe-facts.c); the text printer (hk-probe-report.c) and the JSON
 * printer (hk-probe-json.c) render that same list, so the two outputs
 * can never hold different facts.  Capabilities through libcap-ng live in
 * hk-probe-caps.c, the backend benchmark in hk-probe-bench.c.
 *
 * hk-probe is an ordinary program: stdio and malloc are fine here.
 */
#ifndef HK_PROBE_CLI_H
#define HK_PROBE_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "probe/caps.h"
#include "probe/select.h"

/* The sections of the report, in print order. */
enum hk_sect {
	HK_SECT_KERNEL,
	HK_SECT_MEMORY,
	HK_SECT_HUGE,
	HK_SECT_LIMITS,
	HK_SECT_CAPS,
	HK_SECT_OPTIONS,
	HK_SECT_DECISION,
	HK_SECT_COUNT,
};

/* The check mark of one item. */
enum hk_mark {
	HK_MARK_INFO = 0,	/* a plain fact, nothing to judge */
	HK_MARK_OK,
	HK_MARK_WARN,		/* works, but could be better: see the hint */
	HK_MARK_SKIP,		/* not learned (sysroot, reader absent) */
};

/* How an item's value is typed in JSON; the text form is always str. */
enum hk_vkind {
	HK_V_STR,
	HK_V_INT,		/* num */
	HK_V_BOOL,		/* num != 0 */
	HK_V_NULL,		/* JSON null; str says why in text */
	HK_V_FIELDS,		/* a small object of integers */
};

#define HK_FIELDS_MAX 6

struct hk_field {
	const char *name;
	long long v;
};

struct hk_item {
	enum hk_sect sect;
	char key[40];
	enum hk_vkind kind;
	char str[HK_REASON_MAX];	/* the value as text */
	long long num;
	int nfields;
	struct hk_field fields[HK_FIELDS_MAX];
	char detail[48];		/* how it was learned, or a qualifier */
	enum hk_mark mark;
	char hint[160];
};

#define HK_ITEMS_MAX 96

struct hk_report {
	int n;
	struct hk_item items[HK_ITEMS_MAX];
};

/* What the CLI learned about this process's capabilities through
 * libcap-ng (hk-probe-caps.c); unused without it. */
struct hk_capng_facts {
	bool used;		/* libcap-ng answered */
	bool ipc_lock;
	bool sys_admin;
	bool dropped;		/* hk-probe dropped capabilities (root) */
	char kept[64];		/* what it kept, "CAP_IPC_LOCK CAP_SYS_ADMIN" */
};

/* Everything one report is made of.  On the running system caps is a
 * detailed probe (HK_PROBE_DETAILS) and choice hk_select() over it; the
 * library's own hk_os_init() result is kept beside them, so a
 * disagreement shows. */
struct hk_facts {
	const char *sysroot;		/* NULL for the running system */
	struct hk_caps caps;
	struct hk_choice choice;
	struct hk_capng_facts capng;
	enum hk_backend_id lib_backend;	/* hk_os_choice()->backend */
	uint64_t lib_probe_ns;		/* hk_os_caps()->probe_ns */
};

/* hk-probe.c */
int hk_cli_cmp_u64(const void *a, const void *b);	/* for qsort */
uint64_t hk_cli_clock_ns(clockid_t clk);

/* hk-probe-facts.c */
void hk_cli_report_build(const struct hk_facts *f, struct hk_report *r);
const char *hk_cli_sect_name(enum hk_sect s);	/* "Kernel" */
const char *hk_cli_sect_key(enum hk_sect s);	/* "kernel" (JSON) */
const char *hk_cli_mark_name(enum hk_mark m);
const char *hk_cli_errno_name(int err);

/* hk-probe-report.c, hk-probe-json.c */
void hk_cli_print_text(FILE *out, const struct hk_report *r);
void hk_cli_print_json(FILE *out, const struct hk_facts *f,
		       const struct hk_report *r);

/* A JSON string, escaped (hk-probe-json.c). */
void hk_cli_json_string(FILE *out, const char *s);

/* hk-probe-conf.c: --for PATH, the options the library would take for
 * that program, each with its source; --check-config [FILE].  Both
 * return the exit status (hk-probe(1)). */
int hk_cli_conf_for(FILE *out, const char *prog, bool json);
int hk_cli_conf_check(FILE *out, const char *file, bool json);

/* hk-probe-caps.c: drop what hk-probe does not need (root only, before
 * anything is read), then read the capabilities through libcap-ng. */
void hk_cli_caps_drop(bool sysroot, struct hk_capng_facts *out);
void hk_cli_caps_read(struct hk_capng_facts *out);

/* hk-probe-bench.c */
struct hk_bench_opts {
	unsigned size_mib;		/* total size, a multiple of 2 */
	unsigned reps;
};
/* Returns 0, or 2 when no cell could be measured. */
int hk_cli_bench(FILE *out, const struct hk_facts *f,
		 const struct hk_bench_opts *o);


/* hk-probe-selftest.c: --self-test[=LIB]; 0 passed, 2 failed (said why). */
int hk_cli_selftest(const char *lib);

#endif /* HK_PROBE_CLI_H */
