/* SPDX-License-Identifier: MIT */
/*
 * /tmp/perf-PID.map, the perf-map file of a process (`START SIZE NAME`
 * lines, hex numbers): the JIT code it registered before the tracer
 * attached. Read as root, safely (see perf_map.c), parsed with bounds.
 */
#ifndef TRACER_PERF_MAP_H
#define TRACER_PERF_MAP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include "tracer.h"

#define PERF_MAP_MAX_BYTES (64u << 20)	/* a larger file is read up to here */

/* One line (LEN bytes, no newline). 0 and the fields (NAME points into
 * LINE, NAME_LEN bytes, never 0), or -EINVAL: not two hex numbers (an
 * optional 0x, at most 16 digits) and a non-empty name separated by one
 * space, or a range that wraps around the address space. */
int perf_map__parse_line(const char *line, size_t len, uint64_t *start, uint64_t *size,
			 const char **name, size_t *name_len);

/* A perf map as read: its complete lines, what they hold */
struct perf_map {
	char *text;		/* the lines (a last one being written left out) */
	size_t len;
	uint64_t n;		/* ranges */
	uint64_t malformed;	/* lines skipped */
	bool cut;		/* the file was larger than PERF_MAP_MAX_BYTES */
	bool predates;		/* created before the process started: its
				 * first lines may be an earlier process's */
};

/*
 * Whose a perf map is. CPython appends to /tmp/perf-PID.map and nothing
 * removes it when the process ends, so the file of a process that had the
 * same PID before stays there. From the file's birth (0: unknown) and last
 * write, against when the process started (CLOCK_BOOTTIME ns, the start
 * rounded down to a clock tick; PERF_MAP_CLOCK_SLACK_NS of leeway for the
 * wall clock having been set since): PERF_MAP_STALE when it was last
 * written before the process started (none of its lines are this
 * process's), PERF_MAP_PREDATES when it was created before but written
 * since (its first lines may be the earlier process's).
 */
enum perf_map_age { PERF_MAP_OWN, PERF_MAP_PREDATES, PERF_MAP_STALE };
#define PERF_MAP_CLOCK_SLACK_NS 1000000000ull
enum perf_map_age perf_map__age(uint64_t birth, uint64_t mtime, uint64_t start);

/* a TR_EV_JIT record made from a line: 0 to go on, else stop with it (the
 * signature of the ring buffer's callback, so that records go where the
 * stream's go) */
typedef int (*perf_map_fn)(void *ctx, void *rec, size_t len);

/* Make E a TR_EV_JIT record of code [ADDR, ADDR + SIZE) named NAME (LEN
 * bytes, cut to TR_JIT_NAME_MAX - 1 and flagged TR_JIT_NAME_TRUNC when
 * longer), registered by TID of PID at TS, with FLAGS (TR_JIT_*): the one
 * record every reader of JIT registrations makes (perf maps, jitdumps). */
void perf_map__record(struct tr_ev_jit *e, uint32_t pid, uint32_t tid, uint64_t ts,
		      uint32_t flags, uint64_t addr, uint32_t size, const char *name, size_t len);

/* Parse TEXT (LEN bytes, a last line without a newline included): for each
 * range, FN (when not NULL) gets a record of process PID at time TS (flag
 * TR_JIT_PERF_MAP), and *N_RANGES is incremented; *MALFORMED for each bad
 * line (either pointer may be NULL). 0 or what FN returned. */
int perf_map__parse(const char *text, size_t len, uint32_t pid, uint64_t ts,
		    perf_map_fn fn, void *ctx, uint64_t *n_ranges, uint64_t *malformed);

/*
 * Open DIR/perf-PID.map for reading, refusing what the process's user could
 * have planted to make root read something else: DIR is opened without
 * following a symlink, the file too (O_NOFOLLOW, openat from DIR), without
 * blocking (a FIFO), and then it must be a regular file owned by one of
 * UIDS (owned_file__check). An fd, -ENOENT when there is none, or another -errno with the
 * reason in ERR (-EPERM: the owner is not the process's).
 */
int perf_map__open(const char *dir, int pid, const uid_t uids[4], char *err, size_t errlen);

/* Open (as above, in /tmp) and read the perf map of PID, its lines counted.
 * 0 (OUT filled, maybe empty), -ENOENT (no file), -ESTALE (an earlier
 * process's: see perf_map__age), or -errno with the reason in ERR. */
int perf_map__read(int pid, struct perf_map *out, char *err, size_t errlen);
void perf_map__free(struct perf_map *m);
#endif
