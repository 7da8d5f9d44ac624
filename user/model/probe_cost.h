/* SPDX-License-Identifier: MIT */
/*
 * What one probe hit cost the traced thread in this session (the observer
 * effect, docs/observer-effect.md): measured by the live session
 * (user/capture/probe_cost.c), handed to the outputs with the end of the
 * session. A call costs its entry event and its return event.
 */
#ifndef TRACER_MODEL_PROBE_COST_H
#define TRACER_MODEL_PROBE_COST_H
#include <stdbool.h>
#include <stdint.h>

struct probe_cost {
	/* false: nothing measured (sampling, -a, a recording, or the
	 * measurement failed: NOTE says why when known) */
	bool measured;
	/* the traps, calibrated in the tracer's own process while the session
	 * starts (an estimate for the target's probe sites): an emulated
	 * uprobe at the entry, the entry's uprobe or uretprobe at the return */
	double trap_entry_ns, trap_return_ns;
	/* the session's own call programs, measured by the kernel (BPF
	 * statistics): run_time_ns / run_cnt, and run_cnt */
	double bpf_entry_ns, bpf_return_ns;
	uint64_t bpf_entry_runs, bpf_return_runs;
	/* the USDT line probe (3.11: on for the entry probe to fire): its hits
	 * (not attributed to functions) and the cost of one (trap + BPF) */
	uint64_t line_runs;
	double line_ns;
	/* of each trap, the part before the BPF program reads the clock (the
	 * event's timestamp): calibrated with a program that reads it; the
	 * rest of the trap comes after the timestamp */
	double trap_entry_before_ns, trap_return_before_ns;
	/* a hit of a site the kernel single-steps (the dispatch strategy's
	 * slow sites, TR_RET_SLOW_SITE) costs this much more than an emulated
	 * one's, all after the timestamp: calibrated on a non-emulated
	 * instruction; < 0 not calibrated */
	double slow_extra_ns;
	int slow_sites;		/* the session's single-stepped sites */
	/* --subtract-probe-cost: the aggregate outputs' times had these costs
	 * subtracted (user/analysis/probe_subtract.c) */
	bool subtracted;
	uint64_t slow_hits;	/* returns from single-stepped sites (counted
				 * by the analysis when subtracted) */
	/* hits that make no event, so that no function can be charged: the
	 * dispatch strategy's uprobe on the evaluator's entry, there only
	 * where gen.throw()'s branch has no site of its own
	 * (cpython/throw_site.c), hit at every entry of
	 * _PyEval_EvalFrameDefault (C calling Python; on 3.11 every generator
	 * resumption), and their cost each (trap + BPF): not subtracted, said */
	uint64_t silent_hits;
	double silent_ns;
	char return_kind[16];	/* "uprobe", "uretprobe" */
	/* what the numbers leave out (single-stepped sites...), "" none */
	char note[256];
};

static inline double probe_cost__entry_ns(const struct probe_cost *c)
{
	return c->trap_entry_ns + c->bpf_entry_ns;
}

static inline double probe_cost__return_ns(const struct probe_cost *c)
{
	return c->trap_return_ns + c->bpf_return_ns;
}

/*
 * The split of an event's cost around its timestamp (docs/observer-effect.md):
 * the trap's part before the BPF program reads the clock, and the program
 * (the event's clock is read when it is filled, after the program's reads),
 * fall before it, on the function running before the event; the trap's
 * return to user space, and a single-step, after it.
 */
static inline double probe_cost__entry_before_ns(const struct probe_cost *c)
{
	return c->trap_entry_before_ns + c->bpf_entry_ns;
}

static inline double probe_cost__entry_after_ns(const struct probe_cost *c)
{
	return c->trap_entry_ns - c->trap_entry_before_ns;
}

static inline double probe_cost__return_before_ns(const struct probe_cost *c)
{
	return c->trap_return_before_ns + c->bpf_return_ns;
}

/* SLOW: from a single-stepped site */
static inline double probe_cost__return_after_ns(const struct probe_cost *c, bool slow)
{
	return c->trap_return_ns - c->trap_return_before_ns +
	       (slow && c->slow_extra_ns > 0 ? c->slow_extra_ns : 0);
}
#endif
