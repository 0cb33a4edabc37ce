/* test-conf.c: /etc/hakmem.conf, parsed and read.
 *
 * The parser (probe/conf.c) and what its lines mean to the options
 * (lib/options-conf.c) on the fixture files of test/fixtures/conf: a
 * good file with every section kind, one bad line of each kind (each
 * reported with its number, none changing a value), CRLF ends, no final
 * newline, very long lines, NUL and high bytes.  Then the reader
 * (lib/conf-read.c) on files made here: owner and mode, a file over the
 * cap and one at it, a FIFO (must not block), a directory, /dev/zero, a
 * symbolic link loop; and the library's start (hk_options(), in a child
 * per case) with hk_conf_path pointed at them: the file applies, the
 * environment wins over it, an untrusted file is ignored and said so
 * under HAKMEM_VERBOSE, a bad line is reported with file and line, at
 * most 8 of them then a count.
 * Last a fuzz loop: random and mutated buffers, exactly sized (ASan in
 * test/san/test-conf sees an over-read), must never crash and must keep
 * every value valid. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/conf-read.h"
#include "lib/options.h"
#include "test/tap.h"
#include "test/unit/probe-fixture.h"

struct run {
	struct hk_options o;
	unsigned char src[HK_OPT_COUNT];
	unsigned nbad;
	unsigned bad[64];
	unsigned last_line;
	int order_ok;
};

static void on_bad(void *ctx, unsigned line, const char *why)
{
	struct run *r = ctx;

	if (!why || !*why)
		r->order_ok = 0;
	if (line && line < r->last_line)
		r->order_ok = 0;
	r->last_line = line;
	if (r->nbad < 64)
		r->bad[r->nbad] = line;
	r->nbad++;
}

static void run_buf(struct run *r, const char *buf, size_t len, const struct hk_conf_ident *id)
{
	struct hk_conf_report rep = { on_bad, r };

	memset(r, 0, sizeof(*r));
	r->order_ok = 1;
	hk_options_defaults(&r->o);
	hk_options_conf(&r->o, r->src, buf, len, id, &rep);
}

/* The fixture's bytes, in a buffer of exactly their size. */
static char *load(const char *name, size_t *len)
{
	char path[4200];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s", fixture(name));
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET))
		return NULL;
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static int run_fixture(struct run *r, const char *name, const struct hk_conf_ident *id)
{
	size_t len;
	char *buf = load(name, &len);

	if (!buf)
		return tap_ok(0, "%s: read the fixture", name);
	run_buf(r, buf, len, id);
	free(buf);
	return 1;
}

static int same_bad(const struct run *r, const unsigned *want, unsigned n)
{
	if (r->nbad != n)
		return 0;
	for (unsigned i = 0; i < n; i++)
		if (r->bad[i] != want[i])
			return 0;
	return 1;
}

static void bad_diag(const struct run *r)
{
	char s[256];
	size_t k = 0;

	s[0] = '\0';
	for (unsigned i = 0; i < r->nbad && i < 64 && k < sizeof(s) - 12; i++)
		k += (size_t)snprintf(s + k, sizeof(s) - k, " %u", r->bad[i]);
	tap_diag("bad lines (%u):%s", r->nbad, s);
}

