/* test-uaf.c: a write into a freed block must not steer a later malloc
 * to an address of the writer's choosing.  hakmem stores the next
 * pointer of a free block encoded with a per-process secret (lib/slab.c)
 * and checks each decoded pointer, so a raw address written there, or
 * one encoded without the secret (as glibc's safe-linking would), comes
 * out of malloc as neither: the process aborts ("corrupted free list")
 * or the address never comes back.  Each case runs in a child
 * (child.h).  Built plain (glibc), -hk and under LD_PRELOAD.
 */
#include "test/api/alloc-api.h"
#include "test/badinput/child.h"

enum { BLOCK = 64, TRIES = 4 };

static char target_static[256] __attribute__((aligned(64)));

struct hk_uaf {
	const char *what;
	void *(*target)(void *victim);
	bool safe_link;		/* store target ^ (slot >> 12), glibc's way */
};

static void *t_static(void *victim)
{
	(void)victim;
	return target_static + 64;
}

static void *t_stack(void *victim)
{
	volatile char here[64];

	(void)victim;
	return (void *)(((uintptr_t)here + 63) & ~(uintptr_t)63);
}

/* A live block of the same size: steering there makes two owners. */
static void *t_live(void *victim)
{
	(void)victim;
	return ta.malloc(BLOCK);
}

/* A neighbour of the victim, inside the same slab. */
static void *t_near(void *victim)
{
	return (char *)victim + 4 * BLOCK;
}

static const struct hk_uaf hk_uafs[] = {
	{ "a static buffer", t_static, false },
	{ "a stack address", t_stack, false },
	{ "a live block of the same size", t_live, false },
	{ "a block in the same slab", t_near, false },
	{ "a static buffer, encoded without the secret", t_static, true },
	{ "a block in the same slab, encoded without the secret", t_near, true },
};

/* Exits 3 when malloc returned the chosen address, 0 when it never did. */
static int steer(void *arg)
{
	const struct hk_uaf *u = arg;
	void *keep[8], *victim, *want;

	for (int i = 0; i < 8; i++)	/* neighbours, so the slab has a list */
		keep[i] = ta.malloc(BLOCK);
	victim = ta.malloc(BLOCK);
	want = u->target(victim);
	ta.free(keep[3]);
	ta.free(victim);	/* victim heads the list, keep[3] next */
	*(uintptr_t *)victim = (uintptr_t)want ^
		(u->safe_link ? (uintptr_t)victim >> 12 : 0);
	for (int i = 0; i < TRIES; i++)
		if (ta.malloc(BLOCK) == want)
			return 3;
	return 0;
}

int main(void)
{
	size_t n = sizeof(hk_uafs) / sizeof(hk_uafs[0]);

	ta_start();
	tap_plan((int)n);
	for (size_t i = 0; i < n; i++) {
		struct hk_child r;

		hk_child(steer, (void *)&hk_uafs[i], 10, &r);
		ok_unless_glibc((r.sig == SIGABRT && (!ta.is_hakmem || strstr(r.line, "corrupted"))) ||
		       (r.sig == 0 && r.code == 0),
		       hk_uafs[i].safe_link ? "glibc's safe-linking has no secret" : "glibc takes it",
		       "a freed block's next pointer overwritten with %s: malloc never returns it (signal %d, exit %d, '%s')",
		       hk_uafs[i].what, r.sig, r.code, r.line);
	}
	return tap_done();
}
