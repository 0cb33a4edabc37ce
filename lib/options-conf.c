/* options-conf.c: what the lines of /etc/hakmem.conf mean to the options
 * table, and the order in which the file and the environment apply.
 *
 * Pure: the caller hands the file's bytes (lib/conf-read.c reads them in
 * the library, hk-probe reads them itself) and a lookup for the
 * environment, so the library, hk-probe --for and --check-config, and
 * the unit tests compute the options the same way.  A key is an option's
 * name without "HAKMEM_", in lower case (any case is accepted); its
 * value is what the environment variable takes (hk_option_parse). */
#include <string.h>

#include "probe/conf.h"
#include "probe/fmt.h"
#include "lib/options.h"

/* The longest value any option takes, with room to spare; a longer one
 * is bad without being copied. */
/* A value as long as the longest an option takes (HAKMEM_STATS_FILE). */
#define HK_CONF_VAL_MAX HK_OPT_PATH_MAX

struct hk_conf_apply {
	struct hk_options *o;
	unsigned char *src;
	const struct hk_conf_report *rep;
};

static char hk_conf_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int hk_option_find_key(const char *key, size_t len)
{
	for (int i = 0; i < HK_OPT_COUNT; i++) {
		const char *name = hk_option_descs[i].name + sizeof("HAKMEM_") - 1;
		size_t k = 0;

		if (strlen(name) != len)
			continue;
		while (k < len && hk_conf_lower(key[k]) == hk_conf_lower(name[k]))
			k++;
		if (k == len)
			return i;
	}
	return -1;
}

/* Copy at most size - 1 bytes of s, for a message. */
static const char *hk_conf_cut(char *buf, size_t size, const char *s, size_t n)
{
	size_t k = n < size - 1 ? n : size - 1;

	memcpy(buf, s, k);
	buf[k] = '\0';
	return buf;
}

static void hk_conf_bad(void *ctx, unsigned line, const char *why)
{
	const struct hk_conf_apply *a = ctx;

	a->rep->bad(a->rep->ctx, line, why);
}

static void hk_conf_assign(void *ctx, const struct hk_conf_entry *e)
{
	const struct hk_conf_apply *a = ctx;
	unsigned char level = (unsigned char)(HK_OPT_SRC_GLOBAL + e->scope);
	char val[HK_CONF_VAL_MAX], key[32], why[160];
	struct hk_options scratch = *a->o;
	int i = hk_option_find_key(e->key, e->key_len);

	if (i < 0) {
		hk_fmt(why, sizeof(why), "unknown key '%s'",
		       hk_conf_cut(key, sizeof(key), e->key, e->key_len));
		a->rep->bad(a->rep->ctx, e->line, why);
		return;
	}
	/* Checked wherever it stands, applied only where it applies. */
	if (e->val_len >= sizeof(val) ||
	    hk_option_parse(&scratch, i, hk_conf_cut(val, sizeof(val), e->val, e->val_len))) {
		hk_fmt(why, sizeof(why), "bad value for %s: expected %s",
		       hk_conf_cut(key, sizeof(key), e->key, e->key_len),
		       hk_option_descs[i].values);
		a->rep->bad(a->rep->ctx, e->line, why);
		return;
	}
	if (e->scope == HK_CONF_OTHER || level < a->src[i])
		return;
	hk_option_parse(a->o, i, val);
	a->src[i] = level;
}

void hk_options_conf(struct hk_options *o, unsigned char *src, const char *buf, size_t len,
		     const struct hk_conf_ident *id, const struct hk_conf_report *rep)
{
	struct hk_conf_apply a = { o, src, rep };
	struct hk_conf_sink sink = { hk_conf_assign, hk_conf_bad, &a };

	hk_conf_parse(buf, len, id, &sink);
}

void hk_options_env(struct hk_options *o, unsigned char *src,
		    const char *(*lookup)(const char *name), const struct hk_conf_report *rep)
{
	char why[160];

	for (int i = 0; i < HK_OPT_COUNT; i++) {
		const char *v = lookup(hk_option_descs[i].name);

		if (!v)
			continue;
		if (hk_option_parse(o, i, v) == 0) {
			src[i] = HK_OPT_SRC_ENV;
		} else {
			char cut[HK_CONF_VAL_MAX];

			hk_fmt(why, sizeof(why), "ignoring %s=%s: expected %s",
			       hk_option_descs[i].name,
			       hk_conf_cut(cut, sizeof(cut), v, strlen(v)),
			       hk_option_descs[i].values);
			rep->bad(rep->ctx, 0, why);
		}
	}
}