static void test_good(void)
{
	struct hk_conf_ident none = { { NULL, NULL }, NULL };
	struct hk_conf_ident sshd = { { "/usr/sbin/sshd", NULL }, "sshd" };
	struct hk_conf_ident redis = { { "/opt/redis/bin/redis-server", NULL }, "redis-server" };
	struct hk_conf_ident both = { { NULL, "/usr/sbin/sshd" }, "redis-server" };
	struct hk_conf_ident exe = { { "./other", "/usr/bin/other" }, "other" };
	struct run r;

	if (!run_fixture(&r, "conf/good.conf", &none))
		return;
	tap_ok(r.nbad == 0 && r.o.backend == HK_BACKEND_LAZY && r.o.purge_delay_ms == 250 &&
	       r.o.stats == HK_STATS_TEXT && !r.o.verbose && !r.o.dense && r.src[HK_OPT_BACKEND] == HK_OPT_SRC_GLOBAL &&
	       r.src[HK_OPT_STATS] == HK_OPT_SRC_GLOBAL && r.src[HK_OPT_DENSE] == HK_OPT_SRC_DEFAULT,
	       "good.conf, no section applies: the global section (yes, off, a key in capitals, tabs, a comment after a value)");
	run_fixture(&r, "conf/good.conf", &sshd);
	tap_ok(r.nbad == 0 && r.o.backend == HK_BACKEND_TOUCH && r.o.dense &&
	       r.src[HK_OPT_BACKEND] == HK_OPT_SRC_PROGRAM && r.src[HK_OPT_DENSE] == HK_OPT_SRC_PROGRAM &&
	       r.o.purge_delay_ms == 250 && r.o.prefault == HK_PREFAULT_UNSET,
	       "[program /usr/sbin/sshd] over the global section");
	run_fixture(&r, "conf/good.conf", &redis);
	tap_ok(r.o.backend == HK_BACKEND_THP && r.o.prefault == 2 && !r.o.dense &&
	       r.src[HK_OPT_BACKEND] == HK_OPT_SRC_COMM,
	       "[comm redis-server] over the global section");
	run_fixture(&r, "conf/good.conf", &both);
	tap_ok(r.o.backend == HK_BACKEND_TOUCH && r.src[HK_OPT_BACKEND] == HK_OPT_SRC_PROGRAM &&
	       r.o.prefault == 2 && r.src[HK_OPT_PREFAULT] == HK_OPT_SRC_COMM,
	       "program and comm both match: the program's section wins, though the comm one comes later");
	run_fixture(&r, "conf/good.conf", &exe);
	tap_ok(r.o.backend == HK_BACKEND_HUGETLB && r.src[HK_OPT_BACKEND] == HK_OPT_SRC_PROGRAM,
	       "[program PATH] matches /proc/self/exe's path as well as AT_EXECFN");
}

static const char *env_backend(const char *name)
{
	if (!strcmp(name, "HAKMEM_BACKEND"))
		return "populate";
	if (!strcmp(name, "HAKMEM_DENSE"))
		return "bogus";
	return NULL;
}

static void test_env(void)
{
	struct hk_conf_ident sshd = { { "/usr/sbin/sshd", NULL }, "sshd" };
	struct hk_conf_report rep;
	struct run r;

	if (!run_fixture(&r, "conf/good.conf", &sshd))
		return;
	rep = (struct hk_conf_report){ on_bad, &r };
	hk_options_env(&r.o, r.src, env_backend, &rep);
	tap_ok(r.o.backend == HK_BACKEND_POPULATE && r.src[HK_OPT_BACKEND] == HK_OPT_SRC_ENV &&
	       r.o.dense && r.src[HK_OPT_DENSE] == HK_OPT_SRC_PROGRAM && r.nbad == 1 && r.bad[0] == 0,
	       "the environment over the program's section; a bad variable keeps the file's value");
}

static void test_bad(void)
{
	static const unsigned want[] = { 3, 4, 5, 6, 7, 8, 9, 11, 12, 13, 15 };
	struct hk_conf_ident x = { { "/usr/bin/x", "relative/path" }, "section" };
	struct run r;

	if (!run_fixture(&r, "conf/bad-lines.conf", &x))
		return;
	if (!tap_ok(same_bad(&r, want, sizeof(want) / sizeof(want[0])) && r.order_ok,
		    "bad-lines.conf: each bad line reported once, with its number"))
		bad_diag(&r);
	tap_ok(r.o.backend == HK_BACKEND_LAZY && !r.o.dense && r.o.stats == HK_STATS_UNSET && !r.o.verbose &&
	       r.o.purge_delay_ms == 100,
	       "bad lines change nothing; bad section headers apply to no program");
}

static void test_shapes(void)
{
	static const unsigned want_bin[] = { 2, 3, 4, 5, 6 };
	static const unsigned want_long[] = { 2, 3 };
	struct hk_conf_ident prog = { { NULL, NULL }, "prog" };
	struct hk_conf_ident none = { { NULL, NULL }, NULL };
	char longpath[3100] = "/";
	struct hk_conf_ident deep = { { longpath, NULL }, NULL };
	struct run r;

	if (run_fixture(&r, "conf/crlf.conf", &prog))
		tap_ok(r.nbad == 0 && r.o.backend == HK_BACKEND_LAZY && r.o.stats == HK_STATS_TEXT &&
		       r.src[HK_OPT_STATS] == HK_OPT_SRC_COMM,
		       "crlf.conf: CRLF line ends, a section header among them");
	if (run_fixture(&r, "conf/no-newline.conf", &none))
		tap_ok(r.nbad == 0 && r.o.backend == HK_BACKEND_TOUCH && r.o.verbose,
		       "no-newline.conf: the last line without its newline counts");
	if (run_fixture(&r, "conf/binary.conf", &none)) {
		if (!tap_ok(same_bad(&r, want_bin, 5) && r.o.backend == HK_BACKEND_TOUCH &&
			    !r.o.verbose && r.o.stats == HK_STATS_UNSET,
			    "binary.conf: lines with NUL or stray bytes are bad, good lines around them apply"))
			bad_diag(&r);
	}
	for (int i = 0; i < 1500; i++)
		strcat(longpath, "d/");
	strcat(longpath, "prog");
	if (run_fixture(&r, "conf/long-line.conf", &none)) {
		if (!tap_ok(same_bad(&r, want_long, 2) && r.o.purge_delay_ms == 300 &&
			    r.o.backend == HK_BACKEND_AUTO && !r.o.dense,
			    "long-line.conf: a 6000-byte comment, a 3000-byte value and key (bad), 4000 blanks before a value"))
			bad_diag(&r);
	}
	if (run_fixture(&r, "conf/long-line.conf", &deep))
		tap_ok(r.o.dense && r.src[HK_OPT_DENSE] == HK_OPT_SRC_PROGRAM,
		       "a 3000-byte [program PATH] matches");
}

