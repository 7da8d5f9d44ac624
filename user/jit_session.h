/* SPDX-License-Identifier: MIT */
/*
 * What a session says and reads about a target's JIT code: whether its
 * registrations can be seen live (the build exports
 * PyUnstable_WritePerfMapEntry), what it cannot name (jitdump files), and,
 * when attaching, the registrations already in its /tmp/perf-PID.map.
 */
#ifndef TRACER_JIT_SESSION_H
#define TRACER_JIT_SESSION_H
#include <stdbool.h>
#include <stdint.h>
#include "perf_map.h"
#include "target.h"

/* add T's warnings about JIT code (call after the other plans) */
void jit_session__plan(struct target *t, bool sampling);
/* attach mode (after the registration uprobe is attached): read T's perf
 * map into OUT (empty when there is none or it is refused: then a warning
 * says why; its ranges go to the stream with perf_map__parse once the
 * process is described). 0 or -ENOMEM. */
int jit_session__read_perf_map(struct target *t, struct perf_map *out);
#endif
