/* SPDX-License-Identifier: MIT */
/* A live session's poll loop: the ring buffer and what follows the target
 * while it is traced (user/capture/session.c runs it). */
#ifndef TRACER_CAPTURE_SESSION_POLL_H
#define TRACER_CAPTURE_SESSION_POLL_H
#include <stdbool.h>
#include "capture/probe_cost.h"

struct ring_buffer;
struct wall;
struct jit_dump_follow;
struct exec_follow;
struct status_line;
struct thread_names;
struct async_tasks;
struct children;
struct outputs;

/* --subtract-probe-cost: what is subtracted from the events about to be
 * read, the BPF programs' means so far (user/analysis/probe_subtract.h) */
struct session_subtract {
	struct probe_cost_meter *meter;
	struct probe_cost cost;		/* .subtracted: on */
	struct outputs *out;
};
void session_subtract__refresh(struct session_subtract *sb);

/* Poll until the target exits, the timer fires or a signal comes; run the
 * ticks of WALL (--wall) as they fall due; follow the target's jitdump;
 * say what became of an exec of the target (X). The reason it stopped;
 * *EXITED when the target exited. */
const char *session__poll(struct ring_buffer *rb, int sfd, int pfd, int tfd,
			     struct wall *wall, struct jit_dump_follow *jf,
			     struct exec_follow *x, struct status_line *sl,
			     struct thread_names *names, struct async_tasks *at,
			     struct children *ch, struct session_subtract *sb, bool *exited);
#endif