/* --- the reader ------------------------------------------------------- */

static char dir[64];

static char *tmp(const char *name)
{
	static char path[2][128];
	static int k;

	k ^= 1;
	snprintf(path[k], sizeof(path[k]), "%s/%s", dir, name);
	return path[k];
}

static void write_file(const char *path, const char *s, size_t n, mode_t mode)
{
	int fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, s, n) != (ssize_t)n)
		perror(path);
	if (fd >= 0)
		close(fd);
	chmod(path, mode);
}

static enum hk_conf_state open_state(const char *path, int *err, size_t *len)
{
	struct hk_conf_file f;
	enum hk_conf_state s = hk_conf_open(path, &f, true);

	if (err)
		*err = f.err;
	if (len)
		*len = f.len;
	hk_conf_close(&f);
	return s;
}

static void test_reader(void)
{
	enum hk_conf_state trusted = geteuid() == 0 ? HK_CONF_READ : HK_CONF_UNTRUSTED;
	char *big = malloc(HK_CONF_MAX + 1);
	struct hk_conf_file f;
	size_t len;
	int err;

	memset(big, '#', HK_CONF_MAX + 1);
	big[HK_CONF_MAX - 1] = '\n';
	tap_ok(open_state(tmp("absent"), &err, NULL) == HK_CONF_ABSENT && err == ENOENT,
	       "a missing file is absent (ENOENT)");
	write_file(tmp("ok.conf"), "backend = lazy\n", 15, 0644);
	tap_ok(open_state(tmp("ok.conf"), NULL, &len) == trusted && len == 15,
	       "a file of mode 644 is %s", trusted == HK_CONF_READ ? "read (root's)" : "untrusted (not root's)");
	tap_ok(hk_conf_open(tmp("ok.conf"), &f, false) == trusted && (f.buf != NULL) == (trusted == HK_CONF_READ),
	       "an untrusted file is not even read by the library");
	hk_conf_close(&f);
	chmod(tmp("ok.conf"), 0664);
	tap_ok(open_state(tmp("ok.conf"), NULL, NULL) == HK_CONF_UNTRUSTED, "group-writable: untrusted");
	chmod(tmp("ok.conf"), 0646);
	tap_ok(open_state(tmp("ok.conf"), NULL, NULL) == HK_CONF_UNTRUSTED, "writable by others: untrusted");
	chmod(tmp("ok.conf"), 0644);
	if (geteuid() == 0 && chown(tmp("ok.conf"), 65534, 65534) == 0) {
		char why[96];

		tap_ok(hk_conf_open(tmp("ok.conf"), &f, false) == HK_CONF_UNTRUSTED &&
		       !strcmp(hk_conf_state_why(&f, why, sizeof(why)), "not owned by root (uid 65534)"),
		       "mode 644 owned by uid 65534: untrusted (%s)", why);
		hk_conf_close(&f);
	} else {
		tap_skip("a file owned by another user: needs root");
	}
	write_file(tmp("max.conf"), big, HK_CONF_MAX, 0644);
	tap_ok(open_state(tmp("max.conf"), NULL, &len) == trusted && (trusted != HK_CONF_READ || len == HK_CONF_MAX),
	       "a file of exactly %d bytes is read whole", HK_CONF_MAX);
	write_file(tmp("huge.conf"), big, HK_CONF_MAX + 1, 0644);
	tap_ok(open_state(tmp("huge.conf"), NULL, NULL) == HK_CONF_TOO_BIG,
	       "a file of %d bytes is refused", HK_CONF_MAX + 1);
	tap_ok(open_state("/dev/zero", NULL, NULL) == HK_CONF_NOT_REGULAR,
	       "/dev/zero (endless) is refused: not a regular file");
	tap_ok(open_state(dir, NULL, NULL) == HK_CONF_NOT_REGULAR, "a directory is refused");
	if (mkfifo(tmp("fifo"), 0644) == 0) {
		pid_t pid = fork();
		int st = -1;

		if (pid == 0) {
			alarm(10);
			_exit(open_state(tmp("fifo"), NULL, NULL) == HK_CONF_NOT_REGULAR ? 0 : 1);
		}
		waitpid(pid, &st, 0);
		tap_ok(WIFEXITED(st) && WEXITSTATUS(st) == 0,
		       "a FIFO with no writer is refused without blocking (status %#x)", st);
	} else {
		tap_skip("mkfifo: %s", strerror(errno));
	}
	symlink("loop-b", tmp("loop-a"));
	symlink("loop-a", tmp("loop-b"));
	tap_ok(open_state(tmp("loop-a"), &err, NULL) == HK_CONF_UNREADABLE && err == ELOOP,
	       "a symbolic link loop: unreadable (ELOOP), no hang");
	free(big);
}

