/* hk-probe.c: main() of the hk-probe CLI, a thin printer over the
 * library's own probe, options and selection.
 *
 * The facts come from hk_probe() (with HK_PROBE_DETAILS, which adds what
 * no decision needs), the decision from hk_select() over the options in
 * force; on the running system hk_os_init() runs too, exactly as in a
 * process under libhakmem, and its decision is compared with the one
 * reported.  Under --sysroot the probe reads a captured tree and the
 * trial results recorded in it; no trial runs.
 * Exit codes (hk-probe(1)): 0 done, 1 bad usage, 2 failure (output could
 * not be written, benchmark failed). */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "hk-probe/hk-probe.h"
#include "lib/conf-read.h"
#include "lib/options.h"
#include "lib/os.h"

#if HAVE_LIBCAP_NG
#define HK_CLI_CAPNG 1
#else
#define HK_CLI_CAPNG 0
#endif

enum hk_cli_mode {
	HK_MODE_TEXT, HK_MODE_JSON, HK_MODE_BACKEND, HK_MODE_TIME, HK_MODE_BENCH,
	HK_MODE_FOR, HK_MODE_CHECK, HK_MODE_SELFTEST,
};

struct hk_cli {
	enum hk_cli_mode mode;
	bool json;
	const char *prog;		/* --for */
	const char *conf;		/* --check-config */
	const char *sysroot;
	unsigned time_runs;
	struct hk_bench_opts bench;
	const char *selftest_lib;	/* --self-test=LIB */
};

static void hk_cli_usage(FILE *out)
{
	fputs("Usage: hk-probe [OPTION]...\n"
	      "Show what hakmem learns about this kernel and which way of getting\n"
	      "memory from the OS it chooses, and why.\n\n"
	      "  -j, --json           the same facts and decision as JSON\n"
	      "  -b, --backend        print only the chosen backend's name\n"
	      "  -t, --time[=N]       run the library's probe N times (default 101),\n"
	      "                       print the median duration in microseconds\n"
	      "  -B, --bench          measure each usable backend on this machine\n"
	      "      --size=MIB       memory per --bench cell (default 256, even)\n"
	      "      --reps=N         --bench repetitions, medians taken (default 5)\n"
	      "      --self-test[=LIB]  run under LD_PRELOAD: check that malloc is\n"
	      "                       libhakmem's (the file LIB), allocate, print\n"
	      "                       the decision; exit 2 on any failure\n"
	      "  -s, --sysroot=DIR    probe a captured /proc and /sys tree (and its\n"
	      "                       recorded trials) instead of this system\n"
	      "  -f, --for=PATH       the options the library would take in PATH's\n"
	      "                       processes, and where each comes from\n"
	      "  -c, --check-config[=FILE]  check a configuration file (default\n"
	      "                       " HK_CONF_PATH ") before installing it\n"
	      "  -V, --version        print the version and compiled-in features\n"
	      "  -h, --help           print this help\n\n"
	      "Exit status: 0 done, 1 bad usage, 2 failure (output not written,\n"
	      "benchmark failed).  --check-config: 0 valid, 1 bad lines, 2 not\n"
	      "usable (unreadable, too big, not root's or writable by others).\n"
	      "See hk-probe(1) and hakmem(7).\n", out);
}

static void hk_cli_version(void)
{
	static const struct { const char *name; int on; } feats[] = {
		{ "LIBCAP_NG", HK_CLI_CAPNG },
		{ "POPULATE_WRITE_DECL", HAVE_DECL_MADV_POPULATE_WRITE },
		{ "POPULATE_READ_DECL", HAVE_DECL_MADV_POPULATE_READ },
		{ "MAP_POPULATE_DECL", HAVE_DECL_MAP_POPULATE },
		{ "MAP_HUGETLB_DECL", HAVE_DECL_MAP_HUGETLB },
		{ "MAP_HUGE_SHIFT_DECL", HAVE_DECL_MAP_HUGE_SHIFT },
		{ "MADV_HUGEPAGE_DECL", HAVE_DECL_MADV_HUGEPAGE },
		{ "MADV_NOHUGEPAGE_DECL", HAVE_DECL_MADV_NOHUGEPAGE },
		{ "MADV_FREE_DECL", HAVE_DECL_MADV_FREE },
		{ "FIXED_NOREPLACE_DECL", HAVE_DECL_MAP_FIXED_NOREPLACE },
		{ "THP_DISABLE_DECL", HAVE_DECL_PR_SET_THP_DISABLE },
	};

	printf("hk-probe (hakmem) %s\n", PACKAGE_VERSION);
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++)
		printf("%s%c%s", i ? " " : "", feats[i].on ? '+' : '-', feats[i].name);
	putchar('\n');
}

