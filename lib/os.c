/* os.c: the OS-acquire layer's policy: which backend is in force, how it
 * is demoted at run time, the counters, the lock and the large-object
 * maps.  Chunks for superslabs are in os-batch.c, the system calls in
 * os-sys.c, one backend per os-*.c.
 *
 * The choice is made once (hk_os_init) by the same probe and selection
 * code hk-probe prints; afterwards it changes only by demotion, one step
 * down hk_backend_demote()'s chain per failure of a kind a plainer
 * backend would not hit.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include "probe/kconst.h"
#include "lib/lock.h"
#include "lib/msg.h"
#include "lib/once.h"
#include "lib/options.h"
#include "lib/os-impl.h"

static const struct hk_os_backend *const hk_os_backends[HK_BACKEND_COUNT] = {
	[HK_BACKEND_LAZY] = &hk_os_lazy,
	[HK_BACKEND_TOUCH] = &hk_os_touch,
	[HK_BACKEND_MAP_POPULATE] = &hk_os_map_populate,
	[HK_BACKEND_POPULATE] = &hk_os_populate,
	[HK_BACKEND_THP] = &hk_os_thp,
	[HK_BACKEND_HUGETLB] = &hk_os_hugetlb,
};

/* Written when the probe runs (hk_os_init, at load: lib/load.c): in
 * .lbss (x86-64), past the segment map's top table, not on the page the
 * small globals share (lib/segmap.c).  Together, in 732 bytes, so the
 * probe's writes at load fault one page, which test/api/test-faults
 * checks (a larger alignment would move .lbss, and the segment map's
 * first entries, off the small globals' page). */
static struct {
	struct hk_caps caps;
	struct hk_choice choice;
} hk_os_facts HK_BSS_LAST;
#define hk_os_caps_v hk_os_facts.caps
#define hk_os_choice_v hk_os_facts.choice
static int hk_os_state;		/* once.h: started once per process */
int hk_os_purge_mode = HK_PURGE_DONTNEED;
static const struct hk_os_backend *hk_os_cur = &hk_os_lazy;
static bool hk_os_always;
static struct hk_os_counters hk_os_ctr[HK_BACKEND_COUNT];
static pthread_mutex_t hk_os_mutex = PTHREAD_MUTEX_INITIALIZER;
/* Here, at the bottom of the layers, for every user of once.h and lock.h. */
__thread int *hk_once_mine[HK_ONCE_NEST] __attribute__((tls_model("initial-exec")));
HK_TLS int hk_fork_holder;

const struct hk_os_backend *hk_os_backend_get(enum hk_backend_id id)
{
	return (unsigned)id < HK_BACKEND_COUNT ? hk_os_backends[id] : &hk_os_lazy;
}

/* Select on the facts, then publish the backend. */
static void hk_os_start(void)
{
	struct hk_select_in in;
	long page;

	page = (long)hk_os_caps_v.page_size;
	if (page > 0 && (page & (page - 1)) == 0)
		hk_os_page = (size_t)page;
	in.backend = hk_options()->backend;
	in.prefault = hk_options()->prefault;
	hk_select(&hk_os_caps_v, &in, &hk_os_choice_v);
	hk_os_purge_mode = hk_os_choice_v.purge;
	hk_os_always = hk_os_caps_v.thp_enabled == HK_THP_ALWAYS;
	__atomic_store_n(&hk_os_cur, hk_os_backend_get(hk_os_choice_v.backend),
			 __ATOMIC_RELEASE);
	hk_verbose("backend %s: %s", hk_os_cur->name, hk_os_choice_v.reason);
}

bool hk_os_started(void)
{
	return __atomic_load_n(&hk_os_state, __ATOMIC_ACQUIRE) == HK_ONCE_DONE;
}

void hk_os_early_page(void)
{
	unsigned long page = getauxval(AT_PAGESZ);

	if (page >= 4096 && (page & (page - 1)) == 0)
		hk_os_page = (size_t)page;
}

