/* hakmem.c: the shared library's own translation unit.  The malloc
 * family override lands here with the allocator (lib/override.c). */
#include "internal.h"
