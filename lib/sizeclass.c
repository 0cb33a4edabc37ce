/* sizeclass.c: the size-class tables (see sizeclass.h for the scheme).
 * Written out rather than computed at start-up so that the fast path
 * needs no initialisation; test-sizeclass checks them against the rule. */
#include "lib/sizeclass.h"

const uint8_t hk_class_small[65] = {
	0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 16, 17, 17, 18, 18, 19, 19, 20, 20, 21, 21, 22, 22, 23,
	23, 24, 24, 24, 24, 25, 25, 25, 25, 26, 26, 26, 26, 27, 27, 27,
	27, 28, 28, 28, 28, 29, 29, 29, 29, 30, 30, 30, 30, 31, 31, 31,
	31,
};

const uint32_t hk_class_size[HK_NCLASS] = {
	16, 32, 48, 64, 80, 96, 112, 128,
	144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512,
	576, 640, 704, 768, 832, 896, 960, 1024,
	1152, 1280, 1408, 1536, 1664, 1792, 1920, 2048,
	2304, 2560, 2816, 3072, 3328, 3584, 3840, 4096,
	4608, 5120, 5632, 6144, 6656, 7168, 7680, 8192,
	9216, 10240, 11264, 12288, 13312, 14336, 15360, 16384,
	18432, 20480, 22528, 24576, 26624, 28672, 30720, 32768,
	36864, 40960, 45056, 49152, 53248, 57344, 61440, 65536,
	73728, 81920, 90112, 98304, 106496, 114688, 122880, 131072,
	147456, 163840, 180224, 196608, 212992, 229376, 245760, 262144,
};

/* Room for 8 blocks per slab up to 64 KiB, 4 above (at most 32 slices,
 * 1 MiB): a slab of big blocks that holds fewer of them empties sooner
 * once most are freed, and the shorter run of slices it needs fits the
 * holes other slabs leave, so that memory freed in one class serves
 * the others (bench/frag). */
const uint8_t hk_class_span[HK_NCLASS] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4,
	5, 5, 6, 6, 7, 7, 8, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	9, 10, 11, 12, 13, 14, 15, 16, 18, 20, 22, 24, 26, 28, 30, 32,
};
