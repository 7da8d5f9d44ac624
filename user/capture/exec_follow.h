/* SPDX-License-Identifier: MIT */
/*
 * The process of a -p or launch session execs: its instance ends there
 * (bpf/procs.bpf.h sends a TR_EV_EXIT flagged exec). A new image of the
 * same interpreter file is followed: the process's pid-filtered probes stay
 * armed across the exec, and their first hit in the new image makes its
 * new instance (TR_EV_PROC, from the file's template in bins[0]), described
 * here. Any other image is not traced: said once, on the terminal and in
 * the outputs' warnings, with the time of the exec.
 */
#ifndef TRACER_EXEC_FOLLOW_H
#define TRACER_EXEC_FOLLOW_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct exec_follow;
struct feed;
struct in_end;
struct target;
struct tracer_bpf;

/* T: the session's target (kept by the caller); FOLLOW: the session set
 * bins[0] and solo_follow (else every exec ends the tracing of T).
 * NULL: out of memory */
struct exec_follow *exec_follow__new(struct feed *feed, const struct target *t, bool follow);
/* after the BPF object's load (solo_follow set): the template a new
 * image's first hit makes its entry from (bins[0]), and the instances it
 * draws start after TR_SOLO_INSTANCE. 0, or -errno with ERR said */
int exec_follow__arm(struct tracer_bpf *skel, const struct target *t, char *err,
		     size_t errlen);
/* the ring buffer callback (CTX: the exec_follow): TR_EV_PROC and exec
 * ends looked at here, every record handed to the feed */
int exec_follow__event(void *ctx, void *data, size_t len);
/* an exec not followed yet: said not traced once its new image shows it
 * will not be (the file not mapped half a second after the exec), or at
 * AT_END */
void exec_follow__check(struct exec_follow *x, bool at_end);
/* what was said, into END's warnings */
void exec_follow__end(const struct exec_follow *x, struct in_end *end);
void exec_follow__free(struct exec_follow *x);
#endif
