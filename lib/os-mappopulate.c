/* os-mappopulate.c: mmap(MAP_POPULATE): the mapping call populates, so
 * prefault has nothing left to do.  Private mappings are populated since
 * 2.6.23.  The kernel ignores a failure to populate (the mmap still
 * succeeds), which is why populate is preferred where it exists.  The
 * batch layer reserves PROT_NONE and commits each chunk through
 * .commit, so the slack of a reservation is never populated. */
#include "probe/kconst.h"
#include "lib/os-impl.h"

static int hk_map_populate_acquire(size_t len, size_t align, void **out)
{
	return hk_os_sys_map(len, align, MAP_POPULATE, out);
}

static int hk_map_populate_commit(void *p, size_t len)
{
	return hk_os_sys_fixed(p, len, MAP_POPULATE);
}

const struct hk_os_backend hk_os_map_populate = {
	.name = "map_populate",
	.id = HK_BACKEND_MAP_POPULATE,
	.acquire = hk_map_populate_acquire,
	.release = hk_os_sys_unmap,
	.prefault = hk_os_sys_no_prefault,
	.purge = hk_os_sys_dontneed,
	.commit = hk_map_populate_commit,
};
