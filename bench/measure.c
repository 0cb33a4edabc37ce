/* measure: run one benchmark and report what the kernel counted.
 *
 * measure [-p LIB] [-e NAME=VALUE]... -- PROG ARGS...
 * Runs PROG with LD_PRELOAD=LIB (only in the child: the harness itself
 * keeps the system allocator) and the given variables, waits with wait4,
 * and after the child's own output prints one line:
 * wall_s= cpu_s= maxrss_kb= minflt= status=.
 */
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

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
	char *set[32];
	int nset = 0;
	int i = 1;
	struct rusage ru;
	double t;
	pid_t pid;
	int st;

	for (; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "-p") && i + 1 < argc)
			lib = argv[++i];
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
	pid = fork();
	if (pid == 0)
		measure_child(lib, set, nset, argv + i);
	if (pid < 0 || wait4(pid, &st, 0, &ru) < 0) {
		perror("measure");
		return 2;
	}
	t = bench_now() - t;
	printf("wall_s=%.6f cpu_s=%.6f maxrss_kb=%ld minflt=%ld status=%d\n", t,
	       ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 +
	       ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6,
	       ru.ru_maxrss, ru.ru_minflt,
	       WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
	return 0;
usage:
	fprintf(stderr, "usage: measure [-p LIB] [-e NAME=VALUE]... -- PROG ARGS...\n");
	return 2;
}
