/* sandbox-filters.h: seccomp-BPF filters modelled on two sandboxes real
 * programs run in, for test-sandbox.c.  x86-64 only (the caller skips
 * elsewhere); both kill the whole process on a call they do not list,
 * as the originals do.
 *
 * openssh: OpenSSH's pre-authentication child (sandbox-seccomp-filter.c,
 *   9.x): what glibc's malloc and the monitor protocol need.  open,
 *   openat and the stat family fail with EACCES; madvise with MADV_NORMAL,
 *   FREE, DONTNEED, DONTFORK, DONTDUMP or WIPEONFORK passes and fails with
 *   EINVAL otherwise; mmap and mprotect pass with PROT_READ, PROT_WRITE
 *   and PROT_NONE only.  With threads set, clone, clone3 (ENOSYS, so
 *   glibc falls back to clone), wait4, set_robust_list, rseq,
 *   rt_sigaction (glibc's first pthread_create sets a handler) and
 *   sched_getaffinity pass too: a program that makes threads or forks
 *   after sandboxing allows those.
 *
 * plain: the calls of a single-threaded program's glibc malloc and
 *   little else, as a program that sandboxes itself lists them (vndb's
 *   imgproc, for one): mmap only read-write, never PROT_NONE or
 *   MAP_FIXED (glibc reserves PROT_NONE only for a thread's arena);
 *   mprotect only read-write; madvise MADV_DONTNEED, any other advice
 *   failing with EINVAL; munmap, mremap, brk.
 *
 * systemd: SystemCallFilter=@system-service with the default action
 *   (kill), as of systemd 252-256 (src/shared/seccomp-util.c): every
 *   name below, and nothing else: no mincore.  systemd installs it
 *   before exec, so a program starts under it.
 */
#ifndef HK_SANDBOX_FILTERS_H
#define HK_SANDBOX_FILTERS_H

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define HK_SBX_MAX 1024

struct hk_sbx {
	struct sock_filter insn[HK_SBX_MAX];
	unsigned short n;
};

static inline void hk_sbx_put(struct hk_sbx *f, struct sock_filter i)
{
	if (f->n < HK_SBX_MAX)
		f->insn[f->n++] = i;
}

#define HK_SBX_NR() hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, \
	offsetof(struct seccomp_data, nr)))

/* nr == n: return ret; the accumulator holds nr before and after. */
static inline void hk_sbx_ret(struct hk_sbx *f, long n, unsigned ret)
{
	hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)n, 0, 1));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, ret));
}

static inline void hk_sbx_allow(struct hk_sbx *f, const long *nrs, size_t k)
{
	for (size_t i = 0; i < k; i++)
		hk_sbx_ret(f, nrs[i], SECCOMP_RET_ALLOW);
}

static inline void hk_sbx_begin(struct hk_sbx *f)
{
	f->n = 0;
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, arch)));
	hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
		AUDIT_ARCH_X86_64, 1, 0));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	HK_SBX_NR();
}

/* nr == n and the low word of argument arg has no bit outside mask. */
static inline void hk_sbx_allow_mask(struct hk_sbx *f, long n, int arg, unsigned mask)
{
	hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)n, 0, 4));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, args[arg])));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ~mask));
	hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	HK_SBX_NR();	/* reached by a mismatch on either test */
}

/* madvise: these advices pass, any other fails with EINVAL. */
static inline void hk_sbx_madvise(struct hk_sbx *f)
{
	static const unsigned ok[] = { MADV_NORMAL, 8 /* FREE */, MADV_DONTNEED,
				       MADV_DONTFORK, 16 /* DONTDUMP */, 18 /* WIPEONFORK */ };
	const unsigned k = sizeof(ok) / sizeof(ok[0]);

	hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_madvise, 0, 2 * k + 2));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, args[2])));
	for (unsigned i = 0; i < k; i++) {
		hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ok[i], 0, 1));
		hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	}
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EINVAL));
}

