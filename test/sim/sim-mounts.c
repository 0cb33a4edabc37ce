/* sim-mounts.c: the files a simulated kernel shows under /proc and /sys.
 *
 * Everything happens in a private mount namespace (/ made rprivate, so
 * nothing leaks to the host).  A faked file is written to a staging
 * tmpfs, bind-mounted read-only over the real one, and the staging mount
 * is detached, so only the binds keep it alive.  A directory that must be
 * absent (transparent_hugepage, hugepages) is hidden by a tmpfs over its
 * parent, /sys/kernel/mm, with every other entry of the parent bound back
 * from an O_PATH descriptor taken before the tmpfs covered it: stat(2)
 * of the hidden one gives ENOENT, the rest read as before.
 *
 * Without privilege the namespace is entered inside a new user namespace
 * (the caller mapped to root), which is enough for these mounts but not
 * for writing vm.nr_hugepages.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test/sim/sim.h"

#define HK_SIM_MM "/sys/kernel/mm"
#define HK_SIM_THP HK_SIM_MM "/transparent_hugepage"
#define HK_SIM_TEXT_MAX 16384
#define HK_SIM_KEEP_MAX 64
#define HK_SIM_LINE_MAX 512	/* /proc/version, osrelease */

static char hk_stage[] = "/tmp/hk-simkernel.XXXXXX";
static int hk_nstaged;

static int hk_fail(const char *what, const char *path)
{
	fprintf(stderr, "hk-simkernel: %s %s: %s\n", what, path, strerror(errno));
	return -1;
}

static int hk_write_file(const char *path, const char *text, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0444);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

/* The whole of a small /proc or /sys file, NUL-terminated; its length. */
static ssize_t hk_read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return hk_fail("cannot read", path);
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

static int hk_enter_namespace(void)
{
	char map[64];
	uid_t uid = getuid();
	gid_t gid = getgid();

	if (unshare(CLONE_NEWNS) == 0)
		return 0;
	if (errno != EPERM || unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0)
		return hk_fail("cannot unshare", "the mount namespace");
	/* setgroups is absent before 3.19; the maps then need no deny. */
	hk_write_file("/proc/self/setgroups", "deny", 4);
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)uid);
	if (hk_write_file("/proc/self/uid_map", map, strlen(map)) != 0)
		return hk_fail("cannot write", "/proc/self/uid_map");
	snprintf(map, sizeof(map), "0 %u 1", (unsigned)gid);
	if (hk_write_file("/proc/self/gid_map", map, strlen(map)) != 0)
		return hk_fail("cannot write", "/proc/self/gid_map");
	return 0;
}

/* TEXT replaces TARGET, read-only, for this namespace. */
static int hk_fake_file(const char *target, const char *text)
{
	char src[sizeof(hk_stage) + 16];

	snprintf(src, sizeof(src), "%s/%d", hk_stage, hk_nstaged++);
	if (hk_write_file(src, text, strlen(text)) != 0)
		return hk_fail("cannot stage", target);
	if (mount(src, target, NULL, MS_BIND, NULL) != 0)
		return hk_fail("cannot bind over", target);
	mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL);
	return 0;
}

/* Keeps the lines of TEXT that start with none of DROP (NULL-ended). */
static void hk_drop_lines(char *text, const char *const *drop)
{
	char *in = text, *out = text;

	while (*in) {
		size_t n = strcspn(in, "\n") + (in[strcspn(in, "\n")] == '\n');
		int keep = 1;

		for (const char *const *d = drop; *d; d++)
			keep &= strncmp(in, *d, strlen(*d)) != 0;
		if (keep) {
			memmove(out, in, n);
			out += n;
		}
		in += n;
	}
	*out = '\0';
}

/* "always [madvise] never" -> "always madvise [never]" for WORD never.
 * -1 when the file does not offer WORD. */
static int hk_bracket(char *text, const char *word)
{
	char out[HK_SIM_TEXT_MAX], *tok, *save = NULL;
	size_t len = 0;
	int found = 0;

	for (tok = strtok_r(text, " []\n", &save); tok; tok = strtok_r(NULL, " []\n", &save)) {
		int hit = strcmp(tok, word) == 0;

		found |= hit;
		len += (size_t)snprintf(out + len, sizeof(out) - len, hit ? "%s[%s]" : "%s%s",
					len ? " " : "", tok);
		if (len >= sizeof(out) - 1)
			return -1;
	}
	memcpy(text, out, len);
	memcpy(text + len, "\n", 2);
	return found ? 0 : -1;
}

static int hk_fake_mode(const char *path, const char *word)
{
	char text[HK_SIM_TEXT_MAX];

	if (hk_read_file(path, text, sizeof(text)) < 0)
		return -1;
	if (hk_bracket(text, word) != 0) {
		fprintf(stderr, "hk-simkernel: %s offers no mode \"%s\"\n", path, word);
		return -1;
	}
	return hk_fake_file(path, text);
}

