/* init.c: bringing the allocator up once per process, the thread-exit
 * hook and the fork handlers.
 *
 * malloc may run before any constructor, from inside the dynamic loader
 * and from several threads at once.  Everything init does before the
 * allocator is marked ready allocates nothing (the probe, the options,
 * the secret, pthread_key_create); pthread_atfork, which does allocate in
 * glibc, runs last, and its malloc finds a working allocator instead of
 * recursing into init.  The once flag (once.h) survives a fork that
 * lands in the middle of init.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "once.h"
#include "options.h"
#include "os.h"

int hk_init_state;
static pthread_key_t hk_thread_key;
static int hk_atfork_registered;
/* Set while this thread finishes init; its own mallocs go through. */
static __thread int hk_init_self __attribute__((tls_model("initial-exec")));

static void hk_thread_exit(void *arg)
{
	hk_heap_abandon(arg);
	hk_tls_heap = &hk_heap_empty;
	hk_heap_sync_hot();
}

void hk_init_thread(struct hk_heap *h)
{
	pthread_setspecific(hk_thread_key, h);
}

static void hk_fork_prepare(void)
{
	hk_heap_fork_prepare();
	hk_large_fork_prepare();
	hk_segmap_fork_prepare();
	hk_meta_fork_prepare();
	hk_os_fork_prepare();
}

static void hk_fork_parent(void)
{
	hk_os_fork_parent();
	hk_meta_fork_parent();
	hk_segmap_fork_parent();
	hk_large_fork_parent();
	hk_heap_fork_parent();
}

static void hk_fork_child(void)
{
	hk_os_fork_child();
	hk_meta_fork_child();
	hk_large_fork_child();
	hk_segmap_fork_child();
	hk_heap_fork_child();
}

/* From getrandom, else AT_RANDOM's second half (glibc uses the first for
 * the stack guard), mixed with an address so it is never 0. */
static uintptr_t hk_make_secret(void)
{
	uintptr_t v = 0;
	const unsigned char *r;

	if (syscall(SYS_getrandom, &v, sizeof(v), 1 /* GRND_NONBLOCK */) != sizeof(v)) {
		r = (const unsigned char *)getauxval(AT_RANDOM);
		for (unsigned i = 0; r && i < sizeof(v); i++)
			v = v << 8 | r[8 + i];
	}
	return v ^ ((uintptr_t)&v << 7) ^ 0x9e3779b97f4a7c15ull;
}

static void hk_init_once(void)
{
	int saved = errno;
	const struct hk_options *o;

	/* The OS layer starts (probes the kernel) at its first chunk past
	 * the lazy ones, not here: a small program never pays for it.
	 * HAKMEM_VERBOSE asks to see the decision, so it starts now. */
	o = hk_options();
	if (o->verbose)
		hk_os_init();
	hk_purge_delay = o->purge_delay_ms > 0 ? (uint64_t)o->purge_delay_ms : 0;
	hk_secret = hk_make_secret();
	hk_free_key = hk_secret * 0x9e3779b97f4a7c15ull | 1;
	pthread_key_create(&hk_thread_key, hk_thread_exit);
	hk_stats_init();
	/* pthread_atfork allocates in glibc: its malloc re-enters here and
	 * must go through (hk_init_self), since everything it needs is set
	 * up.  Registering before the flag reads done leaves no window in
	 * which another thread's fork copies held locks without handlers.  A
	 * fork child that takes an unfinished init over (once.h) inherited
	 * the handlers if the parent had registered them. */
	hk_init_self = 1;
	if (!hk_atfork_registered) {
		pthread_atfork(hk_fork_prepare, hk_fork_parent, hk_fork_child);
		hk_atfork_registered = 1;
	}
	hk_init_self = 0;
	hk_once_done(&hk_init_state);
	errno = saved;
}

void hk_init(void)
{
	if (HK_LIKELY(__atomic_load_n(&hk_init_state, __ATOMIC_ACQUIRE) == HK_ONCE_DONE))
		return;
	if (hk_init_self)
		return;
	if (hk_once_claim(&hk_init_state))
		hk_init_once();
}