static inline void hk_sbx_openssh(struct hk_sbx *f, int threads)
{
	static const long eacces[] = { SYS_lstat, SYS_fstat, SYS_open, SYS_openat,
				       SYS_newfstatat, SYS_stat, SYS_shmget, SYS_shmat, SYS_shmdt };
	static const long allow[] = {
		SYS_brk, SYS_clock_gettime, SYS_close, SYS_exit, SYS_exit_group,
		SYS_futex, SYS_geteuid, SYS_getpgid, SYS_getpid, SYS_getrandom,
		SYS_gettid, SYS_gettimeofday, SYS_getuid, SYS_mremap, SYS_munmap,
		SYS_nanosleep, SYS_clock_nanosleep, SYS_poll, SYS_ppoll,
		SYS_pselect6, SYS_read, SYS_rt_sigprocmask, SYS_select,
		SYS_shutdown, SYS_time, SYS_write,
	};
	static const long thread[] = { SYS_clone, SYS_wait4, SYS_set_robust_list,
				       SYS_rseq, SYS_sched_getaffinity, SYS_rt_sigreturn,
				       SYS_rt_sigaction };
	const unsigned prot = PROT_READ | PROT_WRITE | PROT_NONE;

	hk_sbx_begin(f);
	for (size_t i = 0; i < sizeof(eacces) / sizeof(eacces[0]); i++)
		hk_sbx_ret(f, eacces[i], SECCOMP_RET_ERRNO | EACCES);
	hk_sbx_allow(f, allow, sizeof(allow) / sizeof(allow[0]));
	if (threads) {
		hk_sbx_allow(f, thread, sizeof(thread) / sizeof(thread[0]));
		hk_sbx_ret(f, SYS_clone3, SECCOMP_RET_ERRNO | ENOSYS);
	}
	hk_sbx_allow_mask(f, SYS_mmap, 2, prot);
	hk_sbx_allow_mask(f, SYS_mprotect, 2, prot);
	hk_sbx_madvise(f);
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
}

/* nr == n and argument arg, masked by mask, equals val. */
static inline void hk_sbx_allow_eq(struct hk_sbx *f, long n, int arg, unsigned mask, unsigned val)
{
	hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)n, 0, 4));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, args[arg])));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_ALU | BPF_AND | BPF_K, mask));
	hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, val, 0, 1));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	HK_SBX_NR();	/* reached by a mismatch on either test */
}

static inline void hk_sbx_plain(struct hk_sbx *f)
{
	static const long allow[] = {
		SYS_brk, SYS_clock_gettime, SYS_close, SYS_exit, SYS_exit_group,
		SYS_futex, SYS_getrandom, SYS_mremap, SYS_munmap, SYS_nanosleep,
		SYS_clock_nanosleep, SYS_read, SYS_write, SYS_rt_sigprocmask,
	};
	const unsigned rw = PROT_READ | PROT_WRITE;

	hk_sbx_begin(f);
	hk_sbx_allow(f, allow, sizeof(allow) / sizeof(allow[0]));
	/* mmap: both tests load their own argument, so they chain. */
	hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 6));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, args[2])));
	hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, rw, 0, 3));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
		offsetof(struct seccomp_data, args[3])));
	hk_sbx_put(f, (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, MAP_FIXED, 1, 0));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	hk_sbx_allow_eq(f, SYS_mprotect, 2, ~0u, rw);
	hk_sbx_allow_eq(f, SYS_madvise, 2, ~0u, MADV_DONTNEED);
	hk_sbx_ret(f, SYS_madvise, SECCOMP_RET_ERRNO | EINVAL);
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
}

/* open_errno: 0, or open and openat fail with it (a sandbox that hides
 * /proc and /sys from the library's probe). */
