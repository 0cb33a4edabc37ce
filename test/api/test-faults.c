/* test-faults: the page faults hakmem adds to a program, run with
 * libhakmem.so preloaded (test-faults-preload.preload).
 *
 * The library's writable globals, and the segment map's entries in
 * use, lie on the page where .data ends, which the loader writes at
 * start-up anyway: of the .bss pages past it only the one holding the
 * kernel probe's facts, written at load (lib/load.c), is touched
 * (lib/segmap.c, lib/local.mk "Start-up page faults").
 *
 * In a process that never ran a second thread, a class with no slab yet
 * is lent the slab of a class at most a quarter (or 32 bytes) larger and
 * as aligned, until that one runs out (lib/heap-lend.c): a program that
 * allocates a few blocks of many sizes touches a page for several
 * classes at once.
 */
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "test/tap.h"

struct hk_rw {
	uintptr_t lo;		/* first page past the file-backed part */
	uintptr_t hi;		/* end of .bss */
	char path[4096];	/* the library's file */
};

static int hk_find_rw(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct hk_rw *rw = arg;
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);

	(void)size;
	if (!strstr(info->dlpi_name, "libhakmem") ||
	    strlen(info->dlpi_name) >= sizeof(rw->path))
		return 0;
	strcpy(rw->path, info->dlpi_name);
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

/* The section headers of the ELF file at path, read into a buffer of
 * *len bytes whose start is the file header; NULL if unreadable. */
static const Elf64_Shdr *hk_elf_sections(const char *path, const char **file,
					 uint64_t *len)
{
	static char buf[1 << 20];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

	if (fd >= 0)
		close(fd);
	if (n < (ssize_t)sizeof(*eh) || eh->e_shoff + (uint64_t)eh->e_shnum *
	    sizeof(Elf64_Shdr) > (uint64_t)n || eh->e_shstrndx >= eh->e_shnum)
		return NULL;
	*file = buf;
	*len = (uint64_t)n;
	return (const Elf64_Shdr *)(buf + eh->e_shoff);
}

/* The address of section name in the ELF file at path, or 0. */
static uint64_t hk_section_addr(const char *path, const char *name)
{
	const char *buf;
	uint64_t n;
	const Elf64_Shdr *sh = hk_elf_sections(path, &buf, &n);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

	for (int i = 0; sh && i < eh->e_shnum; i++)
		if (strcmp(buf + sh[eh->e_shstrndx].sh_offset + sh[i].sh_name, name) == 0)
			return sh[i].sh_addr;
	return 0;
}

/* How many pages the object named sym spans in the ELF file at path
 * (its .symtab entry), or 0 when the file has no such symbol (stripped). */
static long hk_symbol_pages(const char *path, const char *sym)
{
	const char *buf;
	uint64_t n, pg = (uint64_t)sysconf(_SC_PAGESIZE);
	const Elf64_Shdr *sh = hk_elf_sections(path, &buf, &n);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)buf;

	for (int i = 0; sh && i < eh->e_shnum; i++) {
		const Elf64_Sym *st = (const Elf64_Sym *)(buf + sh[i].sh_offset);
		const Elf64_Shdr *str = &sh[sh[i].sh_link];

		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_offset + sh[i].sh_size > n || str->sh_offset >= n)
			continue;
		for (uint64_t k = 0; k < sh[i].sh_size / sizeof(*st); k++)
			if (st[k].st_name < str->sh_size && st[k].st_size &&
			    strcmp(buf + str->sh_offset + st[k].st_name, sym) == 0)
				return (long)((st[k].st_value + st[k].st_size - 1) / pg -
					      st[k].st_value / pg + 1);
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

static long hk_thread_minflt(void)
{
	struct rusage ru;

	getrusage(RUSAGE_THREAD, &ru);
	return ru.ru_minflt;
}

/* The pages of stack the allocator's slow paths may reach, touched. */
static __attribute__((noinline)) void hk_stack_warm(void)
{
	volatile char buf[32768];

	for (size_t i = 0; i < sizeof(buf); i += 64)
		buf[i] = 1;
}

/* 2 blocks of each size from 256 down to 144 (8 classes), kept. */
static void hk_sizes(void **keep)
{
	int k = 0;

	for (size_t size = 256; size >= 144; size -= 16) {
		keep[k++] = malloc(size);
		keep[k++] = malloc(size);
	}
}

#define HK_NKEEP 16

struct hk_lend_out {
	size_t first_usable;	/* of malloc(260) after malloc(300) */
	int same_slice;		/* both in one 32 KiB slice */
	int own_after;		/* 260-byte mallocs until one is 288 bytes */
	long faults;		/* of hk_sizes, its code and heap warm */
	uintptr_t misalign;	/* of memalign(64, 64) after malloc(80) */
};

/* What lending does, in this process of one thread (lending is for
 * those only). */