void hk_os_init(void)
{
	unsigned flags = HK_PROBE_LEAN;
	int saved;

	if (!hk_once_claim(&hk_os_state))
		return;
	saved = errno;
	/* Lean: the facts this layer acts on, by calls a program started
	 * under systemd's @system-service filter may make (lib/load.c). */
	switch (hk_options()->backend) {
	case HK_BACKEND_HUGETLB:
		flags |= HK_PROBE_HUGETLB;
		break;
	case HK_BACKEND_THP:
		flags |= HK_PROBE_THP;
		break;
	case HK_BACKEND_POPULATE:
	case HK_BACKEND_MAP_POPULATE:
		flags |= HK_PROBE_POPULATE;
		break;
	default:
		break;
	}
	if (hk_options()->dense)
		flags |= HK_PROBE_THP | HK_PROBE_POPULATE;
	hk_probe(&hk_os_caps_v, "", flags);
	hk_os_start();
	errno = saved;
	hk_once_done(&hk_os_state);
}

int hk_os_init_caps(const struct hk_caps *caps)
{
	if (!hk_once_claim(&hk_os_state))
		return -1;
	hk_os_caps_v = *caps;
	hk_os_start();
	hk_once_done(&hk_os_state);
	return 0;
}

const struct hk_caps *hk_os_caps(void)
{
	hk_os_init();
	return &hk_os_caps_v;
}

size_t hk_os_keep_max(void)
{
	static size_t keep;	/* 0 until computed */
	size_t k = __atomic_load_n(&keep, __ATOMIC_RELAXED);
	uint64_t lim;

	if (HK_LIKELY(k))
		return k;
	/* 0: caps a test filled in without the probe, no limit known. */
	lim = hk_os_caps()->cgroup_mem_max;
	k = lim == UINT64_MAX || lim == 0 || lim / HK_KEEP_SHARE >= SIZE_MAX ? SIZE_MAX
	    : (size_t)(lim / HK_KEEP_SHARE);
	if (!k)
		k = 1;
	__atomic_store_n(&keep, k, __ATOMIC_RELAXED);
	return k;
}

const struct hk_choice *hk_os_choice(void)
{
	hk_os_init();
	return &hk_os_choice_v;
}

const struct hk_os_backend *hk_os_current(void)
{
	hk_os_init();
	return __atomic_load_n(&hk_os_cur, __ATOMIC_ACQUIRE);
}

bool hk_os_thp_always(void)
{
	return hk_os_always;
}

bool hk_os_demotable(const struct hk_os_backend *b, int err)
{
	return hk_backend_demotable(b->id, err);
}

