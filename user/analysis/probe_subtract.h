/* SPDX-License-Identifier: MIT */
/*
 * --subtract-probe-cost (docs/observer-effect.md): the calibrated cost of
 * each probe hit taken out of the times the aggregate outputs compute.
 *
 * Each thread keeps a running sum of the probe cost it has paid so far, in
 * the order of its events. A hit's cost is split around its timestamp: the
 * part before it (the trap's way in, the BPF program) is added before the
 * event's time is corrected, the part after it (the trap's way back, and
 * a single-stepped site's extra cost) after. A corrected time is the
 * measured one less the sum: each call's start and end move back by what
 * the thread's probes cost before them, so a call's duration loses exactly
 * the costs that fell between its timestamps, and its self time the costs
 * that fell outside its callees' (the costs split at each edge go to the
 * function that ran then).
 *
 * The sum grows per thread: corrected times of two threads drift apart,
 * which is why only the aggregate sinks get them; the timeline sinks
 * (sink_ops.timeline) get the measured times.
 */
#ifndef TRACER_ANALYSIS_PROBE_SUBTRACT_H
#define TRACER_ANALYSIS_PROBE_SUBTRACT_H
#include <stdbool.h>
#include <stdint.h>
#include "model/probe_cost.h"

struct probe_split {
	bool on;
	double entry_before, entry_after;	/* ns */
	double return_before, return_after;
	double slow_after;			/* more, after a single-stepped return */
};

/* the split of the costs PC (on when PC->subtracted) */
void probe_subtract__set(struct probe_split *sp, const struct probe_cost *pc);

/* a time TS of a thread whose probes cost SHIFT ns before it, corrected
 * (never below FLOOR) */
static inline uint64_t probe_subtract__time(uint64_t ts, double shift, uint64_t floor)
{
	uint64_t s = shift > 0 ? (uint64_t)(shift + 0.5) : 0;
	uint64_t t = ts > s ? ts - s : 0;

	return t < floor ? floor : t;
}
#endif
