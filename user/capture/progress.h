/* SPDX-License-Identifier: MIT */
/*
 * The start of a session, phase by phase ("loading the BPF programs",
 * "attaching probes"): on a terminal, a progress line once it has taken
 * more than 0.3 s (erased at the end); with -v, each phase's time.
 */
#ifndef TRACER_PROGRESS_H
#define TRACER_PROGRESS_H
#include <stdbool.h>

struct progress;

/* start timing (VERBOSE: say each phase's time at the end); NULL when out
 * of memory, which the other calls accept (nothing is shown) */
struct progress *progress__start(bool verbose);
/* a new phase begins; WHAT: a string literal */
void progress__phase(struct progress *p, const char *what);
/* the start is over: erase the line, say the times (-v), free P */
void progress__end(struct progress *p);
#endif
