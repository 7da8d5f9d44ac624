/* SPDX-License-Identifier: MIT */
/*
 * The analyzer turns the input records of a session (processes, threads,
 * raw BPF events, end) into function identities and completed calls, and
 * hands them to the output sinks. Live sessions and `tracer report` use it
 * the same way.
 */
#ifndef TRACER_ANALYZER_H
#define TRACER_ANALYZER_H
#include <stdbool.h>
#include <stddef.h>
#include "model/model.h"
#include "model/probe_cost.h"

struct analyzer;

/* SINKS: N opened sinks, owned by the caller (finished by analyzer__end) */
struct analyzer *analyzer__new(struct sink **sinks, int n);
void analyzer__free(struct analyzer *a);

/* --lines: CPU samples' frames are their function's lines */
void analyzer__set_lines(struct analyzer *a, bool by_line);
/* --subtract-probe-cost: the costs PC (PC->subtracted) taken out of the
 * times the aggregate sinks get, from the next event on (the live session
 * refreshes them as the BPF statistics grow: user/analysis/probe_subtract.h) */
void analyzer__set_probe_cost(struct analyzer *a, const struct probe_cost *pc);

/* Each returns 0, or the first -errno of a sink (processing continues for
 * the other sinks). */
/* a process described: the live one of its pid again (same instance, or
 * one unknown), or a new one (the pid's earlier process, if still live,
 * ended unseen: user/analysis/analyzer_procs.c) */
int analyzer__process(struct analyzer *a, const struct in_process *p);
int analyzer__thread(struct analyzer *a, const struct in_thread *t);
/* EV: a raw BPF event of LEN bytes; malformed events are counted and
 * skipped, so are those of an instance that is not their pid's live
 * process; TR_EV_EXIT ends a process */
int analyzer__event(struct analyzer *a, const void *ev, size_t len);
/* a process's code map: parsed and told to the sinks (a malformed one is
 * said on stderr and skipped: -EINVAL) */
int analyzer__codemap(struct analyzer *a, const struct in_codemap *m);
/* close every open frame at the end time, finish every sink */
int analyzer__end(struct analyzer *a, const struct in_end *e);
/* counters so far (valid after analyzer__end too) */
const struct session_stats *analyzer__stats(const struct analyzer *a);
#endif
