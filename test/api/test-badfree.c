/* test-badfree.c: a double free and a free of a pointer the allocator
 * never returned are caught where that is cheap: the process aborts
 * (SIGABRT) after one line on stderr that names free, as glibc's
 * "free(): double free detected" does.  Each case runs in a child. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test/api/alloc-api.h"

static char never_allocated[256] __attribute__((aligned(64)));

static void double_free_small(void)
{
	void *p = ta.malloc(64);

	ta.free(p);
	ta.free(p);
}

static void double_free_large(void)
{
	void *p = ta.malloc(8 << 20);

	ta.free(p);
	ta.free(p);
}

static void free_static(void)
{
	ta.free(never_allocated + 64);
}

/* Run fn in a child with stderr into a pipe; returns the signal that
 * ended it (0 if it exited) and the first line it wrote in line. */
static int in_child(void (*fn)(void), char *line, size_t len)
{
	int fd[2], status = 0;
	ssize_t n;
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid == 0) {
		alarm(10);
		dup2(fd[1], 2);
		close(fd[0]);
		fn();
		_exit(0);
	}
	close(fd[1]);
	n = read(fd[0], line, len - 1);
	line[n > 0 ? n : 0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	close(fd[0]);
	waitpid(pid, &status, 0);
	return WIFSIGNALED(status) ? WTERMSIG(status) : 0;
}

static void expect_abort(void (*fn)(void), const char *what, const char *glibc_todo)
{
	char line[512];
	int sig = in_child(fn, line, sizeof(line));
	int cond = sig == SIGABRT && strstr(line, "free");

	if (glibc_todo)
		ok_unless_glibc(cond, glibc_todo, "%s aborts with a message naming free (signal %d, '%s')",
				what, sig, line);
	else
		tap_ok(cond, "%s aborts with a message naming free (signal %d, '%s')", what, sig, line);
}

int main(void)
{
	ta_start();
	expect_abort(double_free_small, "a double free of a 64 B block", NULL);
	expect_abort(double_free_large, "a double free of an 8 MiB block",
		     "glibc unmaps the block and faults on its header");
	expect_abort(free_static, "a free of a static array", NULL);
	return tap_done();
}
