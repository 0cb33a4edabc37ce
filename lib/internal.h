/* internal.h: declarations shared between the allocator's files,
 * grouped under a heading per file.  Nothing here is exported. */
#ifndef HK_INTERNAL_H
#define HK_INTERNAL_H

#include <stddef.h>

/* Exported symbols (the malloc family and hk_*) carry HK_EXPORT; the
 * library is built with -fvisibility=hidden and lib/libhakmem.sym. */
#define HK_EXPORT __attribute__((visibility("default")))

#define HK_LIKELY(x) __builtin_expect(!!(x), 1)
#define HK_UNLIKELY(x) __builtin_expect(!!(x), 0)

#endif /* HK_INTERNAL_H */
