// SPDX-License-Identifier: MIT
/*
 * CPU samples (TR_EV_SAMPLE, --sample): each frame's code object becomes
 * its function with the identity in force at that point of the stream (the
 * TR_EV_CODE sent before, so a code object freed since, or its address
 * reused, keeps its name); the stack is interned outermost first like the
 * stacks of calls, so the flame graph and profile formats share them; a
 * stack cut by the BPF walk gets "[truncated]" as its outermost frame, and
 * a --wall stack read while its thread changed it (TR_SAMPLE_UNSTEADY:
 * bpf/sample.bpf.h, wall_walk) "[changed while read]", so that neither
 * looks whole.
 *
 * JIT code: the frame chain only has Python frames. When the sampled
 * thread's user-mode instruction pointer lies in code a JIT registered
 * (TR_EV_JIT: seen live, read from a perf map or a jitdump; kept per
 * process in a jit_map as the stream goes, so an address reused by later
 * code is named by what it held then), the stack gets an innermost frame
 * "[jit] NAME".
 *
 * Each frame's line comes from its instruction offset and its code
 * object's line table (user/analysis/sample_lines.c), 0 when unknown (counted).
 * With --lines, a frame is the line of its function ("qualname:LINE", or
 * "qualname:?"), so every output splits a function by line.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/internal.h"
#include "util/array.h"
#include "analysis/sample_lines.h"

#define TRUNCATED_NAME "[truncated]"
#define UNSTEADY_NAME "[changed while read]"
#define JIT_PREFIX "[jit] "

/* the function "[jit] NAME" of range R (cached in it) */
static int jit_func(struct analyzer *a, struct jit_range *r, uint32_t *id)
{
	char *name;
	int err;

	if (r->func) {
		*id = r->func - 1;
		return 0;
	}
	if (asprintf(&name, JIT_PREFIX "%s", r->name) < 0)
		return -ENOMEM;
	err = analyzer__pseudo_func(a, name, id);
	free(name);
	if (!err)
		r->func = *id + 1;
	return err;
}

int samples__jit(struct analyzer *a, const struct tr_ev_jit *e)
{
	struct proc_st *ps = analyzer__proc(a, e->hdr.pid);
	uint32_t len = e->hdr.size - TR_JIT_FIXED;
	enum jit_source src = e->hdr.flags & TR_JIT_PERF_MAP ? JIT_SRC_PERF_MAP :
			      e->hdr.flags & TR_JIT_JITDUMP ? JIT_SRC_JITDUMP : JIT_SRC_LIVE;
	struct jit_range *r = NULL;
	struct jit_rec rec = {
		.pid = e->hdr.pid, .tid = e->hdr.tid, .ts = e->hdr.ts, .addr = e->addr,
		.size = e->size, .source = src,
		.flags = (src == JIT_SRC_PERF_MAP || (src == JIT_SRC_JITDUMP &&
						       e->hdr.flags & TR_JIT_BEFORE_ATTACH) ?
			  JIT_REC_BEFORE_ATTACH : 0) |
			 (e->hdr.flags & TR_JIT_NAME_TRUNC ? JIT_REC_NAME_TRUNC : 0),
	};
	struct sink *s;
	int ret;

	if (!ps)
		return 0;	/* no process record: counted as no_config */
	if (len > e->name_len)
		len = e->name_len;
	len = strnlen(e->name, len);
	ret = jit_map__add(&ps->jit, e->addr, e->size, e->name, len, src, &r);
	if (ret == -EINVAL)
		return 0;	/* a range wrapping around: nothing to name */
	if (ret < 0)
		return ret;
	if (ret == JIT_SEEN_BEFORE)
		return 0;	/* told already, from the perf map */
	if (src == JIT_SRC_PERF_MAP)
		a->st.jit_perf_map++;
	else if (src == JIT_SRC_JITDUMP)
		a->st.jit_jitdump++;
	else
		a->st.jit_live++;
	if (rec.flags & JIT_REC_NAME_TRUNC)
		a->st.jit_names_truncated++;
	/* the name as a C string (the new range's copy, or one made here) */
	char *name = r ? NULL : strndup(e->name, len);
	rec.name = r ? r->name : name;
	if (!rec.name)
		return -ENOMEM;
	FOR_SINKS(a, s)
		if (s->ops->jit)
			note_err(a, s->ops->jit(s, &rec));
	free(name);
	return 0;
}

