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
#endif
