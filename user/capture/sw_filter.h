/* SPDX-License-Identifier: MIT */
/*
 * Which processes a system-wide session (-a) traces: --comm NAME (the
 * process's name, /proc/PID/comm; repeatable), --cgroup PATH (a cgroup v2
 * directory: processes in it or below), --exclude-pid PID (repeatable;
 * the tracer itself always). The same filters run in BPF for processes
 * started later (bpf/procs.bpf.h), and here for the ones found running.
 */
#ifndef TRACER_SW_FILTER_H
#define TRACER_SW_FILTER_H
#include <stdbool.h>
#include <stddef.h>
#include "capture/session.h"

struct tracer_bpf;

struct sw_filter {
	const struct session_opts *o;
	int cgroup_fd;		/* --cgroup's directory, -1 without */
	char cgroup_rel[512];	/* its path below the cgroup2 mount ("" = the root) */
};

/* check the options (a --cgroup PATH must be a cgroup v2 directory): 0,
 * or -errno with the reason in ERR */
int sw_filter__init(struct sw_filter *f, const struct session_opts *o, char *err, size_t errlen);
void sw_filter__free(struct sw_filter *f);
/* the BPF side's knobs (before load), then its maps (after: 0 or -errno) */
void sw_filter__configure(const struct sw_filter *f, struct tracer_bpf *skel);
int sw_filter__fill_maps(const struct sw_filter *f, struct tracer_bpf *skel);
/* does running process PID pass? */
bool sw_filter__wants(const struct sw_filter *f, int pid);
/* "" or a description of the filters for messages */
void sw_filter__describe(const struct sw_filter *f, char *buf, size_t n);
#endif