static int hk_cli_uint(const char *s, unsigned lo, unsigned hi, unsigned *out)
{
	char *end;
	unsigned long v = strtoul(s, &end, 10);

	if (!*s || *end || *s == '-' || v < lo || v > hi)
		return -1;
	*out = (unsigned)v;
	return 0;
}

static int hk_cli_bad(const char *what, const char *arg)
{
	fprintf(stderr, "hk-probe: invalid %s: '%s'\n"
		"Try 'hk-probe --help' for more information.\n", what, arg);
	return 1;
}

/* 0 to go on, -1 when done (--help, --version), 1 for bad usage. */
static int hk_cli_parse(int argc, char **argv, struct hk_cli *cli)
{
	enum { OPT_SIZE = 256, OPT_REPS, OPT_SELFTEST };
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "backend", no_argument, NULL, 'b' },
		{ "time", optional_argument, NULL, 't' },
		{ "bench", no_argument, NULL, 'B' },
		{ "size", required_argument, NULL, OPT_SIZE },
		{ "reps", required_argument, NULL, OPT_REPS },
		{ "sysroot", required_argument, NULL, 's' },
		{ "self-test", optional_argument, NULL, OPT_SELFTEST },
		{ "for", required_argument, NULL, 'f' },
		{ "check-config", optional_argument, NULL, 'c' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "jbt::Bs:f:c::Vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'j': cli->json = true; break;
		case 'f': cli->mode = HK_MODE_FOR; cli->prog = optarg; break;
		case 'c': cli->mode = HK_MODE_CHECK; cli->conf = optarg; break;
		case 'b': cli->mode = HK_MODE_BACKEND; break;
		case 'B': cli->mode = HK_MODE_BENCH; break;
		case 's': cli->sysroot = optarg; break;
		case 't':
			cli->mode = HK_MODE_TIME;
			if (optarg && hk_cli_uint(optarg, 1, 1000000, &cli->time_runs))
				return hk_cli_bad("--time count", optarg);
			break;
		case OPT_SIZE:
			if (hk_cli_uint(optarg, 2, 1 << 20, &cli->bench.size_mib) ||
			    cli->bench.size_mib % 2)
				return hk_cli_bad("--size (an even number of MiB)", optarg);
			break;
		case OPT_REPS:
			if (hk_cli_uint(optarg, 1, 99, &cli->bench.reps))
				return hk_cli_bad("--reps", optarg);
			break;
		case OPT_SELFTEST: cli->mode = HK_MODE_SELFTEST; cli->selftest_lib = optarg; break;
		case 'V': hk_cli_version(); return -1;
		case 'h': hk_cli_usage(stdout); return -1;
		default:
			fputs("Try 'hk-probe --help' for more information.\n", stderr);
			return 1;
		}
	}
	/* --check-config FILE, as well as --check-config=FILE. */
	if (cli->mode == HK_MODE_CHECK && !cli->conf && optind < argc)
		cli->conf = argv[optind++];
	if (optind < argc) {
		fprintf(stderr, "hk-probe: unexpected argument '%s'\n", argv[optind]);
		return 1;
	}
	if (cli->json && cli->mode == HK_MODE_TEXT)
		cli->mode = HK_MODE_JSON;
	return 0;
}

int hk_cli_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

uint64_t hk_cli_clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* --time: the median wall time of the probe the library runs. */
static int hk_cli_time(const struct hk_cli *cli)
{
	uint64_t *ns = calloc(cli->time_runs, sizeof(*ns));
	struct hk_caps caps;

	if (!ns) {
		perror("hk-probe");
		return 2;
	}
	for (unsigned i = 0; i < cli->time_runs; i++) {
		uint64_t t0 = hk_cli_clock_ns(CLOCK_MONOTONIC);

		hk_probe(&caps, cli->sysroot ? cli->sysroot : "", 0);
		ns[i] = hk_cli_clock_ns(CLOCK_MONOTONIC) - t0;
	}
	qsort(ns, cli->time_runs, sizeof(*ns), hk_cli_cmp_u64);
	printf("%.1f\n", (double)ns[cli->time_runs / 2] / 1000.0);
	free(ns);
	return 0;
}

