/* stats-prog: the programs test/stats/stats-report.sh runs with
 * libhakmem.so preloaded, each in a shape the report at exit must
 * survive.  Plain: it links nothing of hakmem, and uses no stdio before
 * exit, so that nothing allocates between its malloc_stats() and the
 * report at exit.
 *   stats-prog work    small blocks of several classes, large blocks
 *                      mapped, cached, remapped; malloc_stats(); exit
 *   stats-prog fork    forks; the child allocates and exits, the
 *                      parent waits and exits; prints "PARENT CHILD"
 *   stats-prog close   closes stdin, stdout and stderr, then exits
 */
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void *keep[256];

static void work(void)
{
	static const size_t sizes[] = { 16, 40, 100, 500, 3000, 20000 };
	void *big;

	for (unsigned i = 0; i < 256; i++) {
		keep[i] = malloc(sizes[i % 6] + i % 3);
		memset(keep[i], 1, sizes[i % 6]);
	}
	for (unsigned i = 0; i < 256; i += 2) {
		free(keep[i]);
		keep[i] = NULL;
	}
	for (int i = 0; i < 3; i++) {
		big = malloc(4 << 20);
		memset(big, 2, 4096);
		big = realloc(big, 16 << 20);
		free(big);
	}
	keep[0] = malloc(1 << 20);
}

/* The decimal of v followed by c, with write(2). */
static void put_long(long v, char c)
{
	char buf[24];
	int n = sizeof(buf);

	buf[--n] = c;
	do
		buf[--n] = (char)('0' + v % 10);
	while ((v /= 10) > 0);
	if (write(1, buf + n, sizeof(buf) - (size_t)n) < 0)
		_exit(3);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	pid_t child;
	int st;

	if (!strcmp(mode, "work")) {
		work();
		malloc_stats();
		exit(0);
	}
	if (!strcmp(mode, "fork")) {
		keep[0] = malloc(100);
		child = fork();
		if (child < 0)
			return 2;
		if (child == 0) {
			keep[1] = malloc(5000);
			exit(0);
		}
		if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
			return 2;
		put_long(getpid(), ' ');
		put_long(child, '\n');
		exit(0);
	}
	if (!strcmp(mode, "close")) {
		keep[0] = malloc(100);
		close(0);
		close(1);
		close(2);
		exit(0);
	}
	return 2;
}
