/* uname.c: the kernel release, as text and as numbers.
 *
 * The numbers are for logging and hk-probe only: features are decided by
 * trials (madv.c), because distributions backport (RHEL 8's 4.18 has
 * pieces of 5.x).  The UNAME26 personality makes uname(2) lie
 * ("2.6.(60+minor)", the major lost) for old programs; the true release is
 * still in /proc/sys/kernel/osrelease, which the personality does not touch
 * (kernel/sys.c override_release).
 */
#include <string.h>
#include <sys/personality.h>
#include <sys/utsname.h>

#include "probe/readers.h"
#include "probe/sysfile.h"

#ifndef UNAME26
#define UNAME26 0x0020000
#endif

static const char *hk_uname_num(const char *s, int *out)
{
	int v = 0;

	if (*s < '0' || *s > '9')
		return NULL;
	for (; *s >= '0' && *s <= '9'; s++)
		v = v > 100000 ? v : v * 10 + (*s - '0');
	*out = v;
	return s;
}

int hk_uname_parse(const char *release, int *major, int *minor, int *patch)
{
	const char *s = hk_uname_num(release, major);

	*minor = *patch = 0;
	if (!s || *s != '.' || !(s = hk_uname_num(s + 1, minor))) {
		*major = *minor = 0;
		return -1;
	}
	/* "6.1" and "5.14-rc1" have no patch level: it stays 0. */
	if (*s == '.')
		hk_uname_num(s + 1, patch);
	return 0;
}

/* Copies the first line of src into dst (size HK_RELEASE_MAX). */
static void hk_uname_copy(char *dst, const char *src)
{
	size_t n = strcspn(src, "\n");

	if (n >= HK_RELEASE_MAX)
		n = HK_RELEASE_MAX - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int hk_uname_personality(const char *root)
{
	char buf[32];
	uint64_t v = 0;

	if (!*root)
		return personality(0xffffffff) & UNAME26;
	if (hk_sysfile_read(root, "/proc/self/personality", buf, sizeof(buf)) < 0)
		return 0;
	return hk_parse_x64(buf, &v) && (v & UNAME26);
}

static void hk_uname_read(struct hk_caps *caps, const char *root)
{
	char buf[HK_RELEASE_MAX + 1];
	struct utsname u;

	if (!*root) {
		if (uname(&u) == 0) {
			hk_uname_copy(caps->release, u.release);
			hk_uname_copy(caps->machine, u.machine);
			caps->release_src = HK_SRC_SYSCALL;
		}
		return;
	}
	if (hk_sysfile_read(root, "/uname-m", buf, sizeof(buf)) >= 0)
		hk_uname_copy(caps->machine, buf);
	if (hk_sysfile_read(root, "/uname-r", buf, sizeof(buf)) >= 0) {
		caps->release_src = HK_SRC_SYSCALL;
	} else if (hk_sysfile_read(root, "/proc/sys/kernel/osrelease", buf,
				   sizeof(buf)) >= 0) {
		caps->release_src = HK_SRC_PROCFS;
	} else {
		return;
	}
	hk_uname_copy(caps->release, buf);
}

/* Under UNAME26 the reported release is 2.6.(60+minor): recover the real
 * numbers from osrelease, or at least the minor. */
static void hk_uname_unmask(struct hk_caps *caps, const char *root)
{
	char buf[HK_RELEASE_MAX + 1];

	caps->uname26 = 1;
	if (hk_sysfile_read(root, "/proc/sys/kernel/osrelease", buf,
			    sizeof(buf)) >= 0 &&
	    hk_uname_parse(buf, &caps->kmajor, &caps->kminor,
			   &caps->kpatch) == 0)
		return;
	caps->kminor = caps->kpatch >= 60 ? caps->kpatch - 60 : 0;
	caps->kmajor = caps->kpatch = 0;
}

void hk_probe_uname(struct hk_caps *caps, const char *root)
{
	hk_uname_read(caps, root);
	hk_uname_parse(caps->release, &caps->kmajor, &caps->kminor,
		       &caps->kpatch);
	if (caps->release_src != HK_SRC_NONE && hk_uname_personality(root))
		hk_uname_unmask(caps, root);
}
