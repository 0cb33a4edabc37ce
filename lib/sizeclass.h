/* sizeclass.h: request size -> size class, inline for the fast path.
 *
 * 8 classes of 16 bytes up to 128 (the 16-byte alignment sets the step
 * there), then 8 classes per power of two up to HK_SMALL_MAX, so the
 * waste above 128 bytes is at most 1/8 of the block.  Sizes above
 * HK_SMALL_MAX are large objects (large.c).
 */
#ifndef HK_SIZECLASS_H
#define HK_SIZECLASS_H

#include <stddef.h>
#include <stdint.h>

#define HK_NCLASS 96
#define HK_SMALL_MAX ((size_t)256 << 10)

#pragma GCC visibility push(hidden)

/* Class of sizes up to 1024, indexed by (size + 15) >> 4. */
extern const uint8_t hk_class_small[65];
/* Block size of each class. */
extern const uint32_t hk_class_size[HK_NCLASS];
/* Slices (32 KiB) in a slab of each class. */
extern const uint8_t hk_class_span[HK_NCLASS];

static inline unsigned hk_size_class_big(size_t size)
{
	size_t s = size - 1;
	unsigned k = 63u - (unsigned)__builtin_clzl(s);

	return 8u + (k - 7u) * 8u + (unsigned)((s >> (k - 3u)) - 8u);
}

/* size <= HK_SMALL_MAX. */
static inline unsigned hk_size_class(size_t size)
{
	if (__builtin_expect(size <= 1024, 1))
		return hk_class_small[(size + 15) >> 4];
	return hk_size_class_big(size);
}

#pragma GCC visibility pop

#endif /* HK_SIZECLASS_H */