/* the pseudo-function NAME, its id cached in *CACHE (+1, 0 until made) */
static int pseudo_func_cached(struct analyzer *a, const char *name, uint32_t *cache,
			      uint32_t *id)
{
	if (!*cache) {
		int err = analyzer__pseudo_func(a, name, cache);

		if (err)
			return err;
		++*cache;
	}
	*id = *cache - 1;
	return 0;
}

int samples__truncated_func(struct analyzer *a, uint32_t *id)
{
	return pseudo_func_cached(a, TRUNCATED_NAME, &a->truncated_func, id);
}

int samples__event(struct analyzer *a, const struct tr_ev_sample *e)
{
	struct proc_st *ps = analyzer__proc(a, e->hdr.pid);
	uint32_t n = e->n_frames, stack = 0;
	uint32_t room = (e->hdr.size - TR_SAMPLE_HDR_SIZE) / sizeof(struct tr_sample_frame);
	struct sample_rec r = {
		.pid = e->hdr.pid, .tid = e->hdr.tid, .ts = e->hdr.ts,
		.period_ns = e->period_ns,
	};
	struct jit_range *jit;
	struct sink *s;
	uint32_t at = 0;
	int err;

	if (!ps)
		return 0;	/* no process record: counted as no_config */
	if (n > room)
		n = room;
	if (n > TR_SAMPLE_FRAMES_MAX)
		n = TR_SAMPLE_FRAMES_MAX;
	if (!n)
		return 0;
	/* room for a JIT frame, "[truncated]" and "[changed while read]" */
	if (array__grow((void **)&a->sample_funcs, &a->cap_sample_funcs, n + 3, sizeof(uint32_t)))
		return -ENOMEM;
	jit = e->user_ip ? jit_map__find(&ps->jit, e->user_ip) : NULL;
	if (jit) {
		err = jit_func(a, jit, &a->sample_funcs[at]);
		if (err)
			return err;
		at++;
		a->st.samples_jit++;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t *func = &a->sample_funcs[at++], line;

		err = analyzer__func_of(a, ps, e->frames[i].code, func);
		if (err)
			return err;
		if (!a->by_line)
			continue;
		line = sample_lines__line(ps->lines, e->frames[i].code, e->frames[i].offset);
		if (!line)
			a->st.sample_frames_no_line++;
		err = analyzer__line_func(a, *func, line, func);
		if (err)
			return err;
	}
	if (a->by_line)
		a->st.sample_frames += n;
	n = at;
	if (e->hdr.flags & TR_SAMPLE_TRUNCATED) {
		err = samples__truncated_func(a, &a->sample_funcs[n++]);
		if (err)
			return err;
		r.flags |= SAMPLE_TRUNCATED;
		a->st.samples_truncated++;
	}
	if (e->hdr.flags & TR_SAMPLE_UNSTEADY) {
		err = pseudo_func_cached(a, UNSTEADY_NAME, &a->unsteady_func, &a->sample_funcs[n++]);
		if (err)
			return err;
		r.flags |= SAMPLE_UNSTEADY;
		a->st.samples_unsteady++;
	}
	for (uint32_t i = n; i-- > 0 && a->stacks;)
		stack = pairing__stack_of(a, stack, a->sample_funcs[i]);
	r.stack = stack;
	r.funcs = a->sample_funcs;
	r.n_funcs = n;
	a->st.samples++;
	if (e->hdr.flags & TR_SAMPLE_WALL) {
		r.flags |= SAMPLE_WALL;
		a->st.samples_wall = true;
	} else {
		a->st.sample_period_ns = e->period_ns;
	}
	FOR_SINKS(a, s)
		if (s->ops->sample)
			note_err(a, s->ops->sample(s, &r));
	return 0;
}

int samples__linetable(struct analyzer *a, const struct tr_ev_linetable *e, size_t len)
{
	struct proc_st *ps = analyzer__proc(a, e->hdr.pid);
	bool unusable;
	int err;

	if (!ps)
		return 0;
	err = sample_lines__chunk(ps->lines, e, len, &unusable);
	if (unusable)
		a->st.linetables_unusable++;
	return err;
}
