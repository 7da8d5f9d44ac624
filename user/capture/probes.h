/* SPDX-License-Identifier: MIT */
/* Attaching a target's probes (per its strategy) and detaching them. */
#ifndef TRACER_PROBES_H
#define TRACER_PROBES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "capture/target.h"

struct tracer_bpf;
struct probes;
struct bpf_link;
struct bpf_object;

/* What a session attaches, as a set of uses: each program of the BPF
 * object serves one (the table in probes.c). */
enum {
	PROBES_USE_EXEC = 1 << 0,	/* an exec of a traced process */
	PROBES_USE_EXIT = 1 << 1,	/* the end of a process (-a) */
	PROBES_USE_DEALLOC = 1 << 2,	/* code objects freed */
	PROBES_USE_JIT = 1 << 3,	/* JIT (perf map) registrations */
	PROBES_USE_COVER = 1 << 4,	/* the coverage bootstrap's hand-over */
	PROBES_USE_USDT = 1 << 5,	/* calls: the USDT strategy */
	PROBES_USE_USDT_LINE = 1 << 6,	/* the USDT line probe */
	PROBES_USE_EVAL = 1 << 7,	/* calls: the eval strategy */
	PROBES_USE_DISPATCH = 1 << 8,	/* calls: the dispatch strategy */
	PROBES_USE_RT_USDT = 1 << 9,	/* GC and imports through USDT */
	PROBES_USE_RT_UPROBE = 1 << 10,	/* GC and imports through uprobes */
	PROBES_USE_SAMPLE_CPU = 1 << 11,	/* --sample */
	PROBES_USE_SAMPLE_WALL = 1 << 12,	/* --sample --wall */
	PROBES_USE_ATTACH_WALK = 1 << 13,	/* running frames at attach (capture/attach_walk.h) */
	PROBES_USE_FORK = 1 << 14,	/* the session's process tree (capture/sw_tree.h) */
	PROBES_USE_CCALLS = 1 << 15,	/* --c-calls (capture/ccalls.h); not in PROBES_USE_CALLS */
	PROBES_USE_CCALLS_EVAL = 1 << 16,	/* --c-calls on 3.8-3.10; not in PROBES_USE_CALLS */
	PROBES_USE_CALLS = PROBES_USE_COVER | PROBES_USE_USDT | PROBES_USE_USDT_LINE |
			   PROBES_USE_EVAL | PROBES_USE_DISPATCH | PROBES_USE_RT_USDT |
			   PROBES_USE_RT_UPROBE,
};
/* the uses of a session on T: what probes__attach (CALLS) or
 * probes__register (not CALLS) attaches, and the exec tracepoint */
unsigned probes__uses(const struct target *t, bool calls);
/* Before load: load only the programs of OBJ that serve one of USES (and
 * any the table does not know). 0 or -errno. */
int probes__load_only(struct bpf_object *obj, unsigned uses);

/* Register T in the `procs` map and attach its strategy's programs, with a
 * PID filter. Return probes are attached before entry probes, so a call
 * seen entering is always seen returning. -errno and ERR on failure (then
 * nothing is left attached). */
int probes__attach(struct tracer_bpf *skel, const struct target *t, struct probes **out,
		   char *err, size_t errlen);
/* Only register T in `procs` and attach what any session needs before its
 * own programs (the code_dealloc uprobe): for --sample (user/capture/sampler.c),
 * which adds its links with probes__add_link. -errno and ERR on failure. */
int probes__register(struct tracer_bpf *skel, const struct target *t, struct probes **out,
		     char *err, size_t errlen);
/* Attach what any session needs (as probes__register) and, with CALLS,
 * T's strategy's programs, for every process that maps T's file, now or
 * later (pid -1; -a), with BIN_ID in their cookies. T is a process of the
 * file, inspected with the file's strategy; nothing goes into `procs` (see
 * bpf/procs.bpf.h). -errno and ERR on failure. */
int probes__attach_file(struct tracer_bpf *skel, const struct target *t, uint32_t bin_id,
			bool calls, struct probes **out, char *err, size_t errlen);
/* links of no process or file (-a --sample's perf events), to add with
 * probes__add_link; NULL when out of memory */
struct probes *probes__new(struct tracer_bpf *skel);
/* the probe sites attached (a uprobe_multi link holds several) */
size_t probes__count(const struct probes *p);
/* keep link L (NULL or an error: say WHAT could not be attached): 0 or
 * -errno and ERR; L is detached with the others */
int probes__add_link(struct probes *p, struct bpf_link *l, const char *what,
		     char *err, size_t errlen);
/* Detach everything, all links at once (user/capture/link_batch.c: in no
 * order, so the session's switch is stopped first unless the probes never
 * went live), and forget the process. */
void probes__detach(struct probes *p);
/* probes__detach of the N sets of PS at once (NULLs skipped), each entry
 * set to NULL */
void probes__detach_many(struct probes **ps, size_t n);
#endif
