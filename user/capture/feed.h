/* SPDX-License-Identifier: MIT */
/*
 * What a live session reads from the ring buffer goes through a feed: to
 * the coverage session (if any) and to the outputs (recording, analyzer),
 * each event preceded by the description of its thread the first time the
 * thread is seen, so a recording replays exactly.
 */
#ifndef TRACER_FEED_H
#define TRACER_FEED_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct outputs;
struct cover_session;
struct hashmap;

struct feed {
	struct outputs *out;
	struct cover_session *cover;	/* NULL without coverage */
	struct hashmap *threads;	/* pid << 32 | tid of a thread described -> its name */
	struct hashmap *py_names;	/* ... of one not yet described -> its Python name */
	uint64_t last_thread;		/* the key of the previous event's */
	uint64_t new_threads;		/* threads described so far */
	struct hashmap *walk_rejected;	/* capture/attach_walk.h, NULL if none */
	uint64_t events;
};

/* 0 or -ENOMEM */
int feed__init(struct feed *f, struct outputs *out);
void feed__free(struct feed *f);
/* a ring buffer callback (CTX: the feed): hand the event over */
int feed__event(void *ctx, void *data, size_t len);
/* thread PID/TID's Python name (threading.Thread.name) is NAME: its tracks
 * are named so from now on (a thread record again when it is already
 * described and the name changed); 0 or -ENOMEM */
int feed__thread_name(struct feed *f, uint32_t pid, uint32_t tid, const char *name);
/* process PID has ended: its threads are described again if the PID comes
 * back (another process) */
void feed__forget_pid(struct feed *f, uint32_t pid);

/* common set-up of live sessions: libbpf's messages (debug ones with -v),
 * and the checks that the tracer can run here (root, BTF); 0 or 1 after
 * saying why not */
int feed__check_host(bool verbose);
/* SIGINT, SIGTERM and SIGHUP blocked and read from the returned signalfd
 * (-1 and errno on failure) */
int feed__signal_fd(void);
/* a CLOCK_MONOTONIC timerfd firing after SECONDS (REPEAT: then every
 * SECONDS), -1 and errno on failure */
int feed__timer_fd(double seconds, bool repeat);
/* an epoll instance watching the N FDS for input (negative ones skipped),
 * each reported by its fd; -1 and errno on failure */
int feed__epoll(const int *fds, int n);
#endif
