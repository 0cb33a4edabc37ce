/* stats-json.c: the counters of HAKMEM_STATS=json, one JSON object on
 * one line, for a fleet's collector (the schema is in hakmem(7),
 * STATISTICS).
 *
 * Keys are stable snake_case names, numbers are integers, and every
 * object is always present, zeros included, so that a collector need
 * not know which counters a process had a use for.  "schema" changes
 * only when a key changes meaning or goes away; new keys may appear.
 * Built in a stack buffer and written with write(2) in a few large
 * pieces: no stdio, no malloc, as anywhere in the library. */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "lib/os.h"
#include "lib/os-dense.h"
#include "lib/stats-impl.h"
#include "probe/fmt.h"

#define HK_STATS_JSON_SCHEMA 1

struct hk_json {
	int fd;
	bool first;		/* no member yet in the innermost object */
	size_t n;
	char buf[1024];
};

static void hk_json_flush(struct hk_json *j)
{
	hk_stats_write(j->fd, j->buf, j->n);
	j->n = 0;
}

static void hk_json_put(struct hk_json *j, const char *s, size_t n)
{
	while (n) {
		size_t k = sizeof(j->buf) - j->n;

		if (!k) {
			hk_json_flush(j);
			continue;
		}
		if (k > n)
			k = n;
		memcpy(j->buf + j->n, s, k);
		j->n += k;
		s += k;
		n -= k;
	}
}

static void hk_json_puts(struct hk_json *j, const char *s)
{
	hk_json_put(j, s, strlen(s));
}

/* A JSON string: '"' and '\\' escaped, control bytes as \u00XX.  Bytes
 * of 0x80 and over pass as they are (the names written here are ASCII). */
static void hk_json_string(struct hk_json *j, const char *s)
{
	hk_json_put(j, "\"", 1);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[8];

		if (ch == '"' || ch == '\\') {
			esc[0] = '\\';
			esc[1] = (char)ch;
			hk_json_put(j, esc, 2);
		} else if (ch < 0x20) {
			hk_json_put(j, esc, hk_fmt(esc, sizeof(esc), "\\u%04x", ch));
		} else {
			hk_json_put(j, (const char *)&ch, 1);
		}
	}
	hk_json_put(j, "\"", 1);
}

/* "key": with the comma a member after the first needs. */
static void hk_json_key(struct hk_json *j, const char *key)
{
	if (!j->first)
		hk_json_put(j, ",", 1);
	j->first = false;
	if (key) {
		hk_json_string(j, key);
		hk_json_put(j, ":", 1);
	}
}

static void hk_json_u64(struct hk_json *j, const char *key, uint64_t v)
{
	char num[24];

	hk_json_key(j, key);
	hk_json_put(j, num, hk_fmt(num, sizeof(num), "%llu", (unsigned long long)v));
}

static void hk_json_str(struct hk_json *j, const char *key, const char *v)
{
	hk_json_key(j, key);
	hk_json_string(j, v);
}

/* Open an object or array (open is "{" or "["), as member key of the
 * enclosing object, or as an element of an array when key is NULL. */
static void hk_json_open(struct hk_json *j, const char *key, const char *open)
{
	hk_json_key(j, key);
	hk_json_puts(j, open);
	j->first = true;
}

static void hk_json_close(struct hk_json *j, const char *close)
{
	hk_json_puts(j, close);
	j->first = false;
}

/* A counter of a struct, by name, for the objects copied whole from one. */
struct hk_json_field {
	const char *key;
	size_t off;		/* of a uint64_t */
};
#define HK_JF(type, key, field) { key, offsetof(type, field) }

static const struct hk_json_field hk_json_os_fields[] = {
	HK_JF(struct hk_os_counters, "regions", regions),
	HK_JF(struct hk_os_counters, "bytes", bytes),
	HK_JF(struct hk_os_counters, "released_bytes", released),
	HK_JF(struct hk_os_counters, "purges", purges),
	HK_JF(struct hk_os_counters, "purged_bytes", purged),
	HK_JF(struct hk_os_counters, "failures", failures),
	HK_JF(struct hk_os_counters, "demotions", demotions),
	HK_JF(struct hk_os_counters, "fallbacks", fallbacks),
	{ NULL, 0 }
};
/* The hugetlb backend's: the only one whose memory moves at fork. */
static const struct hk_json_field hk_json_fork_fields[] = {
	HK_JF(struct hk_os_counters, "hugetlb_moved_bytes", fork_moved),
	HK_JF(struct hk_os_counters, "hugetlb_shared_bytes", fork_left),
	HK_JF(struct hk_os_counters, "waits", fork_waits),
	{ NULL, 0 }
};
static const struct hk_json_field hk_json_dense_fields[] = {
	HK_JF(struct hk_dense_counters, "probes", probes),
	HK_JF(struct hk_dense_counters, "sampled", sampled),
	HK_JF(struct hk_dense_counters, "dense", dense),
	HK_JF(struct hk_dense_counters, "promoted_thp", thp),
	HK_JF(struct hk_dense_counters, "promoted_populate", populate),
	HK_JF(struct hk_dense_counters, "thp_trials_slow", trials_slow),
	HK_JF(struct hk_dense_counters, "failures", failures),
	{ NULL, 0 }
};

