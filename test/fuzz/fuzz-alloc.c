/* fuzz-alloc.c: a libFuzzer target driving the hk_* API with operation
 * sequences read from the input: malloc, calloc, realloc,
 * aligned_alloc, free, each on one of 32 slots.  Every live block is
 * filled with a pattern of its slot; the pattern is checked before the
 * block is freed or reallocated (realloc must keep the common prefix),
 * calloc's block must read zero, alignment must hold and
 * malloc_usable_size must cover the request.  A wrong byte aborts, which
 * libFuzzer reports with the input.  Built by test/fuzz/build.sh. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "include/hakmem.h"

enum { SLOTS = 32 };

struct hk_fz_slot {
	unsigned char *p;
	size_t size;
	unsigned char tag;
};

/* The pattern covers all of a block up to 8 KiB and both 4 KiB ends of
 * a larger one (whole-block loops would make a run slow); hk_fz_check
 * looks at the patterned bytes among the first n. */
static void hk_fz_check(const struct hk_fz_slot *s, size_t n)
{
	for (size_t i = 0; i < n; i = i == 4095 && n > 8192 ? n - 4096 : i + 1)
		if (s->p[i] != (unsigned char)(s->tag + i))
			abort();
}

static void hk_fz_fill(struct hk_fz_slot *s)
{
	size_t n = s->size;

	for (size_t i = 0; i < n; i = i == 4095 && n > 8192 ? n - 4096 : i + 1)
		s->p[i] = (unsigned char)(s->tag + i);
}

/* Sizes mostly up to 1 KiB, some up to 32 KiB, one in 8 up to 1 MiB. */
static size_t hk_fz_size(const uint8_t *d)
{
	size_t v = (size_t)d[0] | (size_t)d[1] << 8 | (size_t)d[2] << 16;

	switch (d[3] & 7) {
	case 0: case 1: case 2: case 3: return v & 0x3ff;
	case 4: case 5: return v & 0x7fff;
	case 6: return v & 0xfffff;
	default: return v & 0x3f;
	}
}

static void hk_fz_put(struct hk_fz_slot *s, void *p, size_t size, size_t align)
{
	if (!p) {
		s->p = NULL;
		return;
	}
	if (((uintptr_t)p & (align - 1)) || hk_malloc_usable_size(p) < size)
		abort();
	s->p = p;
	s->size = size;
}

static void hk_fz_op(struct hk_fz_slot *s, const uint8_t *d)
{
	size_t size = hk_fz_size(d + 2), keep;
	void *q;

	if (s->p)
		hk_fz_check(s, s->size);
	switch (d[0] % 5) {
	case 0:
		hk_free(s->p);
		hk_fz_put(s, hk_malloc(size), size, 16);
		break;
	case 1:
		hk_free(s->p);
		hk_fz_put(s, hk_calloc(1, size), size, 16);
		for (size_t i = 0; s->p && i < size; i++)
			if (s->p[i])
				abort();
		break;
	case 2:
		/* realloc keeps the common prefix: its first 4 KiB is checked */
		keep = !s->p ? 0 : s->size < size ? s->size : size;
		keep = keep < 4096 ? keep : 4096;
		q = hk_realloc(s->p, size);
		if (!q && size)
			return;	/* the old block stays */
		hk_fz_put(s, q, size, 16);
		if (s->p)
			hk_fz_check(s, keep);
		break;
	case 3:
		hk_free(s->p);
		keep = (size_t)1 << (d[6] % 16);	/* 1 B .. 32 KiB */
		size = (size + keep - 1) / keep * keep;
		hk_fz_put(s, hk_aligned_alloc(keep, size), size, keep);
		break;
	default:
		hk_free(s->p);
		s->p = NULL;
		return;
	}
	if (s->p) {
		s->tag = d[1];
		hk_fz_fill(s);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct hk_fz_slot slots[SLOTS] = { 0 };

	for (; len >= 7; data += 7, len -= 7)
		hk_fz_op(&slots[data[1] % SLOTS], data);
	for (int i = 0; i < SLOTS; i++) {
		if (slots[i].p)
			hk_fz_check(&slots[i], slots[i].size);
		hk_free(slots[i].p);
	}
	return 0;
}
