/* SPDX-License-Identifier: MIT */
/*
 * Running a program on a traced process's behalf (its own interpreter, to
 * print its opcode numbers or to compile its files): as the process, never
 * as root. See user/os/run_as.c and SECURITY.md.
 */
#ifndef TRACER_RUN_AS_H
#define TRACER_RUN_AS_H
#include <stdbool.h>
#include <stddef.h>
#include "os/proc_status.h"

/* where a process lives, when not where we do: open while a program may
 * still run there, after the process is gone */
struct run_as_place {
	int root_fd;	/* its root directory (O_PATH), or -1: ours */
	int mnt_fd;	/* its mount namespace, or -1: ours */
};

struct run_as_req {
	const struct proc_creds *creds;	/* whose rights; NULL: unknown, refused */
	struct run_as_place place;
	const char *cwd;	/* entered once the rights are dropped; "/" if it cannot be */
	/* the program: an open file (fexecve), or when -1 a path in its root */
	int exe_fd;
	const char *path;
	char *const *argv;
	const char *in;		/* its standard input, IN_LEN bytes */
	size_t in_len;
	int timeout_ms;
	size_t max_out;		/* more on its standard output: stopped */
};

/* The place of process PID (its root and mount namespace when they are not
 * ours, opened). 0 or -errno; run_as_place__close closes what it opened. */
int run_as_place__open(int pid, struct run_as_place *pl);
void run_as_place__close(struct run_as_place *pl);

/* Run REQ's program with REQ's credentials (all of them: groups, gids,
 * uids; no capability left unless the process is root; no new privileges),
 * in its place, with a clean environment and no other open file, in a
 * session of its own that is killed whole at the end. 0 and its standard
 * output (malloc'd, NUL-terminated) in *OUT, *LEN when it exited with 0;
 * else -errno and ERR says why, with the last line it wrote on stderr:
 * -EPERM (the credentials are unknown or could not be taken), -ETIMEDOUT,
 * -EFBIG (more than max_out), -EIO (it failed). */
int run_as__run(const struct run_as_req *req, char **out, size_t *len, char *err, size_t errlen);
#endif
