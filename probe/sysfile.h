/* sysfile.h: reading small /proc and /sys files without allocating.
 *
 * Every reader under probe/ goes through here, so that a root prefix ("" for
 * the running system, a captured tree in tests) is applied in one place and
 * a file costs one open, a read into the caller's stack buffer and a close.
 * The parsers work on the NUL-terminated text those reads leave behind.
 */
#ifndef HK_SYSFILE_H
#define HK_SYSFILE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Longest root + path accepted; longer ones fail with -ENAMETOOLONG. */
#define HK_SYSPATH_MAX 512

/* Joins root and path into out; 0, or -ENAMETOOLONG. */
int hk_syspath(char *out, size_t size, const char *root, const char *path);

/* Reads root/path into buf, NUL-terminated, truncated to size - 1 bytes.
 * Returns the length read, or -errno (-ENOENT for a missing file). */
ssize_t hk_sysfile_read(const char *root, const char *path, char *buf,
			size_t size);

/* Reads a file holding one unsigned number ("max" is UINT64_MAX).
 * 0 and *out set, or -errno (-EINVAL when it holds no number). */
int hk_sysfile_u64(const char *root, const char *path, uint64_t *out);

/* Parses an unsigned decimal after optional blanks; returns the end, or
 * NULL when there is no digit (then *out is untouched).  Saturates. */
const char *hk_parse_u64(const char *s, uint64_t *out);
/* The same for hexadecimal (no 0x prefix), as in CapEff lines. */
const char *hk_parse_x64(const char *s, uint64_t *out);

/* The text after "key" where key starts a line of buf, or NULL. */
const char *hk_line_value(const char *buf, const char *key);

/* The [bracketed] word of a sysfs choice file ("always [madvise] never").
 * Returns its length and sets *word, or 0 when there is none. */
size_t hk_bracket_word(const char *s, const char **word);

/* 1 when the len bytes at w are exactly the string lit. */
int hk_word_is(const char *w, size_t len, const char *lit);

#endif /* HK_SYSFILE_H */
