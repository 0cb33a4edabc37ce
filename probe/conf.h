/* conf.h: the syntax of /etc/hakmem.conf, parsed from a buffer.
 *
 * Pure code (no system call, no allocation), so the library, hk-probe
 * and the unit tests run the very same parser: the library reads the
 * file (lib/conf-read.c), this splits it into lines and sections and
 * hands each assignment, and each line it cannot make sense of, to the
 * caller; what a key means is the options table's business
 * (lib/options-conf.c).  The format is in hakmem(7), CONFIGURATION FILE:
 *
 *   # comment
 *   key = value              global section: lines before any section
 *   [program /usr/sbin/sshd] the executable's path
 *   [comm redis-server]      the kernel's name of the process
 *
 * A section that names another program is still parsed and its lines
 * checked (scope HK_CONF_OTHER), so a bad line is reported the same way
 * in every process and by hk-probe --check-config.
 */
#ifndef HK_CONF_H
#define HK_CONF_H

#include <stddef.h>

/* The longest name the kernel keeps for a process (TASK_COMM_LEN - 1). */
#define HK_CONF_COMM_MAX 15

/* Who is asking: the program whose sections apply.  NULL where unknown
 * (a section for it then never matches). */
struct hk_conf_ident {
	const char *paths[2];	/* AT_EXECFN and /proc/self/exe */
	const char *comm;	/* PR_GET_NAME, at most HK_CONF_COMM_MAX */
};

/* Where an assignment stands, in increasing precedence for the first
 * three (enum hk_opt_source follows the same order). */
enum hk_conf_scope {
	HK_CONF_GLOBAL,		/* before any section */
	HK_CONF_COMM,		/* [comm NAME], NAME the process's */
	HK_CONF_PROGRAM,	/* [program PATH], PATH the executable's */
	HK_CONF_OTHER,		/* a section for another program, or a bad one */
};

struct hk_conf_entry {
	unsigned line;			/* 1-based */
	enum hk_conf_scope scope;
	const char *key, *val;		/* not NUL-terminated; trimmed */
	size_t key_len, val_len;
};

/* The caller's two hooks; why is a short phrase, NUL-terminated. */
struct hk_conf_sink {
	void (*assign)(void *ctx, const struct hk_conf_entry *e);
	void (*bad)(void *ctx, unsigned line, const char *why);
	void *ctx;
};

/* Parse len bytes of buf (no terminator needed; NUL bytes make their
 * line bad) for the program id. */
void hk_conf_parse(const char *buf, size_t len, const struct hk_conf_ident *id,
		   const struct hk_conf_sink *sink);

#endif /* HK_CONF_H */
