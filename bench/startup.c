/* startup: the cost a preloaded allocator adds to a tiny program.
 *
 * Runs PROG RUNS times with LD_PRELOAD=LIB and RUNS times without,
 * alternating in batches of ten so that a burst of load on the machine
 * hits both sides alike, and prints the difference of the mean wall time
 * per run (seconds=) and the two means.  LIB "none" measures the noise.
 * Arguments: runs prog lib.
 */
#include <spawn.h>
#include <sys/wait.h>

#include "bench/bench.h"

extern char **environ;

static double startup_batch(const char *prog, char **env, int n)
{
	char *argv[] = { (char *)prog, NULL };
	double t = bench_now();

	for (int i = 0; i < n; i++) {
		pid_t pid;
		int st;

		if (posix_spawn(&pid, prog, NULL, NULL, argv, env) ||
		    waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "startup: %s failed\n", prog);
			exit(2);
		}
	}
	return bench_now() - t;
}

/* environ without LD_PRELOAD, plus LD_PRELOAD=lib when lib is given. */
static char **startup_env(const char *lib)
{
	size_t n = 0;
	char **env;
	size_t k = 0;

	while (environ[n])
		n++;
	env = bench_xmalloc((n + 2) * sizeof(*env));
	for (size_t i = 0; i < n; i++)
		if (strncmp(environ[i], "LD_PRELOAD=", 11))
			env[k++] = environ[i];
	if (lib) {
		env[k] = bench_xmalloc(strlen(lib) + 12);
		strcpy(env[k], "LD_PRELOAD=");
		strcat(env[k++], lib);
	}
	env[k] = NULL;
	return env;
}

int main(int argc, char **argv)
{
	int runs = (int)bench_arg(argc, argv, 1, 1000);
	const char *prog = argc > 2 ? argv[2] : "bench/tiny";
	const char *lib = argc > 3 && strcmp(argv[3], "none") ? argv[3] : NULL;
	char **with = startup_env(lib);
	char **without = startup_env(NULL);
	double tw = 0, to = 0;
	char extra[96];

	for (int done = 0; done < runs; done += 10) {
		tw += startup_batch(prog, with, 10);
		to += startup_batch(prog, without, 10);
	}
	runs = (runs + 9) / 10 * 10;
	snprintf(extra, sizeof(extra), "with_us=%.1f without_us=%.1f",
		 tw / runs * 1e6, to / runs * 1e6);
	bench_result((tw - to) / runs, (double)runs, extra);
	return 0;
}
