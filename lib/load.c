/* load.c: bringing hakmem up when libhakmem.so is loaded, before main().
 *
 * Programs lock themselves into seccomp filters that kill on any system
 * call glibc's malloc would not make (OpenSSH's pre-authentication
 * child, browsers' content processes, Tor; systemd's SystemCallFilter=
 * applies one before exec).  Starting lazily, at the first chunk past
 * 4 MiB or the first purge, the kernel probe (uname, openat on /proc and
 * /sys, capget...) and the once flags' getpid could come after such a
 * filter went up, and the process was killed with SIGSYS.  So both run
 * here, in the loader's call of the library's constructors: before
 * main(), and before the constructors of the program and of the
 * libraries loaded after this one; a fork child inherits the result.
 * The probe itself stays within systemd's @system-service set (probe/
 * caps.h HK_PROBE_LEAN), for programs that start already filtered.
 * doc/SYSCALLS.md lists what the library may call afterwards.
 *
 * Only libhakmem.so has this file: the unit tests that link the
 * allocator's pieces start the layer when and how they choose.
 */
#include "lib/glibc.h"
#include "lib/internal.h"
#include "lib/os.h"

__attribute__((constructor)) static void hk_load(void)
{
	hk_init();
	if (!hk_glibc_now())	/* no probe where glibc's malloc serves */
		hk_os_init();
}
