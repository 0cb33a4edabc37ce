/* test-lcache-order: which cached mapping a large malloc takes.  Of
 * those that fit, the newest: the older ones of its size then age out
 * of the cache (and give their pages back) instead of taking turns and
 * all staying resident. */
#include "include/hakmem.h"
#include "lib/internal.h"
#include "test/tap.h"

#define SIZE ((size_t)512 << 10)

int main(void)
{
	void *a, *b, *c;

	tap_plan(1);
	hk_free(hk_malloc(1));	/* init first: it sets the delay */
	hk_purge_delay = 60000;	/* nothing leaves the cache meanwhile */
	a = hk_malloc(SIZE);
	b = hk_malloc(SIZE);
	hk_free(a);
	hk_free(b);
	c = hk_malloc(SIZE);
	tap_ok(a && b && c == b, "the mapping freed last is taken first (%p; freed %p then %p)",
	       c, a, b);
	hk_free(c);
	return tap_done();
}
