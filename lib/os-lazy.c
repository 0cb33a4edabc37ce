/* os-lazy.c: plain anonymous mmap; pages are faulted in on first touch.
 * The backend every kernel serves, the end of the demotion chain, and
 * the mapping under large objects whatever the backend. */
#include "os-impl.h"

static int hk_lazy_acquire(size_t len, size_t align, void **out)
{
	return hk_os_sys_map(len, align, 0, out);
}

static int hk_lazy_prefault(void *p, size_t len)
{
	(void)p;
	(void)len;
	return 0;
}

const struct hk_os_backend hk_os_lazy = {
	.name = "lazy",
	.id = HK_BACKEND_LAZY,
	.acquire = hk_lazy_acquire,
	.release = hk_os_sys_unmap,
	.prefault = hk_lazy_prefault,
	.purge = hk_os_sys_purge,
};