/* The facts and the decision.  The decision is the library's own
 * hk_select() over the options in force; on the running system the
 * library's hk_os_init() runs too and its result is kept to be compared,
 * while the facts come from a probe with HK_PROBE_DETAILS (the library
 * skips the facts no decision needs). */
static void hk_cli_gather(const struct hk_cli *cli, struct hk_facts *f)
{
	struct hk_select_in in = {
		.backend = hk_options()->backend,
		.prefault = hk_options()->prefault,
	};
	unsigned flags = HK_PROBE_DETAILS;

	f->sysroot = cli->sysroot;
	/* Under --sysroot the probe takes the trial results recorded in the
	 * tree's trials file (test/fixtures/README.txt) and runs none. */
	if (!cli->sysroot) {
		hk_os_init();
		f->lib_backend = hk_os_choice()->backend;
		f->lib_probe_ns = hk_os_caps()->probe_ns;
		hk_cli_caps_read(&f->capng);
	}
	hk_probe(&f->caps, cli->sysroot ? cli->sysroot : "", flags);
	hk_select(&f->caps, &in, &f->choice);
}

static int hk_cli_run(const struct hk_cli *cli, struct hk_facts *f)
{
	struct hk_report *r;

	if (cli->mode == HK_MODE_TIME)
		return hk_cli_time(cli);
	if (cli->mode == HK_MODE_SELFTEST)
		return hk_cli_selftest(cli->selftest_lib);
	if (cli->mode == HK_MODE_FOR)
		return hk_cli_conf_for(stdout, cli->prog, cli->json);
	if (cli->mode == HK_MODE_CHECK)
		return hk_cli_conf_check(stdout, cli->conf ? cli->conf : hk_conf_path, cli->json);
	hk_cli_gather(cli, f);
	switch (cli->mode) {
	case HK_MODE_BACKEND:
		printf("%s\n", hk_backend_name(f->choice.backend));
		return 0;
	case HK_MODE_BENCH:
		return hk_cli_bench(stdout, f, &cli->bench);
	default:
		break;
	}
	r = malloc(sizeof(*r));
	if (!r) {
		perror("hk-probe");
		return 2;
	}
	hk_cli_report_build(f, r);
	if (cli->mode == HK_MODE_JSON)
		hk_cli_print_json(stdout, f, r);
	else
		hk_cli_print_text(stdout, r);
	free(r);
	return 0;
}

/* Like close_stdout() in util-linux: output that did not reach its file
 * is a failure, whatever the rest did. */
static int hk_cli_close_stdout(int rc)
{
	int err = ferror(stdout);

	if (fclose(stdout) != 0 || err) {
		if (rc == 0 || rc == -1)
			fputs("hk-probe: write error on standard output\n", stderr);
		return 2;
	}
	return rc < 0 ? 0 : rc;
}

int main(int argc, char **argv)
{
	struct hk_cli cli = {
		.mode = HK_MODE_TEXT,
		.time_runs = 101,
		.bench = { .size_mib = 256, .reps = 5 },
	};
	struct hk_facts *f;
	struct stat st;
	int rc = hk_cli_parse(argc, argv, &cli);

	if (rc != 0)
		return rc > 0 ? rc : hk_cli_close_stdout(-1);
	if (cli.sysroot && cli.mode == HK_MODE_BENCH) {
		fputs("hk-probe: --bench measures this machine; it cannot use --sysroot\n", stderr);
		return 1;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		perror("hk-probe");
		return 2;
	}
	/* Before any file is looked at or any trial runs. */
	hk_cli_caps_drop(cli.sysroot != NULL, &f->capng);
	if (cli.sysroot && (stat(cli.sysroot, &st) != 0 || !S_ISDIR(st.st_mode)))
		rc = hk_cli_bad("--sysroot (not a directory)", cli.sysroot);
	else
		rc = hk_cli_close_stdout(hk_cli_run(&cli, f));
	free(f);
	return rc;
}
