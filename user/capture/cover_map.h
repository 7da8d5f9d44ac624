/* SPDX-License-Identifier: MIT */
/*
 * The code map of a process's files: user/capture/py/cover_map.py run with the
 * process's own interpreter, which compiles each file as the process did
 * (docs/coverage-map.md). It runs as the process (user/os/run_as.h): the
 * files are read with its rights, never root's; one it cannot read is a
 * file in "error" that says so.
 */
#ifndef TRACER_COVER_MAP_H
#define TRACER_COVER_MAP_H
#include <stddef.h>
#include "capture/cover_boot.h"
#include "os/run_as.h"

struct cover_map_req {
	const char *interp;	/* the interpreter to run (in PLACE's root) */
	const struct proc_creds *creds;	/* the process's, NULL: unknown (not run) */
	struct run_as_place place;	/* its root and mount namespace */
	const char *cwd;	/* the process's working directory (relative names) */
	int optimize;		/* its -O level, -1 if unknown */
	const struct cover_filter *filter;
	const char *const *files;	/* co_filename values */
	size_t n_files;
	bool source;		/* the measured files' text too */
};

/* Run the program: 0 and the text (malloc'd) in *TEXT, *LEN; -errno and
 * ERR on failure (the interpreter cannot run, fails, or takes > 60 s;
 * the process's credentials are unknown). */
int cover_map__run(const struct cover_map_req *req, char **text, size_t *len, char *err,
		   size_t errlen);

/* The -O level process PID runs with (its command line and
 * PYTHONOPTIMIZE), 0 if none, -1 if it cannot be told. */
int cover_map__optimize_level(int pid);
#endif
