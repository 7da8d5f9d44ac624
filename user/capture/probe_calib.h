/* SPDX-License-Identifier: MIT */
/*
 * The traps of a uprobe (and uretprobe) calibrated in the tracer's own
 * process (the observer effect, docs/observer-effect.md): part of what a
 * probe hit costs, which the BPF statistics do not see.
 */
#ifndef TRACER_CAPTURE_PROBE_CALIB_H
#define TRACER_CAPTURE_PROBE_CALIB_H
#include <stdbool.h>
#include "model/probe_cost.h"

/* Fill PC's traps (trap_entry_ns, trap_return_ns: with URETPROBE a
 * uretprobe's, else a uprobe's again), less the empty program's run time
 * when STATS_ON (the BPF statistics count it); with SPLIT also their parts
 * before the timestamp and the single-step's extra cost (slow_extra_ns, -1
 * when not calibrated). 0, or -1 with PC->note saying why not (x86-64
 * only). Blocks for tens of ms (uprobes removed wait for RCU). */
int probe_calib__traps(bool uretprobe, bool split, bool stats_on, struct probe_cost *pc);
#endif