static inline void hk_sbx_systemd(struct hk_sbx *f, int open_errno)
{
	static const long allow[] = {
		/* @default */
		SYS_clock_getres, SYS_clock_gettime, SYS_clock_nanosleep, SYS_execve,
		SYS_exit, SYS_exit_group, SYS_futex, SYS_get_robust_list,
		SYS_getegid, SYS_geteuid, SYS_getgid, SYS_getgroups, SYS_getpgid,
		SYS_getpgrp, SYS_getpid, SYS_getppid, SYS_getresgid, SYS_getresuid,
		SYS_getrlimit, SYS_getsid, SYS_gettid, SYS_gettimeofday, SYS_getuid,
		SYS_membarrier, SYS_nanosleep, SYS_pause, SYS_prlimit64,
		SYS_restart_syscall, SYS_rseq, SYS_rt_sigreturn, SYS_sched_yield,
		SYS_set_robust_list, SYS_set_tid_address, SYS_time,
		/* @aio */
		SYS_io_cancel, SYS_io_destroy, SYS_io_getevents, SYS_io_pgetevents,
		SYS_io_setup, SYS_io_submit, SYS_io_uring_enter,
		SYS_io_uring_register, SYS_io_uring_setup,
		/* @basic-io */
		SYS_close, SYS_dup, SYS_dup2, SYS_dup3, SYS_lseek, SYS_pread64,
		SYS_preadv, SYS_preadv2, SYS_pwrite64, SYS_pwritev, SYS_pwritev2,
		SYS_read, SYS_readv, SYS_write, SYS_writev,
		/* @chown */
		SYS_chown, SYS_fchown, SYS_fchownat, SYS_lchown,
		/* @file-system */
		SYS_access, SYS_chdir, SYS_chmod, SYS_creat, SYS_faccessat,
		SYS_faccessat2, SYS_fallocate, SYS_fchdir, SYS_fchmod, SYS_fchmodat,
		SYS_fcntl, SYS_fgetxattr, SYS_flistxattr, SYS_fremovexattr,
		SYS_fsetxattr, SYS_fstat, SYS_fstatfs, SYS_ftruncate, SYS_futimesat,
		SYS_getcwd, SYS_getdents, SYS_getdents64, SYS_getxattr,
		SYS_inotify_add_watch, SYS_inotify_init, SYS_inotify_init1,
		SYS_inotify_rm_watch, SYS_lgetxattr, SYS_link, SYS_linkat,
		SYS_listxattr, SYS_llistxattr, SYS_lremovexattr, SYS_lsetxattr,
		SYS_lstat, SYS_mkdir, SYS_mkdirat, SYS_mknod, SYS_mknodat, SYS_mmap,
		SYS_munmap, SYS_newfstatat, SYS_open, SYS_openat, SYS_openat2,
		SYS_readlink, SYS_readlinkat, SYS_removexattr, SYS_rename,
		SYS_renameat, SYS_renameat2, SYS_rmdir, SYS_setxattr, SYS_stat,
		SYS_statfs, SYS_statx, SYS_symlink, SYS_symlinkat, SYS_truncate,
		SYS_unlink, SYS_unlinkat, SYS_utime, SYS_utimensat, SYS_utimes,
		/* @io-event */
		SYS_epoll_create, SYS_epoll_create1, SYS_epoll_ctl, SYS_epoll_pwait,
		SYS_epoll_wait, SYS_eventfd, SYS_eventfd2, SYS_poll, SYS_ppoll,
		SYS_pselect6, SYS_select,
		/* @ipc */
		SYS_memfd_create, SYS_msgctl, SYS_msgget, SYS_msgrcv, SYS_msgsnd,
		SYS_pipe, SYS_pipe2, SYS_process_vm_readv, SYS_process_vm_writev,
		SYS_semctl, SYS_semget, SYS_semop, SYS_semtimedop, SYS_shmat,
		SYS_shmctl, SYS_shmdt, SYS_shmget,
		/* @keyring, @memlock */
		SYS_add_key, SYS_keyctl, SYS_request_key, SYS_mlock, SYS_mlock2,
		SYS_mlockall, SYS_munlock, SYS_munlockall,
		/* @network-io */
		SYS_accept, SYS_accept4, SYS_bind, SYS_connect, SYS_getpeername,
		SYS_getsockname, SYS_getsockopt, SYS_listen, SYS_recvfrom,
		SYS_recvmmsg, SYS_recvmsg, SYS_sendmmsg, SYS_sendmsg, SYS_sendto,
		SYS_setsockopt, SYS_shutdown, SYS_socket, SYS_socketpair,
		/* @process */
		SYS_arch_prctl, SYS_capget, SYS_clone, SYS_clone3, SYS_execveat,
		SYS_fork, SYS_getrusage, SYS_kill, SYS_pidfd_open,
		SYS_pidfd_send_signal, SYS_prctl, SYS_rt_sigqueueinfo,
		SYS_rt_tgsigqueueinfo, SYS_setns, SYS_tgkill, SYS_times, SYS_tkill,
		SYS_unshare, SYS_vfork, SYS_wait4, SYS_waitid,
		/* @resources */
		SYS_ioprio_set, SYS_mbind, SYS_migrate_pages, SYS_move_pages,
		SYS_sched_setaffinity, SYS_sched_setattr, SYS_sched_setparam,
		SYS_sched_setscheduler, SYS_set_mempolicy, SYS_setpriority,
		SYS_setrlimit,
		/* @setuid */
		SYS_setgid, SYS_setgroups, SYS_setregid, SYS_setresgid,
		SYS_setresuid, SYS_setreuid, SYS_setuid,
		/* @signal */
		SYS_rt_sigaction, SYS_rt_sigpending, SYS_rt_sigprocmask,
		SYS_rt_sigsuspend, SYS_rt_sigtimedwait, SYS_sigaltstack,
		SYS_signalfd, SYS_signalfd4,
		/* @sync */
		SYS_fdatasync, SYS_fsync, SYS_msync, SYS_sync, SYS_sync_file_range,
		SYS_syncfs,
		/* @timer */
		SYS_alarm, SYS_getitimer, SYS_setitimer, SYS_timer_create,
		SYS_timer_delete, SYS_timer_getoverrun, SYS_timer_gettime,
		SYS_timer_settime, SYS_timerfd_create, SYS_timerfd_gettime,
		SYS_timerfd_settime,
		/* and by name */
		SYS_brk, SYS_capset, SYS_copy_file_range, SYS_fadvise64, SYS_flock,
		SYS_get_mempolicy, SYS_getcpu, SYS_getpriority, SYS_getrandom,
		SYS_ioctl, SYS_ioprio_get, SYS_kcmp, SYS_madvise, SYS_mprotect,
		SYS_mremap, SYS_name_to_handle_at, SYS_personality, SYS_readahead,
		SYS_remap_file_pages, SYS_sched_get_priority_max,
		SYS_sched_get_priority_min, SYS_sched_getaffinity,
		SYS_sched_getattr, SYS_sched_getparam, SYS_sched_getscheduler,
		SYS_sched_rr_get_interval, SYS_sched_yield, SYS_sendfile,
		SYS_setfsgid, SYS_setfsuid, SYS_setpgid, SYS_setsid, SYS_splice,
		SYS_sysinfo, SYS_tee, SYS_umask, SYS_uname, SYS_userfaultfd,
		SYS_vmsplice,
	};

	hk_sbx_begin(f);
	if (open_errno) {
		hk_sbx_ret(f, SYS_open, SECCOMP_RET_ERRNO | (unsigned)open_errno);
		hk_sbx_ret(f, SYS_openat, SECCOMP_RET_ERRNO | (unsigned)open_errno);
	}
	hk_sbx_allow(f, allow, sizeof(allow) / sizeof(allow[0]));
	hk_sbx_put(f, (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
}

/* 0, or -1 with errno (no seccomp here: the caller skips). */
static inline int hk_sbx_install(struct hk_sbx *f)
{
	struct sock_fprog prog = { .len = f->n, .filter = f->insn };

	if (f->n >= HK_SBX_MAX) {
		errno = E2BIG;
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

#endif /* HK_SANDBOX_FILTERS_H */
