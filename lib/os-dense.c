/* os-dense.c: the sensors of dense promotion under HAKMEM_BACKEND=auto
 * (os-dense.h): the process's instance of probe/chunk.c's state machine,
 * the probes' mincore samples and the timing of THP first faults, which
 * os-batch.c calls on its fresh-chunk path, once per 2 MiB, never on the
 * malloc/free path.  The madvise calls that promote are os-batch.c's.
 *
 * Which probe to sample: the newest is still being carved, so the oldest
 * pending one is measured when the HK_DENSE_LAG-th fresh chunk after it
 * goes out.  A heap takes a new superslab when no slice of its last one
 * is free, but the slabs of many size classes in it are still filling:
 * bench/frag, every page of which is written, reads 60-97% resident two
 * chunks later (median 80%, under the threshold) and 97-100% eight
 * chunks later.  Other threads' chunks come in between too.
 */
#include <errno.h>
#include <sys/mman.h>

#include "lib/msg.h"
#include "lib/options.h"
#include "lib/os-dense.h"
#include "lib/os-impl.h"

#define HK_DENSE_LAG 8
#define HK_DENSE_RING (2 * HK_DENSE_LAG)
#define HK_DENSE_VEC (HK_CHUNK_SIZE / 4096)
/* While the memory is sparse, one probe in this many is measured: a
 * mincore of 2 MiB costs about 4.6 us, 3% of a chunk of which a tenth is
 * touched (bench/fresh-touch 1024 64 10). */
#define HK_DENSE_SPARSE_EVERY 4

/* The layer's side.  State and ring are under os.c's lock. */
struct hk_dense_probe {
	char *p;
	uint64_t seq;		/* hk_dense_seq when handed out */
};

static struct hk_dense hk_dense_st;
static bool hk_dense_ready;	/* hk_dense_st initialised */
static int hk_dense_on;		/* 0 not decided yet, 1 on, -1 off */
/* Only HAKMEM_DENSE=1 writes it: in .lbss, past the segment map's top
 * table (os-dense.o links after segmap.o), not among the small globals
 * whose page the loader writes, where its 256 bytes pushed the table's
 * first entries to the next page (test/api/test-faults). */
static struct hk_dense_probe hk_dense_ring[HK_DENSE_RING] HK_BSS_LAST;
static int hk_dense_nring;
static uint64_t hk_dense_seq;	/* fresh chunks seen */
static struct hk_dense_counters hk_dense_ctr;
static bool hk_dense_advised_v;	/* some chunk got MADV_HUGEPAGE (atomic) */

#define HK_DENSE_COUNT(field) \
	__atomic_fetch_add(&hk_dense_ctr.field, 1, __ATOMIC_RELAXED)

/* hk_dense_applies, HAKMEM_DENSE not 0.  Racy but idempotent. */
bool hk_dense_active(void)
{
	int on = __atomic_load_n(&hk_dense_on, __ATOMIC_RELAXED);

	if (on == 0) {
		on = hk_options()->dense &&
		     hk_dense_applies(hk_options()->backend, hk_os_choice()) &&
		     hk_os_page >= 4096 ? 1 : -1;
		__atomic_store_n(&hk_dense_on, on, __ATOMIC_RELAXED);
	}
	return on == 1 && hk_os_current()->id == HK_BACKEND_LAZY;
}

/* Under the lock: measure the oldest probe if it is due. */
static void hk_dense_sample_due(void)
{
	unsigned char vec[HK_DENSE_VEC];
	size_t pages = HK_CHUNK_SIZE / hk_os_page, resident = 0;
	int saved = errno;

	if (hk_dense_nring == 0 || hk_dense_ring[0].seq + HK_DENSE_LAG > hk_dense_seq)
		return;
	/* ENOMEM: trimmed meanwhile; nothing to learn. */
	if (mincore(hk_dense_ring[0].p, HK_CHUNK_SIZE, vec) == 0) {
		for (size_t i = 0; i < pages; i++)
			resident += vec[i] & 1;
		HK_DENSE_COUNT(sampled);
		if (hk_dense_sample(&hk_dense_st, resident, pages))
			HK_DENSE_COUNT(dense);
	}
	errno = saved;
	for (int i = 1; i < hk_dense_nring; i++)
		hk_dense_ring[i - 1] = hk_dense_ring[i];
	hk_dense_nring--;
}

enum hk_dense_act hk_dense_pick(char *p, size_t len)
{
	enum hk_dense_act act;

	if (len != HK_CHUNK_SIZE)
		return HK_DENSE_PROBE;
	if (!hk_dense_ready) {
		const struct hk_caps *c = hk_os_caps();

		hk_dense_init(&hk_dense_st, hk_dense_thp_ok(c), hk_dense_populate_ok(c));
		hk_dense_ready = true;
	}
	hk_dense_sample_due();
	act = hk_dense_next(&hk_dense_st);
	if (act == HK_DENSE_PROBE) {
		/* Nothing to promote to (both turned off by failures):
		 * measuring would buy nothing. */
		if ((hk_dense_st.thp_ok || hk_dense_st.populate_ok) &&
		    hk_dense_nring < HK_DENSE_RING &&
		    (hk_dense_st.streak || hk_dense_seq % HK_DENSE_SPARSE_EVERY == 0))
			hk_dense_ring[hk_dense_nring++] =
				(struct hk_dense_probe){ p, hk_dense_seq };
		HK_DENSE_COUNT(probes);
	}
	hk_dense_seq++;
	return act;
}

bool hk_dense_fail(enum hk_dense_act act, bool demotable, int err)
{
	bool populate;

	HK_DENSE_COUNT(failures);
	hk_verbose("dense: %s failed (%s)",
		   act == HK_DENSE_THP ? "MADV_HUGEPAGE" : "MADV_POPULATE_WRITE",
		   hk_errno_name(err));
	hk_os_lock();
	populate = hk_dense_failed(&hk_dense_st, act, demotable);
	hk_os_unlock();
	return populate;
}

void hk_dense_populated(void)
{
	HK_DENSE_COUNT(populate);
}

bool hk_dense_advised(void)
{
	return __atomic_load_n(&hk_dense_advised_v, __ATOMIC_RELAXED);
}

/* Whether the first fault mapped a huge page shows in the residency of
 * the chunk's last page. */
bool hk_dense_time_thp(char *p)
{
	unsigned char last = 0;
	uint64_t t0, ns;
	int saved;
	bool won, populate;
	unsigned skip;

	__atomic_store_n(&hk_dense_advised_v, true, __ATOMIC_RELAXED);
	t0 = hk_os_sys_ns();
	*(volatile char *)p = 0;
	ns = hk_os_sys_ns() - t0;
	saved = errno;
	if (mincore(p + HK_CHUNK_SIZE - hk_os_page, hk_os_page, &last) != 0)
		last = 0;
	errno = saved;
	hk_os_lock();
	won = hk_dense_trial(&hk_dense_st, ns, last & 1);
	populate = hk_dense_populate_rest(&hk_dense_st, last & 1);
	skip = hk_dense_st.thp_skip;
	hk_os_unlock();
	if (last & 1)
		HK_DENSE_COUNT(thp);
	if (!won) {
		HK_DENSE_COUNT(trials_slow);
		hk_verbose("dense: THP first fault %llu us%s: no THP for %u chunks",
			   (unsigned long long)(ns / 1000), last & 1 ? "" : ", no huge page", skip);
	}
	return populate;
}

void hk_dense_counters(struct hk_dense_counters *out)
{
	const uint64_t *src = (const uint64_t *)&hk_dense_ctr;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
