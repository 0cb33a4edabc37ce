/* purge.c: when memory that is free goes back to the OS.
 *
 * Free slices and cached large mappings are handed back once they have
 * stayed unused for HAKMEM_PURGE_DELAY_MS, so that a program that frees
 * and allocates again soon does not fault the same pages in twice.  The
 * check runs on slow paths only (no background thread): the coarse
 * monotonic clock is a vDSO read (hk_now_ms, os-sys.c).
 */
#include "lib/internal.h"
#include "lib/os.h"

uint64_t hk_purge_delay = 100;

bool hk_purge_due(uint64_t since, uint64_t now)
{
	return now - since >= hk_purge_delay;
}
