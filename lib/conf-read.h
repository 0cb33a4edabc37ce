/* conf-read.h: reading /etc/hakmem.conf, with the system calls the probe
 * already makes and no allocation (it runs at load, or inside the first
 * malloc).  What the lines mean is probe/conf.h and lib/options-conf.c.
 *
 * A file is used only when it is a regular file owned by root that
 * neither its group nor others may write: root's file, so it applies to
 * setuid programs too, where the environment does not.  It is read
 * whole into an anonymous mapping, at most HK_CONF_MAX bytes (a bigger
 * file is refused, not cut).
 */
#ifndef HK_CONF_READ_H
#define HK_CONF_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "probe/conf.h"

#define HK_CONF_MAX (64 * 1024)

struct hk_options;

/* The file the library reads: HK_CONF_PATH (configure --with-conf,
 * /etc/hakmem.conf by default).  Tests linked to the library's pieces
 * point it elsewhere; nothing a user sets at run time can. */
extern const char *hk_conf_path;

enum hk_conf_state {
	HK_CONF_ABSENT,		/* ENOENT (or ENOTDIR): nothing to do */
	HK_CONF_READ,		/* buf and len hold it */
	HK_CONF_UNREADABLE,	/* open, fstat or read failed: err */
	HK_CONF_NOT_REGULAR,	/* a directory, FIFO, device... */
	HK_CONF_UNTRUSTED,	/* not root's, or writable by group or others */
	HK_CONF_TOO_BIG,	/* over HK_CONF_MAX */
};

struct hk_conf_file {
	enum hk_conf_state state;
	int err;		/* errno of the failed call (UNREADABLE) */
	unsigned uid, mode;	/* st_uid, st_mode (UNTRUSTED, NOT_REGULAR) */
	long long size;		/* st_size, or the bytes read */
	const char *buf;	/* the file's bytes */
	size_t len;
	char *map;		/* the anonymous mapping: buf, then room for
				 * the executable's path */
	size_t map_size;
};

/* Read path into *f (state says how it went).  An untrusted file is read
 * anyway only when read_untrusted (hk-probe --check-config). */
enum hk_conf_state hk_conf_open(const char *path, struct hk_conf_file *f,
				bool read_untrusted);
/* Unmap what hk_conf_open mapped. */
void hk_conf_close(struct hk_conf_file *f);
/* This process's identity (AT_EXECFN, /proc/self/exe, PR_GET_NAME), the
 * exe path kept in f's mapping, comm in comm[HK_CONF_COMM_MAX + 1]. */
void hk_conf_ident_self(struct hk_conf_file *f, struct hk_conf_ident *id, char *comm);
/* One line on why the file is not used ("not owned by root (uid 1000)"),
 * or NULL when it is used or absent. */
const char *hk_conf_state_why(const struct hk_conf_file *f, char *buf, size_t size);

/* The library's start: read hk_conf_path, apply it to *o and src
 * (hk_options_conf), warn about bad lines; *f keeps the state (the file
 * itself is closed and unmapped) for hk_conf_note. */
void hk_conf_load(struct hk_options *o, unsigned char *src, struct hk_conf_file *f);
/* Under HAKMEM_VERBOSE: say why the file was not used. */
void hk_conf_note(const struct hk_conf_file *f);

#endif /* HK_CONF_READ_H */
