/* measure: run one benchmark and report what the kernel counted.
 *
 * measure [-p LIB] [-t SECONDS] [-e NAME=VALUE]... -- PROG ARGS...
 * Runs PROG with LD_PRELOAD=LIB (only in the child: the harness itself
 * keeps the system allocator) and the given variables, waits with wait4,
 * and after the child's own output prints one line:
 * wall_s= cpu_s= maxrss_kb= minflt= status=.  A child still running
 * after SECONDS is killed (status=timeout), so that an allocator that
 * hangs costs the suite one run, not the whole evening.
 */
#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"

static pid_t measure_pid;

static void measure_alarm(int sig)
{
	(void)sig;
	kill(measure_pid, SIGKILL);
}

/* wait4 on the child, killing it after timeout seconds (0: never). */
static int measure_wait(unsigned timeout, int *st, struct rusage *ru)
{
	struct sigaction sa = { .sa_handler = measure_alarm };

	sigaction(SIGALRM, &sa, NULL);
	alarm(timeout);
	while (wait4(measure_pid, st, 0, ru) < 0)
		if (errno != EINTR)
			return -1;
	alarm(0);
	return 0;
}

static void measure_child(const char *lib, char **set, int nset, char **argv)
{
	if (lib && setenv("LD_PRELOAD", lib, 1))
		_exit(127);
	if (!lib)
		unsetenv("LD_PRELOAD");
	for (int i = 0; i < nset; i++)
		putenv(set[i]);
	execvp(argv[0], argv);
	perror(argv[0]);
	_exit(127);
}

int main(int argc, char **argv)
{
	const char *lib = NULL;
	unsigned timeout = 0;
	char *set[32];
	int nset = 0;
	int i = 1;
	struct rusage ru;
	double t;
	int st;

	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-p") && i + 1 < argc)
			lib = argv[++i];
		else if (!strcmp(argv[i], "-t") && i + 1 < argc)
			timeout = (unsigned)strtoul(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "-e") && i + 1 < argc && nset < 32)
			set[nset++] = argv[++i];
		else
			goto usage;
	}
	if (++i >= argc)
		goto usage;
	if (lib && !*lib)
		lib = NULL;
	fflush(stdout);
	t = bench_now();
	measure_pid = fork();
	if (measure_pid == 0)
		measure_child(lib, set, nset, argv + i);
	if (measure_pid < 0 || measure_wait(timeout, &st, &ru) < 0) {
		perror("measure");
		return 2;
	}
	t = bench_now() - t;
	if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL && timeout && t >= timeout) {
		printf("wall_s=%.6f status=timeout\n", t);
		return 0;
	}
	printf("wall_s=%.6f cpu_s=%.6f maxrss_kb=%ld minflt=%ld status=%d\n", t,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6,
	       ru.ru_maxrss, ru.ru_minflt,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
usage:
	fprintf(stderr, "usage: measure [-p LIB] [-t SECONDS] [-e NAME=VALUE]... -- PROG ARGS...\n");
	return 2;
}
