/* child.h: run one case of a test in a child process and see how it
 * ended, for the tests of test/badinput and test/fault, whose cases
 * abort, crash or exhaust memory on purpose.
 *
 * hk_child() forks; the child runs fn(arg) with stderr into a pipe and
 * exits with fn's return value.  The parent keeps the child's first
 * stderr line, kills it (SIGKILL) when it runs past limit_s (a hang: the
 * child's own signals, SIGALRM included, stay free for the test), and
 * tells how it ended.
 */
#ifndef HK_TEST_CHILD_H
#define HK_TEST_CHILD_H

#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

struct hk_child {
	int sig;		/* the signal that ended it, or 0 */
	int code;		/* its exit status when sig is 0 */
	char line[512];		/* the first line it wrote on stderr */
};

static inline int hk_child(int (*fn)(void *), void *arg, unsigned limit_s,
			   struct hk_child *c)
{
	int fd[2], status = 0;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	memset(c, 0, sizeof(*c));
	fflush(NULL);
	if (pipe(fd))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fd[1], 2);
		close(fd[0]);
		close(fd[1]);
		_exit(fn(arg));
	}
	close(fd[1]);
	for (;;) {
		struct pollfd pfd = { .fd = fd[0], .events = POLLIN, .revents = 0 };

		if (poll(&pfd, 1, (int)limit_s * 1000) <= 0) {
			kill(pid, SIGKILL);
			break;
		}
		n = read(fd[0], c->line + got, sizeof(c->line) - 1 - got);
		if (n <= 0 || (got += (size_t)n) == sizeof(c->line) - 1)
			break;
	}
	c->line[got] = '\0';
	c->line[strcspn(c->line, "\n")] = '\0';
	close(fd[0]);
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	c->sig = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	c->code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return 0;
}

#endif /* HK_TEST_CHILD_H */
