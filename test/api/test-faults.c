/* test-faults: the page faults hakmem adds to a program, run with
 * libhakmem.so preloaded (test-faults-preload.preload).
 *
 * The library's writable globals, and the segment map's entries in
 * use, lie on the page where .data ends, which the loader writes at
 * start-up anyway: none of the .bss pages past it is touched
 * (lib/segmap.c, Makefile.am "start-up page faults").
 */
#define _GNU_SOURCE
#include <link.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "tap.h"

struct hk_rw {
	uintptr_t lo;		/* first page past the file-backed part */
	uintptr_t hi;		/* end of .bss */
};

static int hk_find_rw(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct hk_rw *rw = arg;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	(void)size;
	if (!strstr(info->dlpi_name, "libhakmem"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_W))
			continue;
		rw->lo = (start + ph->p_filesz + page - 1) & ~(page - 1);
		rw->hi = (start + ph->p_memsz + page - 1) & ~(page - 1);
		return 1;
	}
	return 0;
}

/* Pages of [lo, hi) mapped in (a read maps the zero page: counted). */
static long hk_resident(uintptr_t lo, uintptr_t hi)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t n = (hi - lo) / page;
	unsigned char vec[256];
	long r = 0;

	if (n > sizeof(vec) || mincore((void *)lo, hi - lo, vec) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		r += vec[i] & 1;
	return r;
}

int main(void)
{
	struct hk_rw rw = { 0, 0 };
	void *p[4];
	long n;

	if (!dl_iterate_phdr(hk_find_rw, &rw))
		tap_skip_all("libhakmem.so is not loaded");
	tap_plan(1);
	/* A small block, a large one, a free of each: init, a superslab,
	 * the segment map's entries for both. */
	p[0] = malloc(16);
	p[1] = malloc(4 << 20);
	p[2] = malloc(3000);
	p[3] = calloc(1, 100);
	for (int i = 0; i < 4; i++)
		free(p[i]);
	n = hk_resident(rw.lo, rw.hi);
	tap_ok(n == 0, "none of the %lu .bss pages past the loader's page is "
	       "touched (%ld are)", (unsigned long)((rw.hi - rw.lo) /
						    (uintptr_t)sysconf(_SC_PAGESIZE)), n);
	return tap_done();
}
