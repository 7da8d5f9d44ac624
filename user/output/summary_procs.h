/* SPDX-License-Identifier: MIT */
/*
 * The summary's processes (user/output/summary.c): each one's identity, what
 * is traced in it and how exactly, how it ended, and, when the session
 * traced more than one, its own calls and hottest functions.
 *
 * A pid's records belong to its latest process: a process record for a
 * pid whose latest process has not ended (no process_end) describes that
 * process again; after its end, a new one.
 */
#ifndef TRACER_SUMMARY_PROCS_H
#define TRACER_SUMMARY_PROCS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model/func_names.h"
#include "util/hashmap.h"
#include "output/hot_funcs.h"
#include "model/model.h"

#define SUMMARY_PROC_TOP 10	/* functions listed per process */

/* a function's calls (the summary's table; per process: also samples) */
struct summary_func {
	uint64_t calls;
	uint64_t total_ns;	/* outermost calls only (recursion counted once) */
	uint64_t self_ns;	/* every call: duration - time in callees */
	uint64_t raised;	/* --c-calls: calls that raised (c_exception) */
};

struct summary_proc {
	struct in_process p;
	struct proc_end_rec end;
	bool ended;
	uint64_t calls, samples;
	/* JIT code units: seen live, read from the perf map at attach, read
	 * from its jitdump */
	uint64_t jit[JIT_N_SOURCES];
};

/* a function of a process */
struct summary_pfunc {
	uint32_t proc, func;
	struct summary_func f;
	uint64_t samples;	/* with it innermost */
};

struct summary_procs {
	struct summary_proc *v;	/* in order of their process records */
	size_t n, cap;
	struct hashmap *latest;	/* pid -> index + 1 of its latest process */
	uint32_t last_pid;	/* of the previous lookup (calls come in runs) */
	size_t last;		/* its index + 1, 0 none */
	/*
	 * Per process and function, once a second process came: the first's
	 * were the whole table's until then (copied at that point), so a
	 * session of one process pays nothing for it.
	 */
	bool split;
	struct hashmap *by_func;	/* proc << 32 | func -> index + 1 in pf */
	struct summary_pfunc *pf;
	size_t n_pf, cap_pf;
};

int summary_procs__init(struct summary_procs *sp);
void summary_procs__free(struct summary_procs *sp);
/* a process record; when it makes the second process, FUNCS (N, by id)
 * and HOT are the whole session's so far: the first process's */
int summary_procs__process(struct summary_procs *sp, const struct in_process *p,
			   const struct summary_func *funcs, size_t n, const struct hot_funcs *hot);
int summary_procs__end(struct summary_procs *sp, const struct proc_end_rec *e);
/* a completed call, its duration DUR and self time SELF */
int summary_procs__call(struct summary_procs *sp, const struct call_rec *c, uint64_t dur,
			uint64_t self);
int summary_procs__sample(struct summary_procs *sp, const struct sample_rec *r);
void summary_procs__jit(struct summary_procs *sp, const struct jit_rec *r);
/* the processes, each with its own part when there are several (functions
 * named by NAMES; times from ST's first event): 0 or -ENOMEM */
int summary_procs__print(struct summary_procs *sp, const struct func_names *names,
			 const struct session_stats *st, FILE *f);
#endif
