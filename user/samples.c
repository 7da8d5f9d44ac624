// SPDX-License-Identifier: MIT
/*
 * CPU samples (TR_EV_SAMPLE, --sample): each frame's code object becomes
 * its function with the identity in force at that point of the stream (the
 * TR_EV_CODE sent before, so a code object freed since, or its address
 * reused, keeps its name); the stack is interned outermost first like the
 * stacks of calls, so the flame graph and profile formats share them; a
 * stack cut by the BPF walk gets "[truncated]" as its outermost frame.
 */
#include <errno.h>
#include "analyzer_int.h"
#include "array.h"

#define TRUNCATED_NAME "[truncated]"

int samples__event(struct analyzer *a, const struct tr_ev_sample *e)
{
	struct proc_st *ps = analyzer__proc(a, e->hdr.pid);
	uint32_t n = e->n_frames, room = (e->hdr.size - TR_SAMPLE_HDR_SIZE) / 8, stack = 0;
	struct sample_rec r = {
		.pid = e->hdr.pid, .tid = e->hdr.tid, .ts = e->hdr.ts,
		.period_ns = e->period_ns,
	};
	struct sink *s;
	int err;

	if (!ps)
		return 0;	/* no process record: counted as no_config */
	if (n > room)
		n = room;
	if (n > TR_SAMPLE_FRAMES_MAX)
		n = TR_SAMPLE_FRAMES_MAX;
	if (!n)
		return 0;
	if (array__grow((void **)&a->sample_funcs, &a->cap_sample_funcs, n, sizeof(uint32_t)))
		return -ENOMEM;
	for (uint32_t i = 0; i < n; i++) {
		err = analyzer__func_of(a, ps, e->frames[i], &a->sample_funcs[i]);
		if (err)
			return err;
	}
	if (e->hdr.flags & TR_SAMPLE_TRUNCATED) {
		if (!a->truncated_func) {
			err = analyzer__pseudo_func(a, TRUNCATED_NAME, &a->truncated_func);
			if (err)
				return err;
			a->truncated_func++;
		}
		a->sample_funcs[n++] = a->truncated_func - 1;
		r.flags |= SAMPLE_TRUNCATED;
		a->st.samples_truncated++;
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
