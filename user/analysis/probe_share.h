/* SPDX-License-Identifier: MIT */
/*
 * How much of each function's measured time is the probes' own cost (the
 * observer effect, docs/observer-effect.md), from the calls recorded: per
 * function, the probe events that fired inside its calls (its own entry
 * and return, and every event of its callees: their traps run on its
 * clock), and per thread the probe hits. Fed with the call records as
 * they complete; the cost of an event is the session's struct probe_cost.
 */
#ifndef TRACER_ANALYSIS_PROBE_SHARE_H
#define TRACER_ANALYSIS_PROBE_SHARE_H
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "model/probe_cost.h"

struct probe_share_func {
	uint64_t calls;
	uint64_t total_ns;	/* outermost calls only (as the summary's total) */
	/* probe events inside its outermost calls, their own included */
	uint64_t entries, returns;
};

struct probe_share_thread {
	uint32_t pid, tid;
	uint64_t entries, returns;	/* its probe hits */
};

struct probe_share {
	struct probe_share_func *funcs;	/* by function id */
	size_t n_funcs, cap_funcs;
	struct hashmap *stacks;		/* per thread and greenlet: struct ps_stack */
};

/* a call completed (records of a thread come nested, callees first):
 * 0 or -ENOMEM */
int probe_share__call(struct probe_share *ps, const struct call_rec *c);
/* the probes' cost inside F's calls (ns) at cost PC */
double probe_share__cost_ns(const struct probe_share_func *f, const struct probe_cost *pc);
/* that cost over F's total time (0 when F has no time) */
double probe_share__fraction(const struct probe_share_func *f, const struct probe_cost *pc);
/* the probe hits per thread, greenlets merged, by pid then tid: *OUT
 * (malloc'd, to free) and its length, or -ENOMEM */
int probe_share__threads(const struct probe_share *ps, struct probe_share_thread **out,
			 size_t *n);
void probe_share__free(struct probe_share *ps);
#endif
