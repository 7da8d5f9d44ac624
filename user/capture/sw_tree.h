/* SPDX-License-Identifier: MIT */
/*
 * The process tree of a -p or launch session: the process it traces (the
 * root) and its descendants, in the BPF map tree_pids (bpf/procs.bpf.h).
 * The root and the descendants running at the start are put there from
 * here; proc_fork adds every process forked by one of the tree from then
 * on, before it runs, and proc_exit takes out those that exit.
 */
#ifndef TRACER_SW_TREE_H
#define TRACER_SW_TREE_H
#include <stdbool.h>
#include <stddef.h>

struct tracer_bpf;

/* put PID in the tree: 0 or -errno */
int sw_tree__add(struct tracer_bpf *skel, int pid);
bool sw_tree__has(struct tracer_bpf *skel, int pid);
/* Put ROOT's descendants running now in the tree (proc_fork attached
 * before, so none is missed: a fork after a parent is in the tree is
 * seen there, one before is in /proc; /proc is read until a pass finds
 * no new one). FN(CTX, PID) for each one added (FN may be NULL). The
 * number added, or -errno. A process whose parent exited before (it was
 * given to an init or subreaper) is not ROOT's any more: not found. */
int sw_tree__add_running(struct tracer_bpf *skel, int root, void (*fn)(void *ctx, int pid),
			 void *ctx);
struct launch;
/* --subprocesses -- ARGV: launch ARGV and follow it through its execs
 * (wrappers: env, sh -c) to the entry point of a CPython image, stopped
 * there (user/capture/launch.h), in the tree from its start. 0 and *L; or
 * -errno with ERR (*L then NULL: the command was killed and reaped). */
int sw_tree__launch(struct tracer_bpf *skel, char *const argv[], struct launch **l, char *err,
		    size_t errlen);
#endif