static void hk_lend(struct hk_lend_out *o)
{
	void *keep[HK_NKEEP], *big, *b;
	void *volatile warm;
	volatile uintptr_t at;
	void *more[200];
	int n = 0;

	/* Through a volatile: the compiler may drop a malloc whose block
	 * is only freed. */
	warm = malloc(2048);
	free(warm);
	hk_stack_warm();
	o->faults = hk_thread_minflt();
	o->faults = hk_thread_minflt();
	hk_sizes(keep);
	o->faults = hk_thread_minflt() - o->faults;
	big = malloc(300);
	b = malloc(260);
	o->first_usable = malloc_usable_size(b);
	o->same_slice = ((uintptr_t)big >> 15) == ((uintptr_t)b >> 15);
	while (n < 200 && malloc_usable_size(more[n] = malloc(260)) != 288)
		n++;
	o->own_after = n < 200 ? n + 1 : -1;
	for (int i = 0; i < n + (n < 200); i++)
		free(more[i]);
	free(b);
	free(big);
	/* 64 has no slab yet, 80 has one with a block out: not to be lent. */
	warm = malloc(80);
	/* Through a volatile: the compiler takes memalign's alignment as
	 * given. */
	at = (uintptr_t)memalign(64, 64);
	o->misalign = at % 64;
	free((void *)at);
	free(warm);
	for (int i = 0; i < HK_NKEEP; i++)
		free(keep[i]);
}

/* The usable size of malloc(second) right after malloc(first), a
 * size of the next class up or two, both freed. */
static size_t hk_after(size_t first, size_t second)
{
	void *volatile big = malloc(first);
	void *b = malloc(second);
	size_t n = malloc_usable_size(b);

	free(b);
	free(big);
	return n;
}

/* With a second thread alive, a class has its own slab from its first
 * block: threads hand blocks and superslabs to each other, and a class's
 * pages are reused through them (lib/heap-lend.c). */
static void *hk_two(void *arg)
{
	*(size_t *)arg = hk_after(300, 260);
	return NULL;
}

int main(void)
{
	size_t two = 0;
	pthread_t t;
	struct hk_lend_out o = { 0, 0, 0, 0, 0 };
	struct hk_rw rw = { .lo = 0 };
	void *p[4];
	long n;

	if (!dl_iterate_phdr(hk_find_rw, &rw))
		tap_skip_all("libhakmem.so is not loaded");
	tap_plan(10);
	/* First, while this heap has no idle slab of its own to reuse. */
	hk_lend(&o);
	/* A small block, a large one, a free of each: init, a superslab,
	 * the segment map's entries for both. */
	p[0] = malloc(16);
	p[1] = malloc(4 << 20);
	p[2] = malloc(3000);
	p[3] = calloc(1, 100);
	for (int i = 0; i < 4; i++)
		free(p[i]);
	{
		/* The mmap area lies just under 2^47: its top entries are
		 * the table's first 32 wherever ASLR puts it. */
		uint64_t data = hk_section_addr(rw.path, ".data");
		uint64_t lbss = hk_section_addr(rw.path, ".lbss");
		uint64_t pg = (uint64_t)sysconf(_SC_PAGESIZE);

		tap_ok(data && lbss && (lbss + 32 * 8 - 1) / pg == data / pg,
		       "the segment map's first 32 top entries (.lbss at %#llx) "
		       "are on .data's page (%#llx)", (unsigned long long)lbss,
		       (unsigned long long)data);
	}
	/* But one: the kernel probe's facts, which the library writes
	 * when it is loaded (lib/load.c, lib/os.c hk_os_facts). */
	n = hk_resident(rw.lo, rw.hi);
	{
		/* Two where the link put that object across a page end. */
		long facts = hk_symbol_pages(rw.path, "hk_os_facts");

		if (!facts) {
			tap_diag("hk_os_facts not in the library's .symtab: allowing 2 pages");
			facts = 2;
		}
		tap_ok(n >= 0 && n <= facts, "of the %lu .bss pages past the loader's page, "
		       "only the probe's (%ld) are touched (%ld are)",
		       (unsigned long)((rw.hi - rw.lo) / (uintptr_t)sysconf(_SC_PAGESIZE)),
		       facts, n);
	}
	tap_ok(o.first_usable == 320, "malloc(260), the class's first block, "
	       "comes from the 320-byte class's slab (usable %zu)", o.first_usable);
	tap_ok(o.same_slice, "... the slab of the malloc(300) before it");
	tap_ok(o.own_after > 0 && o.own_after <= 32768 / 320 + 1,
	       "once that slab runs out the class has its own (after %d more)",
	       o.own_after);
	tap_ok(o.faults >= 0 && o.faults <= 3, "2 blocks of each of 8 sizes "
	       "from 144 to 256 bytes touch 3 pages at most, 7 without lending "
	       "(%ld faults)", o.faults);
	tap_ok(o.misalign == 0, "memalign(64, 64) is 64-aligned when the "
	       "80-byte class has a slab and the 64-byte class none");
	if (pthread_create(&t, NULL, hk_two, &two) == 0)
		pthread_join(t, NULL);
	tap_ok(two == 288, "with two threads, malloc(260) after malloc(300) "
	       "has its own class's block (usable %zu)", two);
	/* That thread's superslab waits, abandoned, with its slabs: taking
	 * it over reuses pages, lending would not. */
	two = hk_after(1000, 950);
	tap_ok(two == 960, "with a superslab abandoned, malloc(950) after "
	       "malloc(1000) has its own class's block (usable %zu)", two);
	/* malloc_trim gives the abandoned superslab back: this thread's
	 * heap is the only one, but a thread ran (xmalloc's producer, with a
	 * consumer that frees its blocks, has a heap of its own likewise). */
	malloc_trim(0);
	two = hk_after(600, 540);
	tap_ok(two == 576, "once a thread ran, malloc(540) after malloc(600) "
	       "has its own class's block (usable %zu)", two);
	return tap_done();
}
