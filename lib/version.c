/* version.c: what the loaded library is and which backend it uses. */
#include "hakmem.h"
#include "internal.h"
#include "os.h"

HK_EXPORT const char *hk_version(void)
{
	return PACKAGE_VERSION;
}

HK_EXPORT const char *hk_backend(void)
{
	return hk_os_current()->name;
}
