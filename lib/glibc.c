/* glibc.c: finding glibc's allocator in libc.so.6's own symbol table,
 * for a process that runs without hakmem (glibc.h says why not by a
 * reference or dlsym).
 *
 * dl_iterate_phdr names each loaded object with its base and program
 * headers, allocating nothing; libc.so.6 is the one whose segments hold
 * gnu_get_libc_version (glibc's alone: nothing interposes it).  Its
 * PT_DYNAMIC gives the symbol and string tables, the GNU hash table (or
 * the SysV one) and the version table; a name is found by the lookup
 * the dynamic linker does, in that object only, and only its default
 * version (the versym entry without the hidden bit): malloc@@GLIBC_2.2.5,
 * never a compatibility symbol.  No system call, no lock but the
 * loader's read lock that dl_iterate_phdr takes, once.
 */
#include <elf.h>
#include <gnu/libc-version.h>
#include <link.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "lib/glibc.h"
#include "lib/internal.h"
#include "lib/os.h"

const struct hk_glibc *hk_glibc_fwd;
/* In .lbss, after the segment map's table: written only in a process
 * that runs without hakmem, and 128 bytes of .bss would push that
 * table's first entries off the page the loader writes anyway
 * (test/api/test-faults checks it). */
static struct hk_glibc hk_glibc_table HK_BSS_LAST;

struct hk_glibc_obj {
	uintptr_t want;			/* an address inside libc.so.6 */
	uintptr_t base;
	const ElfW(Dyn) *dyn;
};

static int hk_glibc_find_obj(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct hk_glibc_obj *o = arg;
	const ElfW(Dyn) *dyn = NULL;
	bool holds = false;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)start;
		else if (ph->p_type == PT_LOAD && o->want - start < ph->p_memsz)
			holds = true;
	}
	if (!holds || !dyn)
		return 0;
	o->base = info->dlpi_addr;
	o->dyn = dyn;
	return 1;
}

/* The dynamic linker adds the base to the address entries of PT_DYNAMIC
 * in place where that section is writable (x86-64 and most others), not
 * where it is read-only (MIPS, RISC-V): an entry below the base is still
 * an offset. */
static const void *hk_glibc_ptr(uintptr_t base, uintptr_t v)
{
	return (const void *)(v < base ? v + base : v);
}

struct hk_glibc_syms {
	uintptr_t base;
	const ElfW(Sym) *sym;
	const char *str;
	const uint32_t *gnu_hash;
	const uint32_t *hash;		/* SysV, if there is no GNU one */
	const ElfW(Half) *versym;
};

static bool hk_glibc_match(const struct hk_glibc_syms *t, uint32_t i, const char *name)
{
	const ElfW(Sym) *s = &t->sym[i];

	/* A plain function: an IFUNC's value is its resolver (none of
	 * glibc's allocator entry points is one). */
	return s->st_shndx != SHN_UNDEF && s->st_value &&
	       ELF64_ST_TYPE(s->st_info) == STT_FUNC &&
	       !(t->versym && (t->versym[i] & 0x8000)) &&
	       !strcmp(t->str + s->st_name, name);
}

static void *hk_glibc_lookup(const struct hk_glibc_syms *t, const char *name)
{
	uint32_t i;

	if (t->gnu_hash) {
		const uint32_t *g = t->gnu_hash;
		uint32_t nbuckets = g[0], symoffset = g[1], bloom = g[2], h = 5381;
		const uint32_t *buckets = (const uint32_t *)((const ElfW(Addr) *)(g + 4) + bloom);
		const uint32_t *chain = buckets + nbuckets;

		for (const unsigned char *c = (const unsigned char *)name; *c; c++)
			h = h * 33 + *c;
		if (!nbuckets)
			return NULL;
		i = buckets[h % nbuckets];
		if (i < symoffset)
			return NULL;
		for (;; i++) {
			uint32_t h2 = chain[i - symoffset];

			if ((h | 1) == (h2 | 1) && hk_glibc_match(t, i, name))
				return (void *)(t->base + t->sym[i].st_value);
			if (h2 & 1)
				return NULL;
		}
	}
	if (t->hash) {
		uint32_t nbucket = t->hash[0], h = 0, g;
		const uint32_t *bucket = t->hash + 2, *chain = bucket + nbucket;

		for (const unsigned char *c = (const unsigned char *)name; *c; c++) {
			h = (h << 4) + *c;
			g = h & 0xf0000000;
			h ^= g >> 24;
			h &= ~g;
		}
		if (!nbucket)
			return NULL;
		for (i = bucket[h % nbucket]; i; i = chain[i])
			if (hk_glibc_match(t, i, name))
				return (void *)(t->base + t->sym[i].st_value);
	}
	return NULL;
}

/* Without them (glibc before 2.16 and 2.33), what glibc gave then. */
static void *hk_glibc_aligned_alloc(size_t align, size_t size)
{
	return hk_glibc_table.memalign(align, size);
}

static struct mallinfo2 hk_glibc_mallinfo2(void)
{
	struct mallinfo m = hk_glibc_table.mallinfo();

