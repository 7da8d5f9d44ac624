/* SPDX-License-Identifier: MIT */
/* A Python process that has started (it printed a line) and sleeps, for
 * the tests that need a live interpreter (the opcode query, the binary
 * analysis). */
#ifndef TRACER_UNIT_SLEEPER_H
#define TRACER_UNIT_SLEEPER_H
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

/* its pid, or -1 */
static inline pid_t start_sleeper(const char *py)
{
	int fd[2];
	char c;
	pid_t pid;

	if (pipe(fd))
		return -1;
	pid = fork();
	if (!pid) {
		dup2(fd[1], 1);
		execl(py, py, "-c", "import time; print(1, flush=True); time.sleep(60)", NULL);
		_exit(127);
	}
	close(fd[1]);
	if (pid < 0 || read(fd[0], &c, 1) != 1)
		pid = -1;
	close(fd[0]);
	return pid;
}

static inline void stop_sleeper(pid_t pid)
{
	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}
#endif
