/* version.c: what the loaded library is and which backend it uses. */
#include "include/hakmem.h"
#include "lib/internal.h"
#include "lib/os.h"

HK_EXPORT const char *hk_version(void)
{
	return PACKAGE_VERSION;
}

HK_EXPORT const char *hk_backend(void)
{
	return hk_os_current()->name;
}
