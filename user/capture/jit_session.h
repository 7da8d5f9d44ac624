/* SPDX-License-Identifier: MIT */
/*
 * What a session says and reads about a target's JIT code: whether its
 * registrations can be seen live (the build exports
 * PyUnstable_WritePerfMapEntry); when attaching, the registrations already
 * in its /tmp/perf-PID.map; and the jitdump file it maps, found when it
 * appears and followed as it grows.
 */
#ifndef TRACER_JIT_SESSION_H
#define TRACER_JIT_SESSION_H
#include <stdbool.h>
#include <stdint.h>
#include "os/jitdump_file.h"
#include "os/perf_map.h"
#include "capture/target.h"

/* add T's warnings about JIT code (call after the other plans) */
void jit_session__plan(struct target *t, bool sampling);
/* attach mode (after the registration uprobe is attached): read T's perf
 * map into OUT (empty when there is none or it is refused: then a warning
 * says why; its ranges go to the stream with perf_map__parse once the
 * process is described). 0 or -ENOMEM. */
int jit_session__read_perf_map(struct target *t, struct perf_map *out);

/* A process's jitdump over the session (zeroed, then ..._start) */
struct jit_dump_follow {
	int pid;
	uint64_t attach_ts;
	perf_map_fn fn;		/* where the code loads go (the stream) */
	void *ctx;
	struct jitdump_file f;
	bool open;		/* found and opened: F is read */
	bool done;		/* refused or failed (said): not looked for */
	bool said_broken;
	uint64_t next_scan;	/* CLOCK_MONOTONIC ns of the next look */
	uint64_t scan_every;	/* ns between looks (doubling), 0: not looked yet */
	/* what went wrong, said on stderr when found, in the outputs at the
	 * end (in_end.warnings) */
	uint32_t n_warnings;
	char warnings[IN_MAX_WARNINGS][256];
};

/* Start following T's jitdump (after the process was described, so its
 * code loads can go to FN): look for it now and read what it holds (code
 * loads written before the attach get ATTACH_TS). 0, or FN's error. */
int jit_session__follow_start(struct jit_dump_follow *jf, const struct target *t,
			      uint64_t attach_ts, perf_map_fn fn, void *ctx);
/* In each turn of the event loop, before the ring buffer is read: look for
 * the jitdump again when due (until found), read what was appended. 0, or
 * FN's error. */
int jit_session__follow(struct jit_dump_follow *jf);
/* At the end, before the last events are read (EXITED: the process is
 * gone, its maps with it): read the rest, say what the file held, and put
 * the warnings into END. 0, or FN's error. */
int jit_session__follow_end(struct jit_dump_follow *jf, bool exited, struct in_end *end);
void jit_session__follow_free(struct jit_dump_follow *jf);
#endif
