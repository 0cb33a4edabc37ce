/* init.c: bringing the allocator up once per process, the thread-exit
 * hook and the fork handlers.
 *
 * malloc may run before any constructor, from inside the dynamic loader
 * and from several threads at once.  Everything init does before the
 * allocator is marked ready allocates nothing (the probe, the options,
 * the secret, pthread_key_create); pthread_atfork, which does allocate in
 * glibc, runs last, and its malloc finds a working allocator instead of
 * recursing into init.  The once flag (once.h) survives a fork that
 * lands in the middle of init, and a thread that leaves init without
 * finishing it (a signal handler's longjmp): init may run again, so
 * each of its steps bears a second run.  The fork handlers are
 * registered at load if no malloc came first (hk_atfork_at_load).
 */
#include <errno.h>
#include <pthread.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/glibc.h"
#include "lib/internal.h"
#include "lib/lock.h"
#include "lib/msg.h"
#include "lib/once.h"
#include "lib/options.h"
#include "lib/os.h"

int hk_init_state;
static pthread_key_t hk_thread_key;
static int hk_thread_key_ok;	/* hk_thread_key is ours (release/acquire) */
static int hk_atfork_registered;
/* Set while this thread finishes init; its own mallocs go through. */
static __thread int hk_init_self __attribute__((tls_model("initial-exec")));

static void hk_thread_exit(void *arg)
{
	hk_heap_abandon(arg);
	hk_tls_heap = &hk_heap_empty;
	hk_heap_sync_hot();
}

/* glibc's hook behind C++ thread_local destructors: fn(obj) runs when
 * the thread exits (and, for the main thread, at exit), before the
 * destructors of pthread keys; it allocates its record with calloc. */
extern int __cxa_thread_atexit_impl(void (*fn)(void *), void *obj, void *dso);
extern char __dso_handle[] __attribute__((visibility("hidden")));

/* Without a key of ours (a program that used all PTHREAD_KEYS_MAX
 * before our first malloc), the thread's exit still gives its heap
 * back, through the hook above; no other key is ever written. */
void hk_init_thread(struct hk_heap *h)
{
	if (__atomic_load_n(&hk_thread_key_ok, __ATOMIC_ACQUIRE))
		pthread_setspecific(hk_thread_key, h);
	else
		__cxa_thread_atexit_impl(hk_thread_exit, h, __dso_handle);
}

/* Every mutex of the allocator, in the order its sections nest (heap
 * and abandoned list, large cache, segment map, meta, OS layer); then
 * this thread owns them all and the program's handlers that run before
 * the parent or child handler allocate without taking them (lock.h). */
static void hk_fork_prepare(void)
{
	hk_heap_fork_prepare();
	hk_large_fork_prepare();
	hk_segmap_fork_prepare();
	hk_meta_fork_prepare();
	hk_os_fork_prepare();
	hk_fork_holder = 1;
}

static void hk_fork_parent(void)
{
	hk_fork_holder = 0;
	hk_os_fork_parent();
	hk_meta_fork_parent();
	hk_segmap_fork_parent();
	hk_large_fork_parent();
	hk_heap_fork_parent();
}

static void hk_fork_child(void)
{
	hk_fork_holder = 0;
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

/* Flagged first: registered twice, the prepare handlers would take the
 * mutexes twice. */
static void hk_atfork_register(void)
{
	if (!__atomic_exchange_n(&hk_atfork_registered, 1, __ATOMIC_ACQ_REL))
		pthread_atfork(hk_fork_prepare, hk_fork_parent, hk_fork_child);
}

/* The OS layer's reclaim hook (hk_os_reclaim).  A superslab's
 * reservation that failed takes back the large blocks' cache only: it
 * may run in the middle of a heap's refill, where trimming that heap
 * would change its lists under the caller.  A large block's map runs
 * outside every heap and gives everything back. */
static size_t hk_trim_reclaim(enum hk_reclaim how)
{
	return how == HK_RECLAIM_ALL ? hk_heap_trim_all() : hk_large_trim(true);
}

static void hk_init_once(void)
{
	int saved = errno;
	const struct hk_options *o;

	/* libhakmem.so starts the OS layer (the kernel probe) when it is
	 * loaded, right after this (load.c); the pieces linked into tests
	 * start it at their first chunk past the lazy ones.
	 * HAKMEM_VERBOSE asks to see the decision, so it starts now. */
	o = hk_options();
	/* Off for this process: decided here, before any block exists
	 * (glibc.h); nothing else of hakmem starts. */
	if (!o->enabled) {
		if (hk_glibc_start()) {
			hk_verbose("HAKMEM_ENABLED=0: glibc's malloc serves this process");
			hk_once_done(&hk_init_state);
			errno = saved;
			return;
		}
		hk_msg("ignoring HAKMEM_ENABLED=0: glibc's malloc not found in libc.so.6");
	}
	if (o->verbose)
		hk_os_init();
	hk_purge_delay = o->purge_delay_ms > 0 ? (uint64_t)o->purge_delay_ms : 0;
	/* Run again (once.h) after blocks may exist: the secret stays. */
	{
		uintptr_t none = 0;

		__atomic_compare_exchange_n(&hk_secret, &none, hk_make_secret(), false,
					    __ATOMIC_RELAXED, __ATOMIC_RELAXED);
	}
	hk_free_key = hk_secret * 0x9e3779b97f4a7c15ull | 1;
	/* Maps that fail for want of address space give back what the
	 * allocator keeps first (RLIMIT_AS, overcommit=2). */
	__atomic_store_n(&hk_os_reclaim, hk_trim_reclaim, __ATOMIC_RELEASE);
	__atomic_store_n(&hk_os_tight, hk_purge_tight, __ATOMIC_RELEASE);
	if (!__atomic_load_n(&hk_thread_key_ok, __ATOMIC_ACQUIRE) &&
	    pthread_key_create(&hk_thread_key, hk_thread_exit) == 0)
		__atomic_store_n(&hk_thread_key_ok, 1, __ATOMIC_RELEASE);
	hk_stats_init();
	/* pthread_atfork allocates in glibc: its malloc re-enters here and
	 * must go through (hk_init_self), since everything it needs is set
	 * up.  Registering before the flag reads done leaves no window in
	 * which another thread's fork copies held locks without handlers.  A
	 * fork child that takes an unfinished init over (once.h) inherited
	 * the handlers if the parent had registered them. */
	hk_init_self = 1;
	hk_atfork_register();
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

/* The fork handlers are registered when the library is loaded, if no
 * malloc did it before (a program linked to hakmem, or one that loads
 * it with dlopen), not at the first malloc: glibc then runs ours before
 * the program's own in the child (hakmem usable from them at once) and
 * after them in prepare (hakmem's mutexes taken last).  A handler
 * registered earlier still allocates (lock.h).  And a first malloc
 * inside a prepare handler would register them from inside fork, where
 * glibc holds the lock that pthread_atfork takes.  In libhakmem.so the
 * rest of init runs at load as well (load.c); where the allocator is
 * linked in pieces it waits for the first malloc.  If pthread_atfork
 * allocates, its malloc brings hakmem up, which finds the handlers
 * registered. */
__attribute__((constructor)) static void hk_atfork_at_load(void)
{
	hk_atfork_register();
}
