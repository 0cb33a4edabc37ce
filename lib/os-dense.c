/* os-dense.c: promotion of dense fresh chunks under HAKMEM_BACKEND=auto
 * (os-dense.h says why): the pure decisions first, then the probes'
 * sampling and the promotions that os-batch.c calls on its fresh-chunk
 * path, once per 2 MiB, never on the malloc/free path.
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

#include "probe/kconst.h"
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

void hk_dense_init(struct hk_dense *s, bool thp_ok, bool populate_ok)
{
	*s = (struct hk_dense){ .thp_ok = thp_ok, .populate_ok = populate_ok,
				.thp_backoff = HK_DENSE_BACKOFF_MIN };
}

bool hk_dense_sample(struct hk_dense *s, size_t resident, size_t pages)
{
	if (pages && resident * 100 >= pages * HK_DENSE_PCT) {
		if (s->streak < HK_DENSE_STREAK)
			s->streak++;
		return true;
	}
	s->streak = 0;
	s->since_probe = 0;
	return false;
}

enum hk_dense_act hk_dense_next(struct hk_dense *s)
{
	bool thp = s->thp_ok && s->thp_skip == 0;
	unsigned every = thp ? HK_DENSE_PROBE_EVERY_THP : HK_DENSE_PROBE_EVERY;

	if (s->streak < HK_DENSE_STREAK || (!s->thp_ok && !s->populate_ok) ||
	    ++s->since_probe >= every) {
		s->since_probe = 0;
		return HK_DENSE_PROBE;
	}
	if (s->thp_ok && s->thp_skip)
		s->thp_skip--;
	if (thp)
		return HK_DENSE_THP;
	return s->populate_ok ? HK_DENSE_POPULATE : HK_DENSE_PROBE;
}

/* THP lost: no THP for the next thp_backoff promotions, doubling. */
static void hk_dense_lose(struct hk_dense *s)
{
	s->thp_skip = s->thp_backoff;
	s->thp_backoff = s->thp_backoff * 2 > HK_DENSE_BACKOFF_MAX
				 ? HK_DENSE_BACKOFF_MAX : s->thp_backoff * 2;
}

bool hk_dense_trial(struct hk_dense *s, uint64_t ns, bool huge)
{
	if (huge && ns <= HK_DENSE_TRIAL_SLOW_NS) {
		s->thp_backoff = HK_DENSE_BACKOFF_MIN;
		return true;
	}
	hk_dense_lose(s);
	return false;
}

bool hk_dense_thp_ok(const struct hk_caps *c)
{
	return (c->thp_enabled == HK_THP_MADVISE || c->thp_enabled == HK_THP_ALWAYS) &&
	       c->madv_hugepage.state != HK_FEAT_NO &&
	       (c->thp_pmd_size == 0 || c->thp_pmd_size == HK_CHUNK_SIZE);
}

bool hk_dense_populate_ok(const struct hk_caps *c)
{
	return c->populate_write.state != HK_FEAT_NO;
}

void hk_dense_failed(struct hk_dense *s, enum hk_dense_act act, bool demotable)
{
	/* A passing MADV_HUGEPAGE failure (ENOMEM: the chunk's own VMA
	 * would pass vm.max_map_count) backs off as a slow trial does,
	 * rather than failing again on every promoted chunk. */
	if (act == HK_DENSE_THP && !demotable)
		hk_dense_lose(s);
	if (!demotable)
		return;
	if (act == HK_DENSE_THP)
		s->thp_ok = false;
	else if (act == HK_DENSE_POPULATE)
		s->populate_ok = false;
}

/* The layer's side.  State and ring are under os.c's lock. */
struct hk_dense_probe {
	char *p;
	uint64_t seq;		/* hk_dense_seq when handed out */
};

static struct hk_dense hk_dense_st;
static bool hk_dense_ready;	/* hk_dense_st initialised */
static int hk_dense_on;		/* 0 not decided yet, 1 on, -1 off */
static struct hk_dense_probe hk_dense_ring[HK_DENSE_RING];
static int hk_dense_nring;
static uint64_t hk_dense_seq;	/* fresh chunks seen */
static struct hk_dense_counters hk_dense_ctr;
static bool hk_dense_advised;	/* some chunk got MADV_HUGEPAGE (atomic) */

#define HK_DENSE_COUNT(field) \
	__atomic_fetch_add(&hk_dense_ctr.field, 1, __ATOMIC_RELAXED)

/* Lazy pages because auto chose them (a backend asked for stays as
 * asked), and nobody asked for a prefault: the probes would measure
 * nothing otherwise. */
