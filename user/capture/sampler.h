/* SPDX-License-Identifier: MIT */
/*
 * CPU sampling (--sample): the BPF side's knobs, the target's registration
 * and a cpu-clock perf event with the sampling program on every CPU (see
 * bpf/sample.bpf.h). Used instead of the call probes of user/capture/probes.c.
 */
#ifndef TRACER_SAMPLER_H
#define TRACER_SAMPLER_H
#include <stdbool.h>
#include <stddef.h>
#include "capture/probes.h"
#include "capture/target.h"

#define SAMPLER_DEFAULT_HZ 99
#define SAMPLER_MAX_HZ 10000

struct tracer_bpf;

/* Before the BPF object is loaded: HZ samples per second per CPU (WALL:
 * per thread, by the iterator of user/capture/wall.c), or 0 for a session without
 * sampling. */
int sampler__configure(struct tracer_bpf *skel, unsigned hz, bool wall, bool lines,
			bool free_threaded);
/* a guess, before the target is inspected, of whether PID runs a
 * free-threaded build (a libpython3.Xt mapped): the BPF object loaded
 * meanwhile (capture/bpf_load.c) is then built for one; a wrong guess
 * costs a second load, never behaviour */
bool sampler__guess_free_threaded(int pid);
/* the program uses (capture/probes.h) of sampling at HZ (0: none) */
unsigned sampler__uses(unsigned hz, bool wall);
/* What the walk needs of T: where its thread-state key lives
 * (T->cfg.tss_key_addr) and the bytes of a frame read at once
 * (T->cfg.sample_span). 0, or -ENOTSUP (said in ERR) when the version's
 * runtime layout is unknown or its frame fields do not fit one read. */
int sampler__plan(struct target *t, char *err, size_t errlen);
/* Register T and start sampling its CPU time (no call probe): its links,
 * detached with probes__detach; with WALL only register it (the ticker of
 * user/capture/wall.c samples). -errno and ERR on failure (then nothing is left
 * attached). */
int sampler__attach(struct tracer_bpf *skel, const struct target *t, unsigned hz, bool wall,
		    struct probes **out, char *err, size_t errlen);
/* Start sampling the CPU time of every process in `procs` (-a): a
 * cpu-clock event on every CPU, its links added to P. -errno and ERR. */
int sampler__attach_cpus(struct tracer_bpf *skel, unsigned hz, struct probes *p, char *err,
			 size_t errlen);
struct session_opts;
/* what sampling does not do (yet): recordings and coverage (--include and
 * --omit set o->coverage), refused before any output is made: -EINVAL and
 * ERR */
int sampler__refuse(const struct session_opts *o, char *err, size_t errlen);
#endif
