/* SPDX-License-Identifier: MIT */
/*
 * The attach walk (bpf/attach_walk.bpf.h): every thread's running frames,
 * read once at the attach instant, so that a thread that makes no call
 * during the session (blocked in a sleep, a lock, a deadlock) still shows
 * its open frames. Its verdicts (TR_EV_ATTACH_WALK) are read by the feed
 * (attach_walk__keep), which drops the frames of a thread whose own first
 * event walked them.
 */
#ifndef TRACER_ATTACH_WALK_H
#define TRACER_ATTACH_WALK_H
#include <stdbool.h>
#include <stddef.h>
#include "capture/target.h"

struct tracer_bpf;
struct hashmap;

/* What the walk needs of attached target T: where its thread-state key
 * lives (T->cfg.tss_key_addr) and a kernel with a pid-filtered sleepable
 * task iterator (Linux 6.1). True when it can run; else false, and a
 * warning of T says what the user does not see. Before T is registered. */
bool attach_walk__plan(struct target *t);
/* Run the walk once, over the threads of T (registered, the session's
 * switch on): once per process (-a: each one found running or after its
 * exec). A failure is a warning of T (before it is described). With
 * VERBOSE, say what it found. */
void attach_walk__run(struct tracer_bpf *skel, struct target *t, bool verbose);
/* Whether the program NAME of the object is to be loaded for the walk:
 * false for the walk's program that is not this kernel's (attach_walk
 * needs Linux 6.8, attach_walk_61 serves 6.1-6.7: bpf/attach_walk.bpf.h),
 * true for any other name. */
bool attach_walk__loads(const char *name);
/* The feed's filter: false when the event DATA (LEN bytes) is not to be
 * passed on (a verdict, or a frame of a rejected walk). *REJECTED: the
 * threads whose walk was rejected (made on the first). -ENOMEM in *ERR. */
bool attach_walk__keep(struct hashmap **rejected, const void *data, size_t len, int *err);
#endif