/* --- the library's start, one child each ------------------------------- */

/* hk_options() in a child with hk_conf_path = path and the environment
 * given; its stderr in err[], its options in *o (through a pipe). */
static int child_options(const char *path, const char *env, struct hk_options *o,
			 unsigned char *src, char *err, size_t err_size)
{
	int p[2], e[2], st;
	pid_t pid;
	ssize_t n;

	if (pipe(p) || pipe(e))
		return -1;
	pid = fork();
	if (pid == 0) {
		unsigned char s[HK_OPT_COUNT];
		char buf[64];

		dup2(e[1], 2);
		for (int i = 0; i < HK_OPT_COUNT; i++)
			unsetenv(hk_option_descs[i].name);
		if (env)
			putenv((char *)env);
		hk_conf_path = path;
		o = (struct hk_options *)hk_options();
		for (int i = 0; i < HK_OPT_COUNT; i++)
			s[i] = (unsigned char)hk_option_value(i, buf, sizeof(buf));
		if (write(p[1], o, sizeof(*o)) != sizeof(*o) || write(p[1], s, sizeof(s)) != sizeof(s))
			_exit(1);
		_exit(0);
	}
	close(p[1]);
	close(e[1]);
	n = read(p[0], o, sizeof(*o));
	n += read(p[0], src, HK_OPT_COUNT);
	close(p[0]);
	err[0] = '\0';
	{
		ssize_t k = read(e[0], err, err_size - 1);

		/* The last newline off, for the TAP line that quotes it. */
		if (k > 0 && err[k - 1] == '\n')
			k--;
		err[k > 0 ? k : 0] = '\0';
	}
	close(e[0]);
	waitpid(pid, &st, 0);
	return n == (ssize_t)(sizeof(*o) + HK_OPT_COUNT) && WIFEXITED(st) && !WEXITSTATUS(st) ? 0 : -1;
}

static void test_library(void)
{
	static const char text[] = "backend = lazy\nstats = yes\nwhat = 1\n";
	unsigned char src[HK_OPT_COUNT];
	struct hk_options o;
	char err[2048];
	int rc;

	write_file(tmp("lib.conf"), text, sizeof(text) - 1, 0644);
	if (geteuid() != 0) {
		rc = child_options(tmp("lib.conf"), "HAKMEM_VERBOSE=1", &o, src, err, sizeof(err));
		tap_ok(rc == 0 && o.backend == HK_BACKEND_AUTO && strstr(err, "not owned by root"),
		       "not root's: ignored, and said under HAKMEM_VERBOSE: %s", err);
		tap_skip("the library's start with a trusted file: needs root");
		tap_skip("the library's start with a trusted file: needs root");
		tap_skip("the library's start with a trusted file: needs root");
		tap_skip("the library's start with a trusted file: needs root");
		return;
	}
	rc = child_options(tmp("lib.conf"), NULL, &o, src, err, sizeof(err));
	if (!tap_ok(rc == 0 && o.backend == HK_BACKEND_LAZY && o.stats == HK_STATS_TEXT &&
		    src[HK_OPT_BACKEND] == HK_OPT_SRC_GLOBAL &&
		    strstr(err, "lib.conf:3: unknown key 'what'") && !strstr(err, "lib.conf:1"),
		    "hk_options() applies the file; its bad line is reported with file and line"))
		tap_diag("stderr: %s", err);
	rc = child_options(tmp("lib.conf"), "HAKMEM_BACKEND=touch", &o, src, err, sizeof(err));
	tap_ok(rc == 0 && o.backend == HK_BACKEND_TOUCH && src[HK_OPT_BACKEND] == HK_OPT_SRC_ENV && o.stats == HK_STATS_TEXT,
	       "the environment wins over the file");
	chmod(tmp("lib.conf"), 0666);
	rc = child_options(tmp("lib.conf"), "HAKMEM_VERBOSE=1", &o, src, err, sizeof(err));
	if (!tap_ok(rc == 0 && o.backend == HK_BACKEND_AUTO && o.stats == HK_STATS_UNSET &&
		    strstr(err, "writable by group or others") && !strstr(err, "unknown key"),
		    "a file writable by others is ignored, said once under HAKMEM_VERBOSE"))
		tap_diag("stderr: %s", err);
	rc = child_options(tmp("lib.conf"), NULL, &o, src, err, sizeof(err));
	tap_ok(rc == 0 && o.backend == HK_BACKEND_AUTO && err[0] == '\0',
	       "... and silently without it");
	{
		char many[512] = "";
		unsigned listed = 0;

		for (int i = 0; i < 12; i++)
			strcat(many, "bogus = 1\n");
		strcat(many, "stats = on\n");
		write_file(tmp("many.conf"), many, strlen(many), 0644);
		rc = child_options(tmp("many.conf"), NULL, &o, src, err, sizeof(err));
		for (const char *p = err; (p = strstr(p, "unknown key")); p++)
			listed++;
		if (!tap_ok(rc == 0 && o.stats == HK_STATS_TEXT && listed == 8 &&
			    strstr(err, "many.conf: 4 more bad lines ignored"),
			    "12 bad lines: 8 listed, then a count; the good line after them applies"))
			tap_diag("stderr: %s", err);
	}
}

