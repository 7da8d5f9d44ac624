/* SPDX-License-Identifier: MIT */
/*
 * --async-tasks in a session (-p, launch): the per-version offsets the BPF
 * side needs (bpf/asyncio.bpf.h), and _asyncio's table of running tasks,
 * looked for in the target while the session runs (asyncio is imported
 * when the program gets to it) and handed to the BPF side once found.
 */
#ifndef TRACER_ASYNC_TASKS_H
#define TRACER_ASYNC_TASKS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct target;
struct tracer_bpf;
struct feed;

struct async_tasks {
	const struct target *t;
	struct tracer_bpf *skel;
	struct feed *feed;	/* told when _asyncio is not imported yet */
	uint64_t last_ns;	/* the last look (CLOCK_MONOTONIC) */
	uint64_t every_ns;	/* between looks: 2 ms, more when a look is long */
	uint64_t looks;		/* looks made (for -v) */
	uint64_t absent_ns;	/* the last look that found no _asyncio, 0 if none
				 * (not told yet) */
	bool found;		/* the table is in the BPF side's hands */
	uint32_t instance;	/* the target's instance looked at (an exec: a new one) */
};

/* Set T's configuration for --async-tasks: 0, or -ENOTSUP with the reason
 * in ERR (an interpreter version whose tasks are not read) */
int async_tasks__plan(struct target *t, char *err, size_t errlen);
/* a recording among the N OUTPUTS (-o names) does not keep the tasks:
 * said on stderr */
void async_tasks__say_recordings(const char *const *outputs, int n);
/* with T's `procs` entry in place: look for the table now and then */
void async_tasks__init(struct async_tasks *a, const struct target *t, struct tracer_bpf *skel,
		       struct feed *feed);
/* look for the table when due (every few ms until found; FORCE: now) */
void async_tasks__tick(struct async_tasks *a, bool force);
/* the session ends (before its last events are read): the table never
 * found, say until when _asyncio was not imported */
void async_tasks__end(struct async_tasks *a);
#endif
