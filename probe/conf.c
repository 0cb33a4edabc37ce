/* conf.c: the line and section syntax of /etc/hakmem.conf (conf.h).
 *
 * One pass over the buffer, no copy: every line is cut at '\n' (a '\r'
 * before it is dropped, for files written on Windows), trimmed of blanks
 * and classified.  Nothing is assumed about the bytes: a binary file is
 * only a run of bad lines, and a line of any length costs its length. */
#include <string.h>

#include "probe/conf.h"

static int hk_conf_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Trim blanks from both ends of [*s, *s + *n). */
static void hk_conf_trim(const char **s, size_t *n)
{
	while (*n && hk_conf_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n && hk_conf_blank((*s)[*n - 1]))
		(*n)--;
}

static int hk_conf_is(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && memcmp(s, word, n) == 0;
}

static int hk_conf_is_str(const char *s, size_t n, const char *str)
{
	return str && hk_conf_is(s, n, str);
}

/* A section header, between '[' and ']': its scope for this program, or
 * HK_CONF_OTHER after reporting why it is bad. */
static enum hk_conf_scope hk_conf_section(const char *s, size_t n, unsigned line,
					  const struct hk_conf_ident *id,
					  const struct hk_conf_sink *sink)
{
	size_t w = 0;
	const char *name;
	size_t name_len;

	hk_conf_trim(&s, &n);
	while (w < n && !hk_conf_blank(s[w]))
		w++;
	name = s + w;
	name_len = n - w;
	hk_conf_trim(&name, &name_len);
	if (hk_conf_is(s, w, "program")) {
		if (!name_len || name[0] != '/') {
			sink->bad(sink->ctx, line, "[program PATH] needs an absolute path");
			return HK_CONF_OTHER;
		}
		return hk_conf_is_str(name, name_len, id->paths[0]) ||
			hk_conf_is_str(name, name_len, id->paths[1]) ?
			HK_CONF_PROGRAM : HK_CONF_OTHER;
	}
	if (hk_conf_is(s, w, "comm")) {
		if (!name_len || name_len > HK_CONF_COMM_MAX) {
			sink->bad(sink->ctx, line,
				  "[comm NAME] needs a name of 1 to 15 characters");
			return HK_CONF_OTHER;
		}
		return hk_conf_is_str(name, name_len, id->comm) ? HK_CONF_COMM : HK_CONF_OTHER;
	}
	sink->bad(sink->ctx, line, "unknown section: expected [program PATH] or [comm NAME]");
	return HK_CONF_OTHER;
}

/* One line, without its '\n'; returns the scope for the lines after it. */
static enum hk_conf_scope hk_conf_line(const char *s, size_t n, unsigned line,
				       enum hk_conf_scope scope,
				       const struct hk_conf_ident *id,
				       const struct hk_conf_sink *sink)
{
	struct hk_conf_entry e = { .line = line, .scope = scope };
	const char *eq, *hash;

	if (n && s[n - 1] == '\r')
		n--;
	hk_conf_trim(&s, &n);
	if (!n || s[0] == '#')
		return scope;
	if (memchr(s, '\0', n)) {
		sink->bad(sink->ctx, line, "NUL byte (not a text file?)");
		return scope;
	}
	if (s[0] == '[') {
		if (s[n - 1] != ']') {
			sink->bad(sink->ctx, line, "section header without ']'");
			return HK_CONF_OTHER;
		}
		return hk_conf_section(s + 1, n - 2, line, id, sink);
	}
	eq = memchr(s, '=', n);
	if (!eq) {
		sink->bad(sink->ctx, line, "expected key = value");
		return scope;
	}
	e.key = s;
	e.key_len = (size_t)(eq - s);
	hk_conf_trim(&e.key, &e.key_len);
	e.val = eq + 1;
	e.val_len = n - (size_t)(eq + 1 - s);
	/* No value holds a '#': what follows one is a comment. */
	hash = memchr(e.val, '#', e.val_len);
	if (hash)
		e.val_len = (size_t)(hash - e.val);
	hk_conf_trim(&e.val, &e.val_len);
	if (!e.key_len) {
		sink->bad(sink->ctx, line, "expected key = value");
		return scope;
	}
	sink->assign(sink->ctx, &e);
	return scope;
}

void hk_conf_parse(const char *buf, size_t len, const struct hk_conf_ident *id,
		   const struct hk_conf_sink *sink)
{
	enum hk_conf_scope scope = HK_CONF_GLOBAL;
	unsigned line = 0;
	size_t at = 0;

	/* A UTF-8 byte-order mark, as some editors write. */
	if (len >= 3 && memcmp(buf, "\xef\xbb\xbf", 3) == 0)
		at = 3;
	while (at < len) {
		const char *nl = memchr(buf + at, '\n', len - at);
		size_t end = nl ? (size_t)(nl - buf) : len;

		scope = hk_conf_line(buf + at, end - at, ++line, scope, id, sink);
		at = end + 1;
	}
}