/* --- fuzz -------------------------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static int values_ok(const struct run *r)
{
	struct hk_options p;
	char buf[64];

	for (int i = 0; i < HK_OPT_COUNT; i++) {
		if (r->src[i] > HK_OPT_SRC_PROGRAM)
			return 0;
		hk_option_format(&r->o, i, buf, sizeof(buf));
		hk_options_defaults(&p);
		/* Every value in force is one the option takes. */
		if (strcmp(buf, "unset") && hk_option_parse(&p, i, buf) != 0)
			return 0;
	}
	return 1;
}

static void test_fuzz(int iters)
{
	static const char *const bits[] = {
		"backend", "stats", "verbose", "dense", "purge_delay_ms", "ss_prefault", "=",
		" ", "\t", "\n", "\r\n", "#", "[", "]", "[program /p]", "[comm c]", "program",
		"comm", "lazy", "yes", "off", "1", "0", "60000", "\0", "\xff", "hugetlb", "/p",
	};
	struct hk_conf_ident id = { { "/p", NULL }, "c" };
	size_t good_len;
	char *good = load("conf/good.conf", &good_len);
	int bad = 0;

	for (int it = 0; it < iters && bad < 3; it++) {
		size_t cap = (size_t)(next() % 2048), len = 0;
		char *buf = malloc(cap ? cap : 1);
		struct run r;
		unsigned lines = 1;

		if (good && it % 3 == 0) {
			/* A good file, a few bytes changed, cut short. */
			len = (size_t)next() % (good_len + 1);
			buf = realloc(buf, len ? len : 1);
			memcpy(buf, good, len);
			for (int k = 0; len && k < 4; k++)
				buf[next() % len] = (char)next();
		} else {
			while (len < cap) {
				size_t k;
				const char *b = bits[next() % (sizeof(bits) / sizeof(bits[0]))];
				size_t n = *b ? strlen(b) : 1;

				if (next() % 4 == 0) {
					buf[len++] = (char)next();
					continue;
				}
				for (k = 0; k < n && len < cap; k++)
					buf[len++] = b[k];
			}
		}
		for (size_t k = 0; k < len; k++)
			lines += buf[k] == '\n';
		run_buf(&r, buf, len, &id);
		if (!r.order_ok || !values_ok(&r) || (r.nbad && r.last_line > lines)) {
			tap_diag("iteration %d: order %d values %d last line %u of %u", it,
				 r.order_ok, values_ok(&r), r.last_line, lines);
			bad++;
		}
		free(buf);
	}
	free(good);
	tap_ok(bad == 0, "%d random and mutated files: no crash, lines in order, every value valid", iters);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/hk-conf.XXXXXX");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	chmod(dir, 0755);
	tap_plan(31);
	test_good();
	test_env();
	test_bad();
	test_shapes();
	test_reader();
	test_library();
	test_fuzz(20000);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			tap_diag("could not remove %s", dir);
	}
	return tap_done();
}
