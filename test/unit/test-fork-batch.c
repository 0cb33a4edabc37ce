/* test-fork-batch: a fork child takes over the batches of remote frees
 * of the threads the fork stopped (lib/remote.c).
 *
 * A parked thread W holds two batches: FEW blocks of this thread's
 * heap, and FEW of a second parked thread Z's heap.  In the child, each
 * batch found consistent goes to its slab's remote list: this heap's
 * slab then gives the blocks back, and Z's slab, whose heap the child
 * abandons, takes them in on the way.  Then W's batch of this heap is
 * made by hand into what a fork in the middle of a free, or memory
 * gone bad, would leave (as test-fork-torn makes a torn slab): each such
 * batch is forgotten in the child, none of its blocks pushed, the other
 * batch still recovered, and the child allocates on.  The parent puts
 * every word back after each case.
 */
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"
#include "test/badinput/child.h"

#define SIZE 64
#define FEW 10			/* blocks in each batch */
#define KEEP 5			/* blocks of Z's slab nobody frees */

static void *blk[FEW];		/* this heap's, in W's batch */
static void *zblk[FEW + KEEP];	/* Z's, the first FEW in W's batch */
static struct hk_heap *wheap;
static int zready, wready;
static int park_fd[2];		/* W and Z park reading park_fd[0] */

static void park(void)
{
	char c;

	while (read(park_fd[0], &c, 1) < 0)
		;
}

static void *z_main(void *arg)
{
	(void)arg;
	for (int i = 0; i < FEW + KEEP; i++)
		zblk[i] = hk_malloc(SIZE);
	__atomic_store_n(&zready, 1, __ATOMIC_RELEASE);
	park();
	return NULL;
}

static void *w_main(void *arg)
{
	(void)arg;
	hk_free(hk_malloc(16));		/* a heap, to hold batches */
	for (int i = 0; i < FEW; i++)
		hk_free(blk[i]);
	for (int i = 0; i < FEW; i++)
		hk_free(zblk[i]);
	wheap = hk_tls_heap;
	__atomic_store_n(&wready, 1, __ATOMIC_RELEASE);
	park();
	return NULL;
}

static struct hk_slab *slab_of(const void *p)
{
	return hk_slab_of(hk_ss_of(p), p);
}

static unsigned remote_count(const void *p)
{
	return (unsigned)(__atomic_load_n(&slab_of(p)->remote, __ATOMIC_ACQUIRE) >>
			  HK_REMOTE_COUNT_SHIFT);
}

/* ---- in the child -------------------------------------------------- */

/* 2 MiB aligned, in no superslab the segment map knows: a copy of
 * blk[0]'s superslab, as far as the batch goes, made there. */
static struct hk_superslab *fake_ss;
/* A copy of blk[0]'s slab descriptor that a case names in the batch
 * (NULL if none): nothing may be pushed there. */
static struct hk_slab *decoy;

/* Z's batch went to its slab before the child abandoned Z's heap,
 * which took it in: only KEEP blocks of that slab still in use. */
static int z_taken_in(void)
{
	return hk_slab_used(slab_of(zblk[0])) == KEEP &&
	       remote_count(zblk[0]) == 0;
}

/* W's batch of this heap's blocks is on the slab's remote list, and
 * the slab, taken in, hands those blocks out again. */
static int child_back(void *arg)
{
	void *again[FEW];
	int found = 0;

	(void)arg;
	if (remote_count(blk[0]) != FEW)
		return 10;
	if (!z_taken_in())
		return 11;
	if (hk_slab_collect(slab_of(blk[0])) != FEW)
		return 12;
	for (int i = 0; i < FEW; i++)
		again[i] = hk_malloc(SIZE);
	for (int i = 0; i < FEW; i++)
		for (int j = 0; j < FEW; j++)
			found += again[i] == blk[j];
	return found == FEW ? 0 : 13;
}

static uint64_t true_nbump;	/* blk[0]'s slab's, if a case broke it */

/* W's batch of this heap's blocks was forgotten: nothing pushed (nor to
 * a descriptor it named), the slab's count unchanged; Z's recovered. */
static int child_forgot(void *arg)
{
	struct hk_slab *s = slab_of(blk[0]);
	uint32_t used = hk_slab_used(s);

	(void)arg;
	if (true_nbump)
		s->nbump = true_nbump;	/* the child allocates there */
	if (remote_count(blk[0]) != 0 ||
	    (decoy && __atomic_load_n(&decoy->remote, __ATOMIC_ACQUIRE)))
		return 20;
	if (!z_taken_in())
		return 21;
	if (hk_slab_collect(s) != 0 || hk_slab_used(s) != used)
		return 22;
	for (int i = 0; i < 1000; i++)
		hk_free(hk_malloc((size_t)(i % 500) + 1));
	return 0;
}

