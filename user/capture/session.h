/* SPDX-License-Identifier: MIT */
/* A live tracing session: -p PID or -- CMD. */
#ifndef TRACER_SESSION_H
#define TRACER_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include "capture/cover_boot.h"
#include "output/outputs.h"

#define SESSION_MAX_COMMS 8
#define SESSION_MAX_EXCLUDED 64

struct session_opts {
	int pid;			/* -p, or 0 */
	bool all;			/* -a: every Python process of the host */
	bool subprocesses;		/* -f: -p or launch, with the target's process tree */
	const char *comm[SESSION_MAX_COMMS];	/* -a --comm */
	int n_comm;
	const char *cgroup;		/* -a --cgroup: a cgroup v2 directory */
	int exclude_pid[SESSION_MAX_EXCLUDED];	/* -a --exclude-pid */
	int n_exclude;
	char **argv;			/* -- CMD ARGS, or NULL */
	double duration;		/* -d seconds, 0 = until the end */
	const char *outputs[OUTPUTS_MAX];
	int n_outputs;
	size_t ringbuf_bytes;		/* -b */
	const char *strategy;		/* --strategy, or NULL */
	bool verbose;			/* -v: libbpf debug output */
	bool coverage;			/* --coverage (or --include/--omit) */
	struct cover_filter filter;	/* --include, --omit */
	unsigned sample_hz;		/* --sample: CPU samples per second, 0 = trace calls */
	bool sample_lines;		/* --lines: samples split by line */
	bool wall;			/* --wall: sample every thread, running or not */
	bool async_tasks;		/* --async-tasks: asyncio Task of each call */
	bool c_calls;			/* --c-calls: calls of C functions (capture/ccalls.h) */
	bool subtract_probe_cost;	/* --subtract-probe-cost (analysis/probe_subtract.h) */
	bool fail_under_set;		/* --fail-under=PCT (output/outputs.h) */
	double fail_under;
	const struct sink_ops *view;	/* tracer top: this live view, not outputs */
	int summary_sort;		/* --sort: enum summary_sort (output/sinks.h) */
	int summary_top;		/* --top N, -1: the default */
};

/* what O asks of the outputs (--coverage with -o -, --fail-under) */
static inline struct outputs_cfg session_opts__outputs_cfg(const struct session_opts *o)
{
	struct outputs_cfg c = { .allow_recording = true, .fail_under_set = o->fail_under_set,
				 .fail_under = o->fail_under };

	for (int i = 0; i < o->n_outputs; i++)
		c.coverage_report |= o->coverage && !strcmp(o->outputs[i], "-");
	return c;
}

/* Run a session. Returns the process exit code: the command's in launch
 * mode, else 0; 1 on a tracer error (already printed). */
int session__run(const struct session_opts *o);
/* Run a system-wide session (-a, user/capture/session_all.c), or one of a
 * target's process tree (--subprocesses): 0 (launched: the command's exit
 * code), or 1 on error */
int session_all__run(const struct session_opts *o);
#endif
