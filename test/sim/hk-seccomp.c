/* hk-seccomp.c: run a command as if on a kernel that refuses some memory
 * calls, by a seccomp-BPF filter that fails them with a chosen errno.
 *
 * Usage:
 *   hk-seccomp [--madvise ADVICE=ERRNO]... [--mmap-flag FLAG=ERRNO]... \
 *              [--] CMD [ARG]...
 *
 *   --madvise ADVICE=ERRNO    madvise(2) with this advice fails with ERRNO
 *                             and is not executed.  ADVICE: DONTNEED FREE
 *                             HUGEPAGE NOHUGEPAGE POPULATE_READ
 *                             POPULATE_WRITE COLLAPSE (an MADV_ prefix is
 *                             allowed) or a number.
 *   --mmap-flag FLAG=ERRNO    mmap(2) with this flag bit set fails with
 *                             ERRNO.  FLAG: POPULATE HUGETLB NORESERVE
 *                             FIXED FIXED_NOREPLACE (MAP_ prefix allowed)
 *                             or a number (0x... for hex).
 *   ERRNO                     EINVAL ENOMEM ENOSYS EPERM EFAULT EAGAIN
 *                             EOPNOTSUPP, or a number.
 *   -h, --help                this text on stdout, exit 0.
 *
 * Each option may be repeated; the first rule that matches a call wins.
 * Examples, as the test suite uses them:
 *   hk-seccomp --madvise POPULATE_WRITE=EINVAL -- prog   # before 5.14
 *   hk-seccomp --mmap-flag HUGETLB=ENOMEM -- prog        # empty pool
 *   hk-seccomp --madvise FREE=EINVAL -- prog             # before 4.5
 *
 * The filter is installed after PR_SET_NO_NEW_PRIVS (so no privilege is
 * needed, and setuid programs run under it do not gain privileges) and is
 * inherited by every child of CMD.  It checks the architecture: only
 * x86_64 system calls are filtered; other ABIs (i386, x32) pass.  The
 * constants are the kernel's, written out, so the launcher means the same
 * thing when built on headers older than the feature.
 *
 * Exit status: CMD's own; 2 for a usage error; 125 when the filter cannot
 * be installed (no seccomp: the caller should skip); 127 when CMD cannot
 * be executed.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HK_RULES_MAX 32

struct hk_name {
	const char *name;
	unsigned long value;
};

static const struct hk_name hk_advices[] = {
	{ "DONTNEED", 4 }, { "FREE", 8 }, { "HUGEPAGE", 14 },
	{ "NOHUGEPAGE", 15 }, { "POPULATE_READ", 22 },
	{ "POPULATE_WRITE", 23 }, { "COLLAPSE", 25 }, { NULL, 0 },
};

static const struct hk_name hk_mmap_flags[] = {
	{ "FIXED", 0x10 }, { "NORESERVE", 0x4000 }, { "POPULATE", 0x8000 },
	{ "HUGETLB", 0x40000 }, { "FIXED_NOREPLACE", 0x100000 }, { NULL, 0 },
};

static const struct hk_name hk_errnos[] = {
	{ "EPERM", EPERM }, { "ENOMEM", ENOMEM }, { "EFAULT", EFAULT },
	{ "EAGAIN", EAGAIN }, { "EINVAL", EINVAL }, { "ENOSYS", ENOSYS },
	{ "EOPNOTSUPP", EOPNOTSUPP }, { NULL, 0 },
};

struct hk_rule {
	unsigned long value;	/* advice, or flag bits */
	unsigned err;
};

static struct hk_rule hk_madv_rules[HK_RULES_MAX], hk_mmap_rules[HK_RULES_MAX];
static int hk_nmadv, hk_nmmap;

static void hk_usage(FILE *f, int status)
{
	fprintf(f,
		"Usage: hk-seccomp [--madvise ADVICE=ERRNO]... "
		"[--mmap-flag FLAG=ERRNO]... [--] CMD [ARG]...\n"
		"Run CMD with madvise(ADVICE) or mmap(FLAG set) failing with ERRNO.\n"
		"  ADVICE: DONTNEED FREE HUGEPAGE NOHUGEPAGE POPULATE_READ "
		"POPULATE_WRITE COLLAPSE or a number\n"
		"  FLAG:   POPULATE HUGETLB NORESERVE FIXED FIXED_NOREPLACE or a number\n"
		"  ERRNO:  EINVAL ENOMEM ENOSYS EPERM EFAULT EAGAIN EOPNOTSUPP or a number\n"
		"Exit: CMD's status; 2 usage; 125 no seccomp; 127 CMD not run.\n");
	exit(status);
}

