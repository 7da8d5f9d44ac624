/* SPDX-License-Identifier: MIT */
/*
 * Wall-clock sampling (--wall): the ticker. A timerfd expires HZ times a
 * second; at each expiration the session's poll loop calls wall__tick,
 * which reads the sampling iterator (bpf/sample.bpf.h, sample_wall) once:
 * every thread of the target is sampled, running or not. Each tick's
 * samples weigh the real time since the previous tick (user/model/wall_ticks.h).
 */
#ifndef TRACER_WALL_H
#define TRACER_WALL_H
#include <stddef.h>
#include "model/wall_ticks.h"

struct tracer_bpf;
struct wall;

/* Can this kernel sample wall-clock? 0, or -ENOTSUP and why in ERR (a
 * pid-filtered task iterator needs Linux 6.1; bpf_copy_from_user_task
 * 5.18). */
int wall__check_kernel(char *err, size_t errlen);
/* Attach the iterator to process PID (registered already; 0 under -a:
 * every task, sampled when its process is in `procs`) and start a timer of
 * HZ: 0 or -errno and ERR. */
int wall__start(struct tracer_bpf *skel, int pid, unsigned hz, struct wall **out, char *err,
		size_t errlen);
/* the timer's fd: readable when a tick is due */
int wall__fd(const struct wall *w);
/* Run the tick that is due (reads the timer): 0 or -errno. */
int wall__tick(struct wall *w);
/* the ticks so far */
const struct wall_ticks *wall__ticks(const struct wall *w);
/* Stop ticking and detach (NULL is fine). */
void wall__stop(struct wall *w);
#endif