bool hk_dense_applies(const struct hk_choice *ch)
{
	return hk_options()->backend == HK_BACKEND_AUTO &&
	       ch->backend == HK_BACKEND_LAZY && ch->prefault == HK_PREFAULT_OFF;
}

/* hk_dense_applies, HAKMEM_DENSE not 0.  Racy but idempotent. */
bool hk_dense_active(void)
{
	int on = __atomic_load_n(&hk_dense_on, __ATOMIC_RELAXED);

	if (on == 0) {
		on = hk_options()->dense && hk_dense_applies(hk_os_choice()) &&
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

/* Returns whether populate may still serve the chunk. */
static bool hk_dense_fail(enum hk_dense_act act, const struct hk_os_backend *b, int err)
{
	bool populate;

	HK_DENSE_COUNT(failures);
	hk_verbose("dense: %s failed (%s)",
		   act == HK_DENSE_THP ? "MADV_HUGEPAGE" : "MADV_POPULATE_WRITE",
		   hk_errno_name(err));
	hk_os_lock();
	hk_dense_failed(&hk_dense_st, act, hk_os_demotable(b, err));
	populate = hk_dense_st.populate_ok;
	hk_os_unlock();
	return populate;
}

static void hk_dense_populate(char *p, size_t len)
{
	int err = hk_os_sys_advise(p, len, MADV_POPULATE_WRITE);

	if (err)
		hk_dense_fail(HK_DENSE_POPULATE, &hk_os_populate, err);
	else
		HK_DENSE_COUNT(populate);
}

/* Advise, then time the first fault (the chunk reads as zero, so
 * writing a zero changes nothing); whether it mapped a huge page shows
 * in the residency of the chunk's last page. */
static void hk_dense_thp(char *p, size_t len)
{
	unsigned char last = 0;
	uint64_t t0, ns;
	int err, saved;
	bool won, populate;
	unsigned skip;

	err = hk_os_sys_advise(p, len, MADV_HUGEPAGE);
	if (err) {
		if (hk_dense_fail(HK_DENSE_THP, &hk_os_thp, err))
			hk_dense_populate(p, len);
		return;
	}
	__atomic_store_n(&hk_dense_advised, true, __ATOMIC_RELAXED);
	t0 = hk_os_sys_ns();
	*(volatile char *)p = 0;
	ns = hk_os_sys_ns() - t0;
	saved = errno;
	if (mincore(p + HK_CHUNK_SIZE - hk_os_page, hk_os_page, &last) != 0)
		last = 0;
	errno = saved;
	hk_os_lock();
	won = hk_dense_trial(&hk_dense_st, ns, last & 1);
	populate = !(last & 1) && hk_dense_st.populate_ok;
	skip = hk_dense_st.thp_skip;
	hk_os_unlock();
	if (last & 1)
		HK_DENSE_COUNT(thp);
	if (!won) {
		HK_DENSE_COUNT(trials_slow);
		hk_verbose("dense: THP first fault %llu us%s: no THP for %u chunks",
			   (unsigned long long)(ns / 1000), last & 1 ? "" : ", no huge page", skip);
	}
	/* No huge page: the rest of the chunk is still 4 KiB faults to come. */
	if (populate)
		hk_dense_populate(p, len);
}

void hk_dense_apply(char *p, size_t len, enum hk_dense_act act)
{
	switch (act) {
	case HK_DENSE_THP:
		hk_dense_thp(p, len);
		break;
	case HK_DENSE_POPULATE:
		/* Under THP "always" populate would fault huge pages, which
		 * is what a slow trial just ruled out. */
		if (hk_os_thp_always())
			hk_os_sys_advise(p, len, MADV_NOHUGEPAGE);
		hk_dense_populate(p, len);
		break;
	default:
		/* THP "always" would make a probe's first touch map 2 MiB. */
		if (hk_os_thp_always())
			hk_os_sys_advise(p, len, MADV_NOHUGEPAGE);
		break;
	}
}

/* The chunk cache hands a chunk to whatever asks next, which the
 * density measured for its first user says nothing about; a chunk left
 * MADV_HUGEPAGE would fault a whole huge page at its next first touch
 * after a purge (and khugepaged would collapse it), untried and
 * unmeasured.  One madvise per chunk given back, and only in a process
 * that advised one: the others' chunks never carry the flag. */
void hk_dense_release(char *p, size_t len)
{
	if (__atomic_load_n(&hk_dense_advised, __ATOMIC_RELAXED))
		hk_os_sys_advise(p, len, MADV_NOHUGEPAGE);
}

void hk_dense_counters(struct hk_dense_counters *out)
{
	const uint64_t *src = (const uint64_t *)&hk_dense_ctr;
	uint64_t *dst = (uint64_t *)out;

	for (size_t i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}
