/* SPDX-License-Identifier: MIT */
/* A copy of a binary run through `strip --strip-all` (binutils), for the
 * tests of what the tracer finds in stripped builds. */
#ifndef TRACER_UNIT_STRIP_COPY_H
#define TRACER_UNIT_STRIP_COPY_H
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* run ARGV (a binutils command, found in PATH): 0, or -errno */
static inline int run_tool(char *const argv[])
{
	int status;
	pid_t pid;

	if (posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ))
		return -ENOENT;
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return -EIO;
	return 0;
}

/* PATH stripped into a new temporary file named in OUT (the caller
 * unlinks it): 0, or -errno */
static inline int strip_copy(const char *path, char *out, size_t n)
{
	char *argv[] = { "strip", "--strip-all", "-o", out, (char *)path, NULL };
	int fd;

	snprintf(out, n, "/tmp/tracer-unit-stripped-XXXXXX");
	fd = mkstemp(out);
	if (fd < 0)
		return -errno;
	close(fd);
	return run_tool(argv);
}
#endif
