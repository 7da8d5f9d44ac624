// SPDX-License-Identifier: MIT
/*
 * Opcode numbers change between CPython versions (and could between builds
 * of one version), so they are never written down here: the interpreter of
 * the traced process prints them from its own `opcode` module, the same
 * data its compiler uses. The run is isolated (-I -S: no site, no
 * environment variables, no user directory), happens inside the target's
 * root directory (a container's interpreter needs its own libraries and
 * standard library), and runs as the target's user, not as root.
 * The dispatch strategy then checks these numbers against the binary's own
 * _PyOpcode_Deopt table (user/cpython/dispatch_sites.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cpython/py_opcodes.h"
#include "os/proc_status.h"

static const char *const names[PY_OP__COUNT] = {
	[PY_OP_RESUME] = "RESUME",
	[PY_OP_RETURN_VALUE] = "RETURN_VALUE",
	[PY_OP_RETURN_CONST] = "RETURN_CONST",
	[PY_OP_YIELD_VALUE] = "YIELD_VALUE",
	[PY_OP_INSTRUMENTED_RESUME] = "INSTRUMENTED_RESUME",
	[PY_OP_INSTRUMENTED_RETURN_VALUE] = "INSTRUMENTED_RETURN_VALUE",
	[PY_OP_INSTRUMENTED_RETURN_CONST] = "INSTRUMENTED_RETURN_CONST",
	[PY_OP_INSTRUMENTED_YIELD_VALUE] = "INSTRUMENTED_YIELD_VALUE",
};

#define QUERY_SCRIPT \
	"import opcode\n" \
	"for k, v in sorted(opcode.opmap.items()):\n" \
	"    print(k, v)\n"

const char *py_opcodes__name(enum py_op op)
{
	return op >= 0 && op < PY_OP__COUNT ? names[op] : "?";
}

int py_opcodes__parse(const char *text, struct py_opcodes *out)
{
	const char *p = text;

	for (int i = 0; i < PY_OP__COUNT; i++)
		out->num[i] = -1;
	while (*p) {
		const char *eol = strchr(p, '\n');
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		char name[64];
		int num, used = 0;
		char line[128];

		if (len >= sizeof(line))
			return -EINVAL;
		memcpy(line, p, len);
		line[len] = 0;
		p += len + (eol ? 1 : 0);
		if (!len)
			continue;
		if (sscanf(line, "%63s %d%n", name, &num, &used) != 2 || used != (int)len)
			return -EINVAL;
		/* pseudo-instructions (3.12+) are numbered from 256: never ours */
		for (int i = 0; i < PY_OP__COUNT; i++)
			if (!strcmp(name, names[i])) {
				if (num < 0 || num > 255)
					return -EINVAL;
				out->num[i] = num;
			}
	}
	if (out->num[PY_OP_RESUME] < 0 || out->num[PY_OP_RETURN_VALUE] < 0 ||
	    out->num[PY_OP_YIELD_VALUE] < 0)
		return -EINVAL;
	return 0;
}

static bool same_root(int pid)
{
	char path[64];
	struct stat a, b;

	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	return !stat(path, &a) && !stat("/", &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

static void child(int pid, int exe_fd, const char *argv0, int out_fd, uid_t uid, gid_t gid)
{
	char root[64];
	char *argv[] = { (char *)argv0, "-I", "-S", "-c", QUERY_SCRIPT, NULL };
	char *envp[] = { "PATH=/usr/local/bin:/usr/bin:/bin", "LC_ALL=C", NULL };

	if (dup2(out_fd, 1) < 0)
		_exit(126);
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	if (!same_root(pid) && (chroot(root) || chdir("/")))
		_exit(126);
	if (chdir("/") || setgroups(0, NULL) || setgid(gid) || setuid(uid))
		_exit(126);
	fexecve(exe_fd, argv, envp);
	_exit(127);
}

int py_opcodes__query(int pid, struct py_opcodes *out, char *err, size_t errlen)
{
	char exe_link[64], argv0[512], buf[16384];
	int pipefd[2] = { -1, -1 }, exe_fd, status = 0, ret;
	size_t used = 0;
	uid_t uids[4];
	gid_t gids[4];
	ssize_t n;
	pid_t c;

	snprintf(exe_link, sizeof(exe_link), "/proc/%d/exe", pid);
	n = readlink(exe_link, argv0, sizeof(argv0) - 1);
	if (n <= 0 || (ret = proc_status__ids(pid, uids, gids))) {
		snprintf(err, errlen, "cannot read the executable of PID %d", pid);
		return -ESRCH;
	}
	argv0[n] = 0;
	exe_fd = open(exe_link, O_RDONLY | O_CLOEXEC);
	if (exe_fd < 0 || pipe2(pipefd, O_CLOEXEC)) {
		ret = -errno;
		snprintf(err, errlen, "cannot run %s: %s", argv0, strerror(errno));
		goto cleanup;
	}
	c = fork();
	if (c < 0) {
		ret = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		goto cleanup;
	}
	if (c == 0)
		child(pid, exe_fd, argv0, pipefd[1], uids[0], gids[0]);
	close(pipefd[1]);
	pipefd[1] = -1;
	/* read everything, for at most 10 s */
	for (int waited = 0;;) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		int r = poll(&p, 1, 100);

		if (r < 0 && errno != EINTR)
			break;
		if (r > 0) {
			n = read(pipefd[0], buf + used, sizeof(buf) - 1 - used);
			if (n <= 0)
				break;
			used += n;
			if (used == sizeof(buf) - 1)
				break;
		} else if ((waited += 100) >= 10000) {
			kill(c, SIGKILL);
			break;
		}
	}
	buf[used] = 0;
	while (waitpid(c, &status, 0) < 0 && errno == EINTR)
		;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		ret = -ECHILD;
		snprintf(err, errlen, "%s -I -S (asked for its opcode numbers) failed (status %d)",
			 argv0, status);
		goto cleanup;
	}
	ret = py_opcodes__parse(buf, out);
	if (ret)
		snprintf(err, errlen, "%s printed no usable opcode table", argv0);
cleanup:
	if (exe_fd >= 0)
		close(exe_fd);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	return ret;
}
