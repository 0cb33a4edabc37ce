/* fork-copy: what a fork costs the parent and the child.
 *
 * Fills MIB MiB of 32 KiB blocks (superslab memory, where hakmem's
 * backend applies), then forks FORKS times.  Each child records, on its
 * return from fork, the time since the parent called fork and its own
 * CPU time so far (what the fork handlers cost it: with
 * HAKMEM_BACKEND=hugetlb, the move of its hugetlb chunks onto ordinary
 * pages, doc/HUGETLB-FORK.md), then writes one byte per block and exits.
 * Not part of make bench; build with make bench/fork-copy.
 * Arguments: mib forks.
 */
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/bench.h"

static double cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

int main(int argc, char **argv)
{
	long mib = bench_arg(argc, argv, 1, 64);
	long forks = bench_arg(argc, argv, 2, 20);
	size_t n = (size_t)mib * 32;
	char **b = bench_xmalloc(n * sizeof(*b));
	double *shm, fork_ms = 0, start_ms = 0, cpu = 0, write_ms = 0;

	for (size_t i = 0; i < n; i++) {
		b[i] = bench_xmalloc(32768);
		memset(b[i], (int)i, 32768);
	}
	shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shm == MAP_FAILED)
		return 1;
	for (long f = 0; f < forks; f++) {
		double t0 = bench_now(), t1;
		int status;
		pid_t pid = fork();

		if (pid == 0) {
			shm[2] = cpu_ms();
			shm[0] = bench_now();
			for (size_t i = 0; i < n; i++)
				b[i][0]++;
			shm[1] = bench_now();
			_exit(0);
		}
		t1 = bench_now();
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0) {
			fprintf(stderr, "fork-copy: child %ld: status %#x\n", f, pid < 0 ? -1 : status);
			return 1;
		}
		fork_ms += (t1 - t0) * 1e3;
		start_ms += (shm[0] - t0) * 1e3;
		cpu += shm[2];
		write_ms += (shm[1] - shm[0]) * 1e3;
	}
	printf("heap %ld MiB: parent's fork() %.3f ms; child runs after %.3f ms, "
	       "its CPU by then %.3f ms; child writes a byte per block in %.3f ms\n",
	       mib, fork_ms / forks, start_ms / forks, cpu / forks, write_ms / forks);
	return 0;
}
