/* sim-uname.c: uname(2) reports the simulated release.
 *
 * The child installs a seccomp filter that turns uname into a user
 * notification (SECCOMP_RET_USER_NOTIF, Linux 5.0) and hands the listener
 * to the launcher, which stays behind as the supervisor: for each call it
 * checks the caller is still the one that made it
 * (SECCOMP_IOCTL_NOTIF_ID_VALID, so a recycled pid is never written to),
 * writes a struct utsname into the caller with process_vm_writev and
 * answers 0.  The filter is inherited across fork and exec, so the whole
 * process tree under the command sees the one release.  A call costs
 * tens of microseconds instead of a fraction of one: nothing here is
 * timed.
 *
 * UNAME26 (the personality) would make the kernel rewrite the *real*
 * release; with a simulated one the supervisor applies the kernel's rule
 * itself (kernel/sys.c override_release: "2.6.(40+minor)" on 3.x,
 * "2.6.(60+minor)" since 4.0), for every caller, assuming none of them
 * drops the personality.  Only x86_64 calls are caught; other ABIs (i386
 * int 0x80) see the real release.
 */
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test/sim/sim.h"

void hk_sim_uname_release(const char *rel, int uname26, char *out, size_t size)
{
	unsigned major = 0, minor = 0;
	const char *rest = rel;
	int dots = 0;

	if (!uname26 || sscanf(rel, "%u.%u", &major, &minor) != 2 || major < 3) {
		snprintf(out, size, "%s", rel);
		return;
	}
	for (; *rest; rest++)
		if ((*rest == '.' && ++dots >= 3) || (*rest != '.' && (*rest < '0' || *rest > '9')))
			break;
	snprintf(out, size, "2.6.%u%s", minor + (major == 3 ? 40 : 60), rest);
}

#ifdef SECCOMP_RET_USER_NOTIF

#define HK_STMT(code, k) ((struct sock_filter)BPF_STMT((code), (k)))
#define HK_JUMP(code, k, jt, jf) ((struct sock_filter)BPF_JUMP((code), (k), (jt), (jf)))

int hk_sim_uname_filter(void)
{
	struct sock_filter prog[] = {
		HK_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		HK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 3),
		HK_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		HK_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uname, 0, 1),
		HK_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		HK_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog fprog = { sizeof(prog) / sizeof(prog[0]), prog };
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			  SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);

	/* Without CAP_SYS_ADMIN a filter needs no_new_privs. */
	if (fd < 0 && errno == EACCES && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0)
		fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			     SECCOMP_FILTER_FLAG_NEW_LISTENER, &fprog);
	if (fd < 0)
		fprintf(stderr, "hk-simkernel: cannot install the uname filter "
			"(SECCOMP_RET_USER_NOTIF needs Linux 5.0): %s\n", strerror(errno));
	return (int)fd;
}

static void hk_answer(int fd, const struct utsname *u)
{
	struct seccomp_notif req;
	struct seccomp_notif_resp resp;
	struct iovec local = { (void *)u, sizeof(*u) }, remote;

	memset(&req, 0, sizeof(req));
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
		return;		/* the caller died, or a signal */
	memset(&resp, 0, sizeof(resp));
	resp.id = req.id;
	if (req.data.nr != SYS_uname) {
		resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
	} else {
		if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &req.id) != 0)
			return;
		remote.iov_base = (void *)(uintptr_t)req.data.args[0];
		remote.iov_len = sizeof(*u);
		if (process_vm_writev((pid_t)req.pid, &local, 1, &remote, 1, 0) != (ssize_t)sizeof(*u))
			resp.error = -EFAULT;
	}
	ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

static int hk_exited(pid_t child)
{
	siginfo_t si;

	memset(&si, 0, sizeof(si));
	return waitid(P_PID, (id_t)child, &si, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       si.si_pid == child;
}

void hk_sim_uname_serve(int fd, pid_t child, const char *release)
{
	struct utsname u;
	struct pollfd pfd[2] = { { .fd = fd, .events = POLLIN } };
	int pidfd = (int)syscall(SYS_pidfd_open, child, 0);	/* 5.3; else poll */

	uname(&u);
	snprintf(u.release, sizeof(u.release), "%s", release);
	pfd[1].fd = pidfd;	/* poll skips it when negative */
	pfd[1].events = POLLIN;
	for (;;) {
		int n = poll(pfd, 2, pidfd >= 0 ? -1 : 20);

		if (n > 0 && (pfd[0].revents & POLLIN))
			hk_answer(fd, &u);
		else if (n > 0 && (pfd[0].revents & (POLLHUP | POLLERR)))
			break;	/* no process left under the filter */
		else if (hk_exited(child))
			break;
	}
	if (pidfd >= 0)
		close(pidfd);
}

#else	/* headers older than Linux 5.0 */

int hk_sim_uname_filter(void)
{
	fprintf(stderr, "hk-simkernel: built without SECCOMP_RET_USER_NOTIF: "
		"cannot fake uname(2)\n");
	return -1;
}

void hk_sim_uname_serve(int fd, pid_t child, const char *release)
{
	(void)fd, (void)child, (void)release;
}

#endif
