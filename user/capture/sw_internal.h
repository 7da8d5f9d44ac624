/* SPDX-License-Identifier: MIT */
/*
 * The system-wide session's state (-a, and --subprocesses), shared by
 * user/capture/session_all.c (the session: start, poll, end) and
 * user/capture/sw_procs.c (which processes it traces, and how each is
 * registered and described: the essay is session_all.c's).
 */
#ifndef TRACER_SW_INTERNAL_H
#define TRACER_SW_INTERNAL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capture/feed.h"
#include "capture/session.h"
#include "capture/sw_filter.h"
#include "model/model.h"

struct binary_cache;
struct hashmap;
struct launch;
struct probes;
struct sw_bins;
struct tracer_bpf;
struct wall;

/* an exec of a process not known to be Python yet, looked at again */
struct pending_exec {
	uint32_t pid;
	uint32_t tries;
	uint64_t exec_ts;	/* CLOCK_MONOTONIC ns of the exec */
};

struct sw {
	const struct session_opts *o;
	struct tracer_bpf *skel;
	struct outputs *out;
	struct feed feed;
	struct sw_filter filter;
	struct binary_cache *cache;
	struct sw_bins *bins;
	struct probes *sampling;	/* --sample: the perf events of every CPU */
	struct wall *wall;		/* --sample --wall: the ticker */
	struct hashmap *live;		/* pid -> instance of a traced process */
	struct pending_exec *pending;
	size_t n_pending, cap_pending;
	struct in_end end;
	uint64_t traced, exited, untraceable, execs;
	bool walk_loaded;		/* the attach walk's program (Linux 6.1+) */
	/* --subprocesses: the tree's root (the target), launched or not */
	int root, root_pfd;
	bool root_exited;
	struct launch *launch;
};

enum consider { CONSIDERED, NOT_PYTHON };

/* Process PID, found running or exec'd at EXEC_TS (0: found by the scan):
 * probe its file if new, register and describe it unless the BPF side did
 * (--subprocesses: only a process of the tree, not registered yet) */
enum consider sw__consider(struct sw *s, int pid, uint64_t exec_ts);
/* every process of /proc */
void sw__scan(struct sw *s);
/* the ring buffer's callback (CTX: the sw) */
int sw__on_event(void *ctx, void *data, size_t len);
/* look at the execs whose time has come */
void sw__check_pending(struct sw *s);
#endif
