/* old-mremap.h: the program's own mremap, standing in for a kernel
 * before 6.17 (Debian 12's 6.1, test/vm) while hk_old_mremap is set:
 * a move with MREMAP_FIXED of a range of several kernel mappings (VMAs)
 * unmaps the destination first and only then fails with EFAULT
 * (doc/ADDRESS-SPACE.md, "Moving pages").  In the hole such a refusal
 * leaves, it maps a region of its own filled with a pattern, as another
 * thread's mmap may (in test/vm, test-oom's threads at the cut
 * RLIMIT_AS did: the hole was the only address space free); a move
 * tried again there replaces that region's pages, which
 * hk_old_mremap_damage() counts.  The VMAs are found in /proc/self/maps,
 * not by the library's own check, and every other call goes to the
 * kernel, so the moves are real.  Include it in one file of a program:
 * it defines mremap. */
#ifndef HK_TEST_OLD_MREMAP_H
#define HK_TEST_OLD_MREMAP_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HK_OLD_OTHERS 0x5a	/* the pattern of the region in the hole */

#define HK_OLD_HOLES 64

static int hk_old_mremap;	/* the stand-in acts while set */
/* The regions mapped in the holes, the first HK_OLD_HOLES. */
static struct { char *p; size_t len; } hk_old_intruder[HK_OLD_HOLES];
static int hk_old_refusals;	/* moves refused after unmapping dst */

/* Is [p, p+len) inside one line of /proc/self/maps?  read(2) into a
 * static buffer: the stand-in runs inside the library's moves. */
static int hk_one_vma(const void *p, size_t len)
{
	static char buf[1 << 16];
	size_t n = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 1;
	while (n < sizeof(buf) - 1 && (r = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = 0;
	for (char *l = buf; l && *l; l = strchr(l, '\n'), l = l ? l + 1 : NULL) {
		char *dash;
		uintptr_t lo = strtoull(l, &dash, 16), hi = strtoull(dash + 1, NULL, 16);

		if (lo <= (uintptr_t)p && (uintptr_t)p + len <= hi)
			return 1;
	}
	return 0;
}

void *mremap(void *old, size_t old_len, size_t new_len, int flags, ...)
{
	void *new_addr = NULL;
	va_list ap;
	long r;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = va_arg(ap, void *);
		va_end(ap);
	}
	if (hk_old_mremap && (flags & MREMAP_FIXED) && !hk_one_vma(old, old_len)) {
		syscall(SYS_munmap, new_addr, new_len);
		if (hk_old_refusals < HK_OLD_HOLES) {
			char *q = mmap(new_addr, new_len, PROT_READ | PROT_WRITE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

			if (q == new_addr) {
				memset(q, HK_OLD_OTHERS, new_len);
				hk_old_intruder[hk_old_refusals].p = q;
				hk_old_intruder[hk_old_refusals].len = new_len;
			}
		}
		hk_old_refusals++;
		errno = EFAULT;
		return MAP_FAILED;
	}
	r = syscall(SYS_mremap, old, old_len, new_len, flags, new_addr);
	return r == -1 ? MAP_FAILED : (void *)r;
}

/* Pages of the regions in the holes that are unmapped or lost the
 * pattern: pages of another owner that a move replaced. */
static size_t hk_old_mremap_damage(void)
{
	unsigned char in;
	size_t n = 0;

	for (int h = 0; h < HK_OLD_HOLES; h++) {
		const unsigned char *p = (const unsigned char *)hk_old_intruder[h].p;

		for (size_t i = 0; p && i < hk_old_intruder[h].len; i += 4096)
			if (mincore((void *)(p + i), 4096, &in) != 0 ||
			    p[i] != HK_OLD_OTHERS || p[i + 4095] != HK_OLD_OTHERS)
				n++;
	}
	return n;
}

#endif
