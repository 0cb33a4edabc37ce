/* init.c: bringing the allocator up once per process, the thread-exit
 * hook and the fork handlers.
 *
 * malloc may run before any constructor, from inside the dynamic loader
 * and from several threads at once.  Everything init does before the
 * allocator is marked ready allocates nothing (the probe, the options,
 * the secret, pthread_key_create); pthread_atfork, which does allocate in
 * glibc, runs after, so its malloc finds a working allocator instead of
 * recursing into init.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"
#include "options.h"
#include "os.h"

int hk_init_state;
static pthread_key_t hk_thread_key;

static void hk_thread_exit(void *arg)
{
	hk_heap_abandon(arg);
	hk_tls_heap = &hk_heap_empty;
}

void hk_init_thread(struct hk_heap *h)
{
	pthread_setspecific(hk_thread_key, h);
}

static void hk_fork_prepare(void)
{
	hk_heap_fork_prepare();
	hk_large_fork_prepare();
	hk_meta_fork_prepare();
	hk_os_fork_prepare();
}

static void hk_fork_parent(void)
{
	hk_os_fork_parent();
	hk_meta_fork_parent();
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

	hk_os_init();
	o = hk_options();
	hk_purge_delay = o->purge_delay_ms > 0 ? (uint64_t)o->purge_delay_ms : 0;
	hk_secret = hk_make_secret();
	hk_free_key = hk_secret * 0x9e3779b97f4a7c15ull | 1;
	pthread_key_create(&hk_thread_key, hk_thread_exit);
	hk_stats_init();
	__atomic_store_n(&hk_init_state, 2, __ATOMIC_RELEASE);
	pthread_atfork(hk_fork_prepare, hk_fork_parent, hk_fork_child);
	errno = saved;
}

void hk_init(void)
{
	int st = __atomic_load_n(&hk_init_state, __ATOMIC_ACQUIRE);

	if (HK_LIKELY(st == 2))
		return;
	st = 0;
	if (__atomic_compare_exchange_n(&hk_init_state, &st, 1, false,
					__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		hk_init_once();
		return;
	}
	while (__atomic_load_n(&hk_init_state, __ATOMIC_ACQUIRE) != 2)
		sched_yield();
}
