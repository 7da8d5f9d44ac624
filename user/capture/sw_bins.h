/* SPDX-License-Identifier: MIT */
/*
 * The interpreter files a system-wide session (-a) probes: each file's
 * programs are attached once, for every process that maps it (pid -1),
 * with its configuration as a template in the BPF `bins` map (see
 * bpf/procs.bpf.h). A file that cannot be traced exactly under -a is kept
 * too, with the reason, so its processes are refused without analysing it
 * again.
 */
#ifndef TRACER_SW_BINS_H
#define TRACER_SW_BINS_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "capture/target.h"

struct tracer_bpf;
struct sw_bins;

struct sw_bin {
	uint32_t id;		/* the cookies' upper half, the `bins` key (from 1) */
	dev_t dev;		/* the file, as stat sees it from here */
	ino_t ino;
	int fd;			/* the file, open: probes attach to /proc/self/fd/FD */
	/* the first process of the file inspected: its strategy is the
	 * file's, its warnings are said for every process of the file */
	struct target tmpl;
	uint64_t attach_ts;	/* CLOCK_MONOTONIC ns its probes were all active */
	size_t links;
	char refused[384];	/* not traced: why ("" when traced) */
};

/* CALLS: the files' call probes too; else (--sample) only what every
 * session needs (probes__attach_file); VERBOSE (-v): each file's dispatch
 * probe sites listed when it is probed */
struct sw_bins *sw_bins__new(struct tracer_bpf *skel, bool calls, bool verbose);
/* The file of process T (inspected, with its strategy chosen): the known
 * entry, or a new one, analysed and attached now (said on stderr). NULL
 * with errno ESRCH when the file cannot be opened (the process is gone),
 * ENOMEM when out of memory. */
const struct sw_bin *sw_bins__of(struct sw_bins *b, const struct target *t);
/* The entry of bin_id ID, or NULL */
const struct sw_bin *sw_bins__by_id(const struct sw_bins *b, uint32_t id);
/* files probed, and their links */
size_t sw_bins__probed(const struct sw_bins *b, size_t *links);
/* detach everything (slow: ~0.1 s per link on some kernels) and free */
/* Remove every file's probes; the table stays, for the events still in
 * the ring buffer that name a file by its id (drain, then free). */
void sw_bins__detach(struct sw_bins *b);
void sw_bins__free(struct sw_bins *b);
#endif