/* ---- the states, made in the parent -------------------------------- */

static struct hk_rbatch *entry(void)
{
	return hk_rb_at(wheap, blk[0]);
}

static void *spare;		/* a block of blk[0]'s slab, in use */
static void *other;		/* a block of another slab, in use */

static void key(void *p, void *next)
{
	((uintptr_t *)p)[1] = hk_free_key;
	hk_set_next(p, next);
}

/* A free stopped after it keyed and linked its block, before head
 * moved: the batch is whole without that block, which stays in use. */
static void keyed_not_head(void)
{
	key(spare, entry()->head);
}

static void n_one_high(void)
{
	entry()->n++;
}

/* Stopped between the head and the count (or the compiler put head
 * first): head names a linked block n does not count yet. */
static void head_not_n(void)
{
	key(spare, entry()->head);
	entry()->head = spare;
}

/* head and n moved on, the block's next not yet written. */
static void head_next_garbage(void)
{
	struct hk_rbatch *e = entry();

	((uintptr_t *)spare)[1] = hk_free_key;
	((uintptr_t *)spare)[0] = 0x5a5a5a5a5a5a5a5a;
	e->head = spare;
	e->n++;
}

static void tail_mismatch(void)
{
	entry()->tail = blk[1];
}

static void block_outside(void)
{
	struct hk_rbatch *e = entry();

	key(other, e->head);
	e->head = other;
	e->n++;
}

static void key_missing(void)
{
	((uintptr_t *)blk[FEW / 2])[1] = 0;
}

/* The tail linked back to the head, n covering the ring twice. */
static void cycle(void)
{
	struct hk_rbatch *e = entry();

	hk_set_next(e->tail, e->head);
	e->n = 2 * FEW;
}

static void name_decoy(struct hk_slab *d)
{
	*d = *entry()->slab;
	__atomic_store_n(&d->remote, 0, __ATOMIC_RELAXED);
	decoy = d;
	entry()->slab = d;
}

/* The batch moved whole into fake_ss: its header, the slab's
 * descriptor there, the blocks chained there. */
static void slab_not_in_segmap(void)
{
	struct hk_superslab *ss = hk_ss_of(blk[0]);
	struct hk_rbatch *e = entry();
	uintptr_t d = (uintptr_t)fake_ss - (uintptr_t)ss;
	struct hk_slab *f = &fake_ss->slabs[slab_of(blk[0]) - ss->slabs];

	memcpy(fake_ss, ss, HK_SS_HDR);
	name_decoy(f);
	f->start += d;
	f->bump += d;
	f->end += d;
	e->start = f->start;
	for (int i = 0; i < FEW; i++)
		key((char *)blk[i] + d, i ? (char *)blk[i - 1] + d : NULL);
	e->head = (char *)blk[FEW - 1] + d;
	e->tail = (char *)blk[0] + d;
}

/* blk[0]'s slab counting blocks without end (as a torn descriptor
 * might), and the batch's head a keyed block at its stride beyond its
 * superslab, in fake_ss, linked to the batch. */
static void block_beyond_ss(void)
{
	struct hk_slab *s = slab_of(blk[0]);
	struct hk_rbatch *e = entry();
	char *b = (char *)fake_ss + ((uintptr_t)s->start & HK_SS_MASK);

	true_nbump = s->nbump;
	s->nbump = UINT64_MAX;
	key(b, e->head);
	e->head = b;
	e->n++;
}

/* A free slice's descriptor of blk[0]'s superslab made to look like
 * blk[0]'s slab (as a stale one might). */
static struct hk_slab spare_desc;

static void slab_not_first(void)
{
	struct hk_superslab *ss = hk_ss_of(blk[0]);
	unsigned j = (unsigned)__builtin_ctzll(ss->free_mask);

	spare_desc = ss->slabs[j];
	name_decoy(&ss->slabs[j]);
}

/* hk_rb_push cleared the bit, not yet n. */
static void mask_clear(void)
{
	wheap->rb_mask &= ~((uint64_t)1 << (entry() - wheap->rb));
}

struct torn {
	void (*make)(void);
	const char *what;
};