const struct hk_os_backend *hk_os_demote(const struct hk_os_backend *b,
					 const char *what, int err)
{
	const struct hk_os_backend *to = hk_os_backend_get(hk_backend_demote(b->id));
	const struct hk_os_backend *seen = b;

	if (__atomic_compare_exchange_n(&hk_os_cur, &seen, to, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		HK_OS_COUNT(b->id, demotions, 1);
		hk_verbose("backend %s: %s failed (%s), demoted to %s",
			   b->name, what, hk_errno_name(err), to->name);
		return to;
	}
	return seen;
}

void hk_os_count(enum hk_backend_id id, size_t field, uint64_t n)
{
	if ((unsigned)id >= HK_BACKEND_COUNT)
		return;
	__atomic_fetch_add((uint64_t *)((char *)&hk_os_ctr[id] + field), n,
			   __ATOMIC_RELAXED);
}

void hk_os_counters(enum hk_backend_id id, struct hk_os_counters *out)
{
	uint64_t *dst = (uint64_t *)out;
	const size_t n = sizeof(*out) / sizeof(uint64_t);

	*out = (struct hk_os_counters){ 0 };
	for (int b = 0; b < HK_BACKEND_COUNT; b++) {
		const uint64_t *src = (const uint64_t *)&hk_os_ctr[b];

		if (id != HK_BACKEND_AUTO && b != (int)id)
			continue;
		for (size_t i = 0; i < n; i++)
			dst[i] += __atomic_load_n(&src[i], __ATOMIC_RELAXED);
	}
}

void hk_os_lock(void)
{
	hk_lock(&hk_os_mutex);
}

void hk_os_unlock(void)
{
	hk_unlock(&hk_os_mutex);
}

void hk_os_fork_prepare(void)
{
	/* A start in progress in another thread would never finish in the
	 * child, whose waiters would spin for ever: finish it first.  One
	 * not begun is not begun here (the fork handlers are registered at
	 * load, before any malloc): a claim made after this reads -pid of
	 * the parent in the child, which runs the work again (once.h). */
	if (__atomic_load_n(&hk_os_state, __ATOMIC_ACQUIRE) != 0)
		hk_os_init();
	hk_os_lock();
	hk_hugetlb_fork_prepare();
}

void hk_os_fork_parent(void)
{
	hk_hugetlb_fork_parent();
	hk_os_unlock();
}

void hk_os_fork_child(void)
{
	/* The forking thread held the lock, and is the child's only
	 * thread: the tables are ours to change before it is released. */
	hk_os_batch_fork_child();
	hk_hugetlb_fork_child();
	hk_os_unlock();
}

/* A fallback below the backend in force (chunk.h): counted with it,
 * said under HAKMEM_VERBOSE by the caller, once. */
static void hk_os_fallback(void)
{
	HK_OS_COUNT(__atomic_load_n(&hk_os_cur, __ATOMIC_ACQUIRE)->id, fallbacks, 1);
}

/* Set once the kernel refused MADV_POPULATE_WRITE. */
static int hk_os_no_populate;

int hk_os_populate_or_touch(void *p, size_t len)
{
	int err;

	if (!__atomic_load_n(&hk_os_no_populate, __ATOMIC_RELAXED)) {
		err = hk_os_populate.prefault(p, len);
		if (!hk_populate_demotable(err))
			return err;
		/* Before 5.14: the touch loop does the same work by faults. */
		if (!__atomic_exchange_n(&hk_os_no_populate, 1, __ATOMIC_RELAXED)) {
			hk_os_fallback();
			hk_verbose("prefault: MADV_POPULATE_WRITE failed (%s), touching each page",
				   hk_errno_name(err));
		}
	}
	return hk_os_sys_touch(p, len);
}

/* MADV_FREE where asked and the backend takes it, falling back to the
 * backend's own purge (MADV_DONTNEED) as hk_purge_demote says. */
static int hk_os_purge_free(const struct hk_os_backend *b, void *p, size_t len,
			    bool *zeroed)
{
	struct hk_os_counters huge;
	bool for_good;
	int err;

	err = hk_os_sys_advise(p, len, MADV_FREE);
	if (!err)
		return 0;
	hk_os_counters(HK_BACKEND_HUGETLB, &huge);
	if (hk_purge_demote(err, huge.bytes != 0, &for_good) == HK_PURGE_FREE)
		return err;
	if (for_good && __atomic_exchange_n(&hk_os_purge_mode, HK_PURGE_DONTNEED,
					    __ATOMIC_RELAXED) == HK_PURGE_FREE) {
		hk_os_fallback();
		hk_verbose("purge: MADV_FREE failed (EINVAL), using MADV_DONTNEED");
	}
	err = b->purge(p, len);
	*zeroed = err == 0;
	return err;
}

int hk_os_purge(void *p, size_t len, bool *zeroed)
{
	const struct hk_os_backend *b = hk_os_current();
	enum hk_purge how = hk_purge_advice(
		b->id, (enum hk_purge)__atomic_load_n(&hk_os_purge_mode, __ATOMIC_RELAXED));
	int err;

	*zeroed = false;
	if (how == HK_PURGE_FREE) {
		err = hk_os_purge_free(b, p, len, zeroed);
	} else {
		err = b->purge(p, len);
		*zeroed = err == 0;
	}
	if (err) {
		HK_OS_COUNT(b->id, failures, 1);
		return err;
	}
	HK_OS_COUNT(b->id, purges, 1);
	HK_OS_COUNT(b->id, purged, len);
	return 0;
}