/* A name from the table (with or without prefix), or a number. */
static int hk_lookup(const struct hk_name *t, const char *prefix,
		     const char *s, unsigned long *out)
{
	char *end;

	if (strncmp(s, prefix, strlen(prefix)) == 0)
		s += strlen(prefix);
	for (; t->name; t++) {
		if (strcmp(s, t->name) == 0) {
			*out = t->value;
			return 0;
		}
	}
	errno = 0;
	*out = strtoul(s, &end, 0);
	return *s && !*end && !errno ? 0 : -1;
}

static void hk_add_rule(struct hk_rule *rules, int *n, const struct hk_name *t,
			const char *prefix, const char *opt, const char *arg)
{
	char what[64];
	const char *eq = strchr(arg, '=');
	unsigned long value, err;

	if (!eq || (size_t)(eq - arg) >= sizeof(what) || *n == HK_RULES_MAX) {
		fprintf(stderr, "hk-seccomp: %s %s: expected NAME=ERRNO\n", opt, arg);
		exit(2);
	}
	memcpy(what, arg, (size_t)(eq - arg));
	what[eq - arg] = '\0';
	if (hk_lookup(t, prefix, what, &value) != 0 ||
	    hk_lookup(hk_errnos, "", eq + 1, &err) != 0 || err == 0 || err > 4095) {
		fprintf(stderr, "hk-seccomp: %s %s: unknown name or errno\n", opt, arg);
		exit(2);
	}
	rules[(*n)++] = (struct hk_rule){ value, (unsigned)err };
}

#define HK_STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define HK_JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))
#define HK_ARG_LO(i) ((unsigned)offsetof(struct seccomp_data, args[i]))	/* little endian */

/* arch check; madvise: compare args[2] to each advice; mmap: test the
 * bits of args[3] against each flag; everything else is allowed. */
static int hk_install(void)
{
	struct sock_filter prog[8 + 2 * 2 * HK_RULES_MAX];
	struct sock_fprog fprog;
	int n = 0;

	prog[n++] = HK_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	prog[n++] = HK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
	prog[n++] = HK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog[n++] = HK_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	prog[n++] = HK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_madvise, 0, 2 + 2 * hk_nmadv);
	prog[n++] = HK_STMT(BPF_LD | BPF_W | BPF_ABS, HK_ARG_LO(2));
	for (int i = 0; i < hk_nmadv; i++) {
		prog[n++] = HK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, hk_madv_rules[i].value, 0, 1);
		prog[n++] = HK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | hk_madv_rules[i].err);
	}
	prog[n++] = HK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	prog[n++] = HK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 1 + 2 * hk_nmmap);
	prog[n++] = HK_STMT(BPF_LD | BPF_W | BPF_ABS, HK_ARG_LO(3));
	for (int i = 0; i < hk_nmmap; i++) {
		prog[n++] = HK_JUMP(BPF_JMP | BPF_JSET | BPF_K, hk_mmap_rules[i].value, 0, 1);
		prog[n++] = HK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | hk_mmap_rules[i].err);
	}
	prog[n++] = HK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	fprog.len = (unsigned short)n;
	fprog.filter = prog;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fprog, 0, 0);
}

int main(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)
			hk_usage(stdout, 0);
		if (a[0] != '-')
			break;
		if (i + 1 == argc)
			hk_usage(stderr, 2);
		if (strcmp(a, "--madvise") == 0)
			hk_add_rule(hk_madv_rules, &hk_nmadv, hk_advices, "MADV_", a, argv[++i]);
		else if (strcmp(a, "--mmap-flag") == 0)
			hk_add_rule(hk_mmap_rules, &hk_nmmap, hk_mmap_flags, "MAP_", a, argv[++i]);
		else
			hk_usage(stderr, 2);
	}
	if (i >= argc)
		hk_usage(stderr, 2);
	if (hk_install() != 0) {
		fprintf(stderr, "hk-seccomp: cannot install the filter: %s\n", strerror(errno));
		return 125;
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "hk-seccomp: %s: %s\n", argv[i], strerror(errno));
	return 127;
}
