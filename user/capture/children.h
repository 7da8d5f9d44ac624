/* SPDX-License-Identifier: MIT */
/*
 * Without --subprocesses, a -p or launch session traces one process; the
 * Python processes its tree starts (fork, fork + exec of an interpreter,
 * multiprocessing, subprocess) run untraced. They are counted here, from
 * the tree's forks and execs (TR_EV_FORK, TR_EV_EXEC: bpf/procs.bpf.h,
 * tree_watch), and the count said at the end with the flag that follows
 * them: on stderr and in the outputs' warnings.
 *
 * A child is a Python process when it was forked (not vforked: it has
 * memory of its own) by a Python process of the tree and did not exec (it
 * runs the parent's interpreter), or when the image it exec'd maps a
 * CPython interpreter (looked at as the record is read, then 5, 25, 100
 * and 500 ms after the exec: ld.so maps libpython after the exec). A
 * child gone by then is judged by the file it exec'd (an interpreter, or a
 * program that needs libpython3); one whose file is not known (a relative
 * path, not found) is counted apart, as not known.
 */
#ifndef TRACER_CHILDREN_H
#define TRACER_CHILDREN_H
#include <stddef.h>

struct children;
struct in_end;
struct tracer_bpf;

/* ROOT: the traced process (its own execs are exec_follow's). NULL: out
 * of memory */
struct children *children__new(int root);
/* a descendant of ROOT running at attach (user/capture/sw_tree.h) */
void children__running(void *c, int pid);
/* the ring buffer's records: TR_EV_FORK and TR_EV_EXEC are taken here
 * (1), any other is left to the caller (0) */
int children__event(struct children *c, const void *data, size_t len);
/* look again at the execs whose time has come */
void children__tick(struct children *c);
/* say the count (if any) on stderr and in END's warnings */
void children__end(struct children *c, struct in_end *end);
void children__free(struct children *c);
#endif