/* /proc/version with its third word, the release, replaced. */
static int hk_fake_release(const char *rel)
{
	char text[HK_SIM_LINE_MAX], out[3 * HK_SIM_LINE_MAX], *p = text;

	if (hk_read_file("/proc/version", text, sizeof(text)) < 0)
		return -1;
	for (int i = 0; i < 2 && p; i++)
		p = strchr(p + (i > 0), ' ');
	if (!p) {
		snprintf(out, sizeof(out), "Linux version %s\n", rel);
	} else {
		*p = '\0';
		p += 1 + strcspn(p + 1, " \n");
		snprintf(out, sizeof(out), "%s %s%s", text, rel, p);
	}
	snprintf(text, sizeof(text), "%s\n", rel);
	if (hk_fake_file("/proc/sys/kernel/osrelease", text) != 0)
		return -1;
	return hk_fake_file("/proc/version", out);
}

static int hk_fake_no_hugetlbfs(void)
{
	static const char *const meminfo[] = { "HugePages_", "Hugepagesize:", "Hugetlb:", NULL };
	static const char *const fs[] = { "nodev\thugetlbfs", NULL };
	char text[HK_SIM_TEXT_MAX];

	if (hk_read_file("/proc/meminfo", text, sizeof(text)) < 0)
		return -1;
	hk_drop_lines(text, meminfo);
	if (hk_fake_file("/proc/meminfo", text) != 0)
		return -1;
	if (hk_read_file("/proc/filesystems", text, sizeof(text)) < 0)
		return -1;
	hk_drop_lines(text, fs);
	return hk_fake_file("/proc/filesystems", text);
}

struct hk_keep {
	char name[256];
	int fd;		/* O_PATH, taken before the tmpfs covers it */
	int dir;
};

static int hk_hidden(const char *name, const char *const *hide)
{
	for (; *hide; hide++)
		if (strcmp(name, *hide) == 0)
			return 1;
	return 0;
}

/* The entries of DIR that stay visible, opened O_PATH; their count. */
static int hk_collect(const char *dir, const char *const *hide, struct hk_keep *keep)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return hk_fail("cannot list", dir);
	while ((e = readdir(d)) && n < HK_SIM_KEEP_MAX) {
		struct stat st;

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 ||
		    hk_hidden(e->d_name, hide) || strlen(e->d_name) >= sizeof(keep->name))
			continue;
		keep[n].fd = openat(dirfd(d), e->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (keep[n].fd < 0 || fstat(keep[n].fd, &st) != 0)
			continue;
		snprintf(keep[n].name, sizeof(keep->name), "%s", e->d_name);
		keep[n++].dir = S_ISDIR(st.st_mode);
	}
	closedir(d);
	return n;
}

/* Covers DIR with a tmpfs holding only the entries not in HIDE. */
static int hk_hide(const char *dir, const char *const *hide)
{
	struct hk_keep keep[HK_SIM_KEEP_MAX];
	int n = hk_collect(dir, hide, keep), rc = 0;

	if (n < 0)
		return -1;
	if (mount("hk-simkernel", dir, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "mode=0755,size=64k") != 0) {
		rc = hk_fail("cannot mount a tmpfs over", dir);
		n = 0;
	}
	for (int i = 0; i < n; i++) {
		char path[PATH_MAX], src[64];

		if (snprintf(path, sizeof(path), "%s/%s", dir, keep[i].name) >= (int)sizeof(path))
			continue;
		snprintf(src, sizeof(src), "/proc/self/fd/%d", keep[i].fd);
		if (keep[i].dir ? mkdir(path, 0755) : hk_write_file(path, "", 0))
			rc = hk_fail("cannot create", path);
		else if (mount(src, path, NULL, MS_BIND | MS_REC, NULL) != 0)
			rc = hk_fail("cannot bind back", path);
	}
	for (int i = 0; i < n; i++)
		close(keep[i].fd);
	if (rc == 0)
		mount(NULL, dir, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
	return rc;
}

static int hk_hide_mm(const struct hk_sim *sim)
{
	const char *hide[3];
	int n = 0;

	if (sim->thp && strcmp(sim->thp, "absent") == 0)
		hide[n++] = "transparent_hugepage";
	if (sim->no_hugetlbfs || sim->hugepages_absent)
		hide[n++] = "hugepages";
	hide[n] = NULL;
	return n ? hk_hide(HK_SIM_MM, hide) : 0;
}

static int hk_fake_files(const struct hk_sim *sim)
{
	if (sim->osrelease && hk_fake_release(sim->osrelease) != 0)
		return -1;
	if (sim->thp && strcmp(sim->thp, "absent") != 0 &&
	    hk_fake_mode(HK_SIM_THP "/enabled", sim->thp) != 0)
		return -1;
	if (sim->thp_defrag && hk_fake_mode(HK_SIM_THP "/defrag", sim->thp_defrag) != 0)
		return -1;
	if (sim->no_hugetlbfs && hk_fake_no_hugetlbfs() != 0)
		return -1;
	return 0;
}

int hk_sim_mounts(const struct hk_sim *sim)
{
	int rc;

	if (hk_enter_namespace() != 0)
		return -1;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
		return hk_fail("cannot make private", "/");
	if (hk_hide_mm(sim) != 0)
		return -1;
	if (!mkdtemp(hk_stage))
		return hk_fail("cannot create", hk_stage);
	rc = mount("hk-simkernel", hk_stage, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		   "mode=0700,size=1m");
	if (rc != 0)
		hk_fail("cannot mount a tmpfs on", hk_stage);
	else
		rc = hk_fake_files(sim);
	if (umount2(hk_stage, MNT_DETACH) != 0 && errno != EINVAL)
		hk_fail("cannot detach", hk_stage);
	rmdir(hk_stage);
	return rc;
}
