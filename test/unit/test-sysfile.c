/* test-sysfile: the shared file reader and parsers of probe/sysfile.c. */
#include <errno.h>
#include <string.h>

#include "test/unit/probe-fixture.h"
#include "probe/readers.h"
#include "probe/sysfile.h"
#include "test/tap.h"

static void test_numbers(void)
{
	uint64_t v = 7;
	const char *end;

	end = hk_parse_u64("  4096 kB", &v);
	tap_ok(end && v == 4096 && strcmp(end, " kB") == 0, "parse_u64 skips blanks, stops at the unit");
	v = 7;
	tap_ok(!hk_parse_u64("kB", &v) && v == 7, "parse_u64 without digits returns NULL, keeps *out");
	tap_ok(hk_parse_u64("99999999999999999999999", &v) && v == UINT64_MAX, "parse_u64 saturates");
	tap_ok(hk_parse_x64("000001fffeffffff\n", &v) && v == 0x1fffeffffffULL, "parse_x64 reads CapEff");
}

static void test_words(void)
{
	const char *w = NULL, *buf = "MemTotal: 1 kB\nHugepagesize:    2048 kB\n";
	size_t n = hk_bracket_word("always [madvise] never", &w);

	tap_ok(n == 7 && hk_word_is(w, n, "madvise"), "bracket word of a THP mode file");
	tap_ok(hk_bracket_word("always madvise never", &w) == 0, "no brackets: no word");
	tap_ok(!hk_word_is("madvise", 7, "madv"), "word_is compares whole words");
	tap_ok(hk_line_value(buf, "Hugepagesize:") != NULL &&
	       strcmp(hk_line_value(buf, "Hugepagesize:"), "    2048 kB\n") == 0,
	       "line_value finds a key at a line start");
	tap_ok(hk_line_value(buf, "Total:") == NULL, "line_value ignores keys inside a line");
	tap_ok(hk_cpulist_count("0-3,8,10-11\n") == 7, "cpulist 0-3,8,10-11 counts 7");
	tap_ok(hk_cpulist_count("0\n") == 1, "cpulist 0 counts 1");
	tap_ok(hk_cpulist_count("") == 0, "empty cpulist counts 0");
}

static void test_files(void)
{
	char buf[8], small[4], path[16];
	uint64_t v;
	const char *root = fixture("kvm-6.18");	/* until the next fixture() */

	tap_ok(hk_sysfile_read(root, "/no/such/file", buf, sizeof(buf)) == -ENOENT && buf[0] == 0,
	       "a missing file gives -ENOENT and an empty buffer");
	tap_ok(hk_sysfile_read(root, "/uname-m", small, sizeof(small)) == 3 &&
	       strcmp(small, "x86") == 0, "a long file is truncated and NUL-terminated");
	tap_ok(hk_sysfile_u64(root, "/proc/sys/vm/max_map_count", &v) == 0 && v == 65530,
	       "sysfile_u64 reads a number");
	tap_ok(hk_sysfile_u64(fixture("thp-never"), "/sys/fs/cgroup/user.slice/memory.max", &v) == 0 &&
	       v == UINT64_MAX, "\"max\" reads as UINT64_MAX");
	tap_ok(hk_sysfile_u64(fixture("kvm-6.18"), "/uname-r", &v) == 0 && v == 6,
	       "sysfile_u64 stops at the first non-digit");
	tap_ok(hk_syspath(path, sizeof(path), "/0123456789", "/abcdef") == -ENAMETOOLONG,
	       "a path too long for the buffer is refused");
}

int main(void)
{
	test_numbers();
	test_words();
	test_files();
	return tap_done();
}
