/* os-lazy.c: plain anonymous mmap; pages are faulted in on first touch.
 * The backend every kernel serves, the end of the demotion chain, and
 * the mapping under large objects whatever the backend. */
#include "lib/os-impl.h"

const struct hk_os_backend hk_os_lazy = {
	.name = "lazy",
	.id = HK_BACKEND_LAZY,
	.acquire = hk_os_sys_acquire_lazy,
	.release = hk_os_sys_unmap,
	.prefault = hk_os_sys_no_prefault,
	.purge = hk_os_sys_dontneed,
};