static const struct torn torn[] = {
	{ n_one_high, "n one too high" },
	{ head_not_n, "head moved on, n not yet" },
	{ head_next_garbage, "head and n moved on, the head's next garbage" },
	{ tail_mismatch, "tail not the chain's last block" },
	{ block_outside, "a block of another slab at the head" },
	{ key_missing, "a block in the chain without the free key" },
	{ cycle, "a chain that loops back to its head" },
	{ slab_not_in_segmap, "a slab descriptor no superslab holds" },
	{ slab_not_first, "a descriptor of a slice that starts no slab" },
	{ block_beyond_ss, "a slab counting without end, a block beyond its "
	  "superslab" },
	{ mask_clear, "n > 0 without its bit in rb_mask" },
};

/* What the cases write, put back after each. */
struct saved {
	struct hk_rbatch e;
	uint64_t mask;
	uintptr_t blk[FEW][2], spare[2], other[2];
};

static void save(struct saved *sv)
{
	sv->e = *entry();
	sv->mask = wheap->rb_mask;
	for (int i = 0; i < FEW; i++)
		memcpy(sv->blk[i], blk[i], sizeof(sv->blk[i]));
	memcpy(sv->spare, spare, sizeof(sv->spare));
	memcpy(sv->other, other, sizeof(sv->other));
}

static void restore(const struct saved *sv)
{
	if (decoy && hk_ss_of(decoy) == hk_ss_of(blk[0]))
		*decoy = spare_desc;
	decoy = NULL;
	if (true_nbump)
		slab_of(blk[0])->nbump = true_nbump;
	true_nbump = 0;
	*entry() = sv->e;
	wheap->rb_mask = sv->mask;
	for (int i = 0; i < FEW; i++)
		memcpy(blk[i], sv->blk[i], sizeof(sv->blk[i]));
	memcpy(spare, sv->spare, sizeof(sv->spare));
	memcpy(other, sv->other, sizeof(sv->other));
}

static int make_fake(void)
{
	char *m = mmap(NULL, 2 * HK_SS_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (m == MAP_FAILED)
		return 0;
	fake_ss = hk_ss_of(m + HK_SS_MASK);
	return 1;
}

static void run(int (*fn)(void *), const char *what)
{
	struct hk_child c;
	int rc = hk_child(fn, NULL, 10, &c);

	tap_ok(rc == 0 && c.sig == 0 && c.code == 0, "%s (exit %d, sig %d%s%s)",
	       what, c.code, c.sig, c.line[0] ? ": " : "", c.line);
}

int main(void)
{
	struct hk_rbatch *e, *ez;
	pthread_t w, z;
	struct saved sv;

	tap_plan(3 + (int)(sizeof(torn) / sizeof(torn[0])));
	if (pipe(park_fd))
		return 1;
	for (int i = 0; i < FEW; i++)
		blk[i] = hk_malloc(SIZE);
	spare = hk_malloc(SIZE);
	other = hk_malloc(4 * SIZE);
	pthread_create(&z, NULL, z_main, NULL);
	while (!__atomic_load_n(&zready, __ATOMIC_ACQUIRE))
		usleep(1000);
	pthread_create(&w, NULL, w_main, NULL);
	while (!__atomic_load_n(&wready, __ATOMIC_ACQUIRE))
		usleep(1000);

	e = entry();
	ez = hk_rb_at(wheap, zblk[0]);
	if (!make_fake())
		return 1;
	if (!tap_ok(e != ez && e->n == FEW && ez->n == FEW &&
		    slab_of(spare) == slab_of(blk[0]) &&
		    slab_of(other) != slab_of(blk[0]) && remote_count(blk[0]) == 0 &&
		    hk_ss_of(blk[0])->free_mask != 0,
		    "the parked thread holds a batch of %d blocks for this heap "
		    "and one for another parked thread's", FEW))
		return tap_done();

	run(child_back, "fork child: the stopped thread's batches go to their "
	    "slabs, which give the blocks back");
	save(&sv);
	keyed_not_head();
	run(child_back, "a free stopped before its block joined the batch: "
	    "the batch goes over without it");
	restore(&sv);
	for (size_t i = 0; i < sizeof(torn) / sizeof(torn[0]); i++) {
		torn[i].make();
		run(child_forgot, torn[i].what);
		restore(&sv);
	}

	if (write(park_fd[1], "xx", 2) != 2)
		return 1;
	pthread_join(w, NULL);
	pthread_join(z, NULL);
	return tap_done();
}
