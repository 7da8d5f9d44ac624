/* SPDX-License-Identifier: MIT */
/*
 * Python thread names on a session's tracks: the names `threading` gives
 * the target's threads (Thread.name: "MainThread", "worker-1"), read from
 * outside (user/capture/py_stacks.h, no probe) while the session runs and
 * handed to the feed, which names (or renames) each thread's tracks with
 * them. A thread without one (not a threading.Thread, or gone before it
 * was read) keeps its OS name, /proc/PID/task/TID/comm.
 */
#ifndef TRACER_THREAD_NAMES_H
#define TRACER_THREAD_NAMES_H
#include <stdbool.h>
#include <stdint.h>

struct target;
struct feed;

struct thread_names {
	const struct target *t;
	struct feed *feed;
	uint64_t last_ns;	/* the last read (CLOCK_MONOTONIC) */
	uint64_t fast_until;	/* read often until then: a new thread was seen */
	uint64_t threads_seen;	/* feed->new_threads at the last read */
	uint32_t reads, named;	/* reads done, names handed over (for -v) */
	bool off;		/* this interpreter's names cannot be read */
};

void thread_names__init(struct thread_names *n, const struct target *t, struct feed *f);
/* read the names when due (FORCE: now): within ~20 ms of a new thread's
 * first event for a while, else once a second; 0 or -ENOMEM */
int thread_names__tick(struct thread_names *n, bool force);
#endif
