/* options.h: the HAKMEM_* environment variables.
 *
 * Read once, through secure_getenv (ignored in setuid and
 * file-capability programs), into one table.  An unknown value gives one
 * warning and keeps the default.  The table is documented in README.md
 * and hakmem(7); hk-probe prints the values in force.
 */
#ifndef HK_OPTIONS_H
#define HK_OPTIONS_H

#include <stdbool.h>

#include "probe/select.h"

struct hk_options {
	enum hk_backend_id backend;	/* HAKMEM_BACKEND, default auto */
	enum hk_prefault prefault;	/* HAKMEM_SS_PREFAULT, default unset */
	bool verbose;			/* HAKMEM_VERBOSE=1 */
	bool stats;			/* HAKMEM_STATS=1 */
	long purge_delay_ms;		/* HAKMEM_PURGE_DELAY_MS, default 100 */
	bool dense;			/* HAKMEM_DENSE, default 1 (lib/os-dense.h) */
	bool secure;			/* AT_SECURE: every HAKMEM_ variable ignored */
};

/* The options in force; read from the environment on the first call. */
const struct hk_options *hk_options(void);

/* One line per option for hk-probe: "NAME=value (source)". */
struct hk_option_desc {
	const char *name;		/* HAKMEM_BACKEND */
	const char *values;		/* "auto|lazy|..." for the docs */
	const char *help;
};
extern const struct hk_option_desc hk_option_descs[];
extern const int hk_option_count;
/* The value of option i in force as text, and whether the environment
 * set it (1), or it is the default (0). */
int hk_option_value(int i, char *buf, unsigned size);

#endif /* HK_OPTIONS_H */
