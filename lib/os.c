/* os.c: the OS-acquire layer's policy.  TEMPORARY: lazy backend only,
 * no batching, no demotion, until the real layer lands. */
#include <errno.h>
#include <sys/mman.h>

#include "options.h"
#include "os.h"

static struct hk_caps hk_os_caps_v;
static struct hk_choice hk_os_choice_v;
static int hk_os_ready;

const struct hk_os_backend *hk_os_backend_get(enum hk_backend_id id)
{
	(void)id;
	return &hk_os_lazy;
}

void hk_os_init(void)
{
	struct hk_select_in in;

	if (__atomic_load_n(&hk_os_ready, __ATOMIC_ACQUIRE))
		return;
	hk_probe(&hk_os_caps_v, "", 0);
	in.backend = hk_options()->backend;
	in.prefault = hk_options()->prefault;
	hk_select(&hk_os_caps_v, &in, &hk_os_choice_v);
	__atomic_store_n(&hk_os_ready, 1, __ATOMIC_RELEASE);
}

const struct hk_caps *hk_os_caps(void)
{
	hk_os_init();
	return &hk_os_caps_v;
}

const struct hk_choice *hk_os_choice(void)
{
	hk_os_init();
	return &hk_os_choice_v;
}

const struct hk_os_backend *hk_os_current(void)
{
	return &hk_os_lazy;
}

int hk_os_chunk_alloc(size_t len, void **out, bool *fresh)
{
	hk_os_init();
	*fresh = true;
	return hk_os_lazy.acquire(len, HK_CHUNK_SIZE, out) ? ENOMEM : 0;
}

void hk_os_chunk_free(void *p, size_t len)
{
	hk_os_lazy.release(p, len);
}

int hk_os_map(size_t len, size_t align, void **out)
{
	return hk_os_lazy.acquire(len, align, out) ? ENOMEM : 0;
}

void hk_os_unmap(void *p, size_t len)
{
	hk_os_lazy.release(p, len);
}

int hk_os_remap(void *p, size_t oldlen, size_t newlen, void **out)
{
	int saved = errno, err = 0;
	void *q = mremap(p, oldlen, newlen, MREMAP_MAYMOVE);

	if (q == MAP_FAILED)
		err = errno;
	else
		*out = q;
	errno = saved;
	return err;
}

int hk_os_purge(void *p, size_t len, bool *zeroed)
{
	*zeroed = true;
	return hk_os_lazy.purge(p, len);
}

void hk_os_counters(enum hk_backend_id id, struct hk_os_counters *out)
{
	(void)id;
	*out = (struct hk_os_counters){ 0 };
}

void hk_os_fork_prepare(void) {}
void hk_os_fork_parent(void) {}
void hk_os_fork_child(void) {}
