/* SPDX-License-Identifier: MIT */
/*
 * What a probe hit costs the traced thread in this session (the observer
 * effect, docs/observer-effect.md): the session's own call programs' run
 * time, measured by the kernel's BPF statistics while the session runs,
 * and the trap of a uprobe (and uretprobe), calibrated in the tracer's own
 * process while the session's programs load.
 */
#ifndef TRACER_CAPTURE_PROBE_COST_H
#define TRACER_CAPTURE_PROBE_COST_H
#include "capture/target.h"
#include "model/probe_cost.h"

struct tracer_bpf;
struct outputs;
struct probe_cost_meter;

/* Before the programs are loaded (SKEL opened): turn the BPF statistics on
 * for the session's time (a file descriptor the kernel counts while it is
 * open) and start calibrating the traps in a thread. NULL when T's calls
 * are not probed or out of memory; a meter that could not turn them on
 * says so at the end. */
struct probe_cost_meter *probe_cost__start(struct tracer_bpf *skel, const struct target *t,
					   bool subtract);
/* --subtract-probe-cost (SUBTRACT at the start), before the probes go
 * live: wait for the calibration and fill PC's traps, their split around
 * the timestamp and the single-step's extra cost (PC->subtracted). 0, or
 * -1 with ERR saying why it cannot be done (the session is refused). */
int probe_cost__calibrated(struct probe_cost_meter *m, struct probe_cost *pc, char *err,
			   size_t errlen);
/* While the session runs: PC's BPF run times, the means so far, handed to
 * OUT's analysis (each poll of the events, before they are analysed). */
void probe_cost__refresh(struct probe_cost_meter *m, struct probe_cost *pc, struct outputs *out);
/* said before tracing: the calibrated parts of PC (the BPF part comes as
 * measured) */
void probe_cost__say_subtract(const struct probe_cost *pc);
/* At the stop switch, before the probes are removed: read the call
 * programs' run time and count (NULL: nothing). */
void probe_cost__read(struct probe_cost_meter *m);
/* At the end: fill PC (waits for the calibration if still running; NULL:
 * PC says nothing measured). */
void probe_cost__finish(struct probe_cost_meter *m, struct probe_cost *pc);
/* Turn the statistics off, free M (NULL: nothing). */
void probe_cost__free(struct probe_cost_meter *m);
#endif
