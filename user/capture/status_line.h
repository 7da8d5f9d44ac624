/* SPDX-License-Identifier: MIT */
/*
 * A status line on stderr while a -p/launch session runs, when stderr is a
 * terminal: events/s, events lost, time since tracing began, redrawn in
 * place about once a second and erased at the end (so what follows, and
 * any message, starts on a clean line). Nothing when stderr is a file or
 * a pipe.
 */
#ifndef TRACER_STATUS_LINE_H
#define TRACER_STATUS_LINE_H
#include <stdint.h>

struct status_line;

/* EVENTS: the session's count of events read; DROPS: the BPF side's drop
 * counters (TR_DROP__COUNT of them), read as they change. NULL when stderr
 * is not a terminal, when process PID writes to the same terminal (its
 * stdout or stderr: a line redrawn in place would mangle its output), or
 * out of memory; every call below accepts NULL. */
struct status_line *status_line__new(int pid, const uint64_t *events,
				     const volatile void *drops);
/* redraw when a second has passed since the last time; call often */
void status_line__tick(struct status_line *sl);
/* erase the line and free SL */
void status_line__end(struct status_line *sl);
#endif
