/* SPDX-License-Identifier: MIT */
/*
 * The code map of a process's files: user/capture/py/cover_map.py run with the
 * process's own interpreter, which compiles each file as the process did
 * (docs/coverage-map.md).
 */
#ifndef TRACER_COVER_MAP_H
#define TRACER_COVER_MAP_H
#include <stddef.h>
#include "capture/cover_boot.h"

struct cover_map_req {
	const char *interp;	/* the interpreter to run (in ROOT_FD) */
	int root_fd;		/* the process's root when not ours (chroot'ed to), or -1 */
	const char *cwd;	/* the process's working directory (relative names) */
	int optimize;		/* its -O level, -1 if unknown */
	const struct cover_filter *filter;
	const char *const *files;	/* co_filename values */
	size_t n_files;
};

/* Run the program: 0 and the text (malloc'd) in *TEXT, *LEN; -errno and
 * ERR on failure (the interpreter cannot run, fails, or takes > 60 s). */
int cover_map__run(const struct cover_map_req *req, char **text, size_t *len, char *err,
		   size_t errlen);

/* The -O level process PID runs with (its command line and
 * PYTHONOPTIMIZE), 0 if none, -1 if it cannot be told. */
int cover_map__optimize_level(int pid);
#endif
