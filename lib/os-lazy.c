/* os-lazy.c: plain anonymous mmap; pages are faulted in on first touch.
 * The backend every kernel serves, and the end of the demotion chain. */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>

#include "os.h"

static int hk_lazy_acquire(size_t len, size_t align, void **out)
{
	int saved = errno;
	size_t span = len + (align > HK_CHUNK_SIZE ? align : HK_CHUNK_SIZE);
	char *p;
	uintptr_t a;

	/* TEMPORARY: over-map and trim; batching lands with os.c. */
	p = mmap(NULL, span, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED) {
		int err = errno;

		errno = saved;
		return err;
	}
	a = ((uintptr_t)p + align - 1) & ~(uintptr_t)(align - 1);
	if (a > (uintptr_t)p)
		munmap(p, a - (uintptr_t)p);
	if ((char *)a + len < p + span)
		munmap((char *)a + len, (size_t)(p + span - ((char *)a + len)));
	*out = (void *)a;
	errno = saved;
	return 0;
}

static int hk_lazy_release(void *p, size_t len)
{
	int saved = errno, err = 0;

	if (munmap(p, len) != 0)
		err = errno;
	errno = saved;
	return err;
}

static int hk_lazy_prefault(void *p, size_t len)
{
	(void)p;
	(void)len;
	return 0;
}

static int hk_lazy_purge(void *p, size_t len)
{
	int saved = errno, err = 0;

	if (madvise(p, len, MADV_DONTNEED) != 0)
		err = errno;
	errno = saved;
	return err;
}

const struct hk_os_backend hk_os_lazy = {
	.name = "lazy",
	.id = HK_BACKEND_LAZY,
	.acquire = hk_lazy_acquire,
	.release = hk_lazy_release,
	.prefault = hk_lazy_prefault,
	.purge = hk_lazy_purge,
};