	return (struct mallinfo2){
		.arena = (unsigned)m.arena, .ordblks = (unsigned)m.ordblks,
		.smblks = (unsigned)m.smblks, .hblks = (unsigned)m.hblks,
		.hblkhd = (unsigned)m.hblkhd, .usmblks = (unsigned)m.usmblks,
		.fsmblks = (unsigned)m.fsmblks, .uordblks = (unsigned)m.uordblks,
		.fordblks = (unsigned)m.fordblks, .keepcost = (unsigned)m.keepcost,
	};
}

/* Every field of struct hk_glibc, by glibc's name; the optional ones
 * have a stand-in above. */
#define HK_GLIBC_FN(f, opt) { #f, offsetof(struct hk_glibc, f), opt }
static const struct {
	const char *name;
	size_t offset;
	bool optional;
} hk_glibc_fns[] = {
	HK_GLIBC_FN(malloc, false), HK_GLIBC_FN(free, false),
	HK_GLIBC_FN(calloc, false), HK_GLIBC_FN(realloc, false),
	HK_GLIBC_FN(memalign, false), HK_GLIBC_FN(posix_memalign, false),
	HK_GLIBC_FN(aligned_alloc, true), HK_GLIBC_FN(valloc, false),
	HK_GLIBC_FN(pvalloc, false), HK_GLIBC_FN(malloc_usable_size, false),
	HK_GLIBC_FN(malloc_trim, false), HK_GLIBC_FN(malloc_stats, false),
	HK_GLIBC_FN(mallinfo, false), HK_GLIBC_FN(mallinfo2, true),
	HK_GLIBC_FN(malloc_info, false), HK_GLIBC_FN(mallopt, false),
};
_Static_assert(sizeof(hk_glibc_fns) / sizeof(hk_glibc_fns[0]) ==
	       sizeof(struct hk_glibc) / sizeof(void (*)(void)),
	       "one hk_glibc_fns row per field of struct hk_glibc");

/* The tables of the object at base, from its PT_DYNAMIC; false if it
 * has no symbol table to look in. */
static bool hk_glibc_syms_of(uintptr_t base, const ElfW(Dyn) *dyn, struct hk_glibc_syms *out)
{
	struct hk_glibc_syms t = { .base = base };

	for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
		switch (d->d_tag) {
		case DT_SYMTAB:
			t.sym = hk_glibc_ptr(base, d->d_un.d_ptr);
			break;
		case DT_STRTAB:
			t.str = hk_glibc_ptr(base, d->d_un.d_ptr);
			break;
		case DT_GNU_HASH:
			t.gnu_hash = hk_glibc_ptr(base, d->d_un.d_ptr);
			break;
		case DT_HASH:
			t.hash = hk_glibc_ptr(base, d->d_un.d_ptr);
			break;
		case DT_VERSYM:
			t.versym = hk_glibc_ptr(base, d->d_un.d_ptr);
			break;
		}
	}
	*out = t;
	return t.sym && t.str && (t.gnu_hash || t.hash);
}

bool hk_glibc_start(void)
{
	struct hk_glibc_obj o = { .want = (uintptr_t)&gnu_get_libc_version };
	struct hk_glibc_syms t;
	struct hk_glibc g = { 0 };

	if (hk_glibc_now())
		return true;
	if (!dl_iterate_phdr(hk_glibc_find_obj, &o))
		return false;
	if (!hk_glibc_syms_of(o.base, o.dyn, &t))
		return false;
	for (size_t i = 0; i < sizeof(hk_glibc_fns) / sizeof(hk_glibc_fns[0]); i++) {
		void *fn = hk_glibc_lookup(&t, hk_glibc_fns[i].name);

		if (!fn && !hk_glibc_fns[i].optional)
			return false;
		memcpy((char *)&g + hk_glibc_fns[i].offset, &fn, sizeof(fn));
	}
	if (!g.aligned_alloc)
		g.aligned_alloc = hk_glibc_aligned_alloc;
	if (!g.mallinfo2)
		g.mallinfo2 = hk_glibc_mallinfo2;
	/* Two threads here (init run again, once.h) store the same table. */
	hk_glibc_table = g;
	__atomic_store_n(&hk_glibc_fwd, &hk_glibc_table, __ATOMIC_RELEASE);
	return true;
}

const struct hk_glibc *hk_glibc(void)
{
	hk_init();
	return hk_glibc_now();
}

/* ---- any loaded object's function (lib/cxx-new.c) ------------------ */

struct hk_dyn_find {
	const char *name;
	void *fn;
};

static int hk_dyn_find_obj(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct hk_dyn_find *f = arg;
	struct hk_glibc_syms t;

	(void)size;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type == PT_DYNAMIC &&
		    hk_glibc_syms_of(info->dlpi_addr,
				     (const ElfW(Dyn) *)(info->dlpi_addr + ph->p_vaddr), &t))
			return (f->fn = hk_glibc_lookup(&t, f->name)) != NULL;
	}
	return 0;
}

void *hk_dyn_find(const char *name)
{
	struct hk_dyn_find f = { .name = name };

	dl_iterate_phdr(hk_dyn_find_obj, &f);
	return f.fn;
}