static void hk_json_fields(struct hk_json *j, const char *key, const void *base,
			   const struct hk_json_field *f)
{
	hk_json_open(j, key, "{");
	for (; f->key; f++)
		hk_json_u64(j, f->key, *(const uint64_t *)((const char *)base + f->off));
	hk_json_close(j, "}");
}

static void hk_json_os(struct hk_json *j)
{
	struct hk_dense_counters d;
	struct hk_os_counters c;

	hk_os_counters(hk_os_current()->id, &c);
	hk_json_fields(j, "os", &c, hk_json_os_fields);
	hk_os_counters(HK_BACKEND_HUGETLB, &c);
	hk_json_fields(j, "fork", &c, hk_json_fork_fields);
	hk_dense_counters(&d);
	hk_json_fields(j, "dense", &d, hk_json_dense_fields);
}

void hk_stats_json(int fd, bool usage)
{
	struct hk_json j = { .fd = fd, .first = true };
	struct hk_usage u;
	struct rusage ru;
	int saved = errno;

	hk_usage(&u);
	hk_json_open(&j, NULL, "{");
	hk_json_u64(&j, "schema", HK_STATS_JSON_SCHEMA);
	hk_json_str(&j, "version", PACKAGE_VERSION);
	hk_json_u64(&j, "pid", (uint64_t)getpid());
	hk_json_str(&j, "backend", hk_os_current()->name);
	hk_json_open(&j, "classes", "[");
	for (unsigned c = 0; c < HK_NCLASS; c++) {
		if (!u.slabs[c])
			continue;
		hk_json_open(&j, NULL, "{");
		hk_json_u64(&j, "size", hk_class_size[c]);
		hk_json_u64(&j, "blocks", u.blocks[c]);
		hk_json_u64(&j, "slabs", u.slabs[c]);
		hk_json_close(&j, "}");
	}
	hk_json_close(&j, "]");
	hk_json_open(&j, "superslabs", "{");
	hk_json_u64(&j, "new", hk_stats[HK_ST_SS_NEW]);
	hk_json_u64(&j, "freed", hk_stats[HK_ST_SS_FREE]);
	hk_json_u64(&j, "reclaimed", hk_stats[HK_ST_SS_RECLAIM]);
	hk_json_u64(&j, "mapped", u.superslabs);
	hk_json_close(&j, "}");
	hk_json_u64(&j, "slabs_made", hk_stats[HK_ST_SLAB_NEW]);
	hk_json_u64(&j, "threads", hk_stats[HK_ST_THREADS]);
	hk_json_open(&j, "large", "{");
	hk_json_u64(&j, "maps", hk_stats[HK_ST_LARGE_MAP]);
	hk_json_u64(&j, "unmaps", hk_stats[HK_ST_LARGE_UNMAP]);
	hk_json_u64(&j, "cache_hits", hk_stats[HK_ST_LARGE_HIT]);
	hk_json_u64(&j, "remaps", hk_stats[HK_ST_LARGE_REMAP]);
	hk_json_u64(&j, "mapped_bytes", hk_stats[HK_ST_LARGE_BYTES]);
	hk_json_close(&j, "}");
	hk_json_u64(&j, "purged_bytes", hk_stats[HK_ST_PURGED]);
	hk_json_u64(&j, "trimmed_slabs", hk_stats[HK_ST_TRIMMED]);
	hk_json_os(&j);
	if (usage && getrusage(RUSAGE_SELF, &ru) == 0) {
		hk_json_open(&j, "rusage", "{");
		hk_json_u64(&j, "minor_faults", (uint64_t)ru.ru_minflt);
		hk_json_u64(&j, "major_faults", (uint64_t)ru.ru_majflt);
		hk_json_u64(&j, "max_rss_kib", (uint64_t)ru.ru_maxrss);
		hk_json_close(&j, "}");
	}
	hk_json_close(&j, "}\n");
	hk_json_flush(&j);
	errno = saved;
}
