// SPDX-License-Identifier: MIT
/*
 * Probe events inside each function's calls (see probe_share.h).
 *
 * A call's time, end - start, includes the traps and BPF programs of every
 * probe that fired between its two timestamps: all the events of its
 * callees, and about half of its own entry and return (the timestamp is
 * taken inside the BPF program, mid-event). Counting its own two events
 * whole makes the estimate an upper bound by at most one call's cost per
 * call - small where the share matters (a function with many callees).
 *
 * Records of one thread (one greenlet track: each has its own stack) come
 * properly nested, a callee before its caller: a per-depth accumulator
 * gathers the events of the calls completed at depth d + 1 until their
 * caller, at depth d, completes and takes them. A call nested in another
 * call of the same function (recursion) adds to its outer call only, as
 * its time does (the summary's total counts outermost calls once).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/probe_share.h"
#include "util/array.h"
#include "util/hashmap.h"

struct ps_acc {
	uint64_t entries, returns;
};

struct ps_stack {
	uint32_t pid, tid;
	uint64_t entries, returns;	/* this track's hits */
	struct ps_acc *acc;		/* by depth: events of completed calls
					 * not yet taken by their caller */
	size_t cap;
};

static void ps_stack_free(void *v)
{
	struct ps_stack *s = v;

	if (s)
		free(s->acc);
	free(s);
}

static struct ps_stack *ps_stack_get(struct probe_share *ps, const struct call_rec *c)
{
	/* a tid is one process's at a time; the track is its greenlet */
	uint64_t key = (uint64_t)c->tid << 32 | c->track;
	struct ps_stack *s;

	if (!ps->stacks && !(ps->stacks = hashmap__new()))
		return NULL;
	s = hashmap__get(ps->stacks, key);
	if (s && s->pid == c->pid)
		return s;
	if (s) {	/* the tid of an earlier process: start afresh */
		hashmap__del(ps->stacks, key);
		ps_stack_free(s);
	}
	s = calloc(1, sizeof(*s));
	if (!s || hashmap__set(ps->stacks, key, s)) {
		free(s);
		return NULL;
	}
	s->pid = c->pid;
	s->tid = c->tid;
	return s;
}

int probe_share__call(struct probe_share *ps, const struct call_rec *c)
{
	struct ps_stack *s = ps_stack_get(ps, c);
	struct probe_share_func *f;
	struct ps_acc own = {}, sub;
	uint64_t dur = c->end_ns > c->start_ns ? c->end_ns - c->start_ns : 0;
	size_t d = c->depth;

	if (!s || array__grow((void **)&s->acc, &s->cap, d + 1, sizeof(*s->acc)) ||
	    array__grow((void **)&ps->funcs, &ps->cap_funcs, c->func, sizeof(*ps->funcs)))
		return -ENOMEM;
	if (c->func >= ps->n_funcs)
		ps->n_funcs = c->func + 1;
	/* which of its own probes fired: its entry unless it ran before the
	 * attach, its return unless its end was inferred or never came */
	own.entries = !(c->flags & CALL_BEGAN_BEFORE_ATTACH);
	own.returns = !(c->flags & (CALL_END_INFERRED | CALL_END_AT_SESSION_END |
				    CALL_END_AT_EXIT));
	s->entries += own.entries;
	s->returns += own.returns;
	sub.entries = own.entries + s->acc[d + 1].entries;
	sub.returns = own.returns + s->acc[d + 1].returns;
	s->acc[d + 1] = (struct ps_acc){};
	s->acc[d].entries += sub.entries;
	s->acc[d].returns += sub.returns;
	f = &ps->funcs[c->func];
	f->calls++;
	if (!(c->flags & CALL_NESTED_SAME_FUNC)) {
		f->total_ns += dur;
		f->entries += sub.entries;
		f->returns += sub.returns;
	}
	return 0;
}

double probe_share__cost_ns(const struct probe_share_func *f, const struct probe_cost *pc)
{
	return (double)f->entries * probe_cost__entry_ns(pc) +
	       (double)f->returns * probe_cost__return_ns(pc);
}

double probe_share__fraction(const struct probe_share_func *f, const struct probe_cost *pc)
{
	return f->total_ns ? probe_share__cost_ns(f, pc) / (double)f->total_ns : 0;
}

static int cmp_thread(const void *a, const void *b)
{
	const struct probe_share_thread *x = a, *y = b;

	if (x->pid != y->pid)
		return x->pid < y->pid ? -1 : 1;
	return x->tid < y->tid ? -1 : x->tid > y->tid;
}

int probe_share__threads(const struct probe_share *ps, struct probe_share_thread **out,
			 size_t *n)
{
	size_t cap = ps->stacks ? hashmap__size(ps->stacks) : 0, k = 0, pos = 0;
	struct probe_share_thread *v = malloc((cap ? cap : 1) * sizeof(*v));
	struct ps_stack *s;
	uint64_t key;

	if (!v)
		return -ENOMEM;
	while (ps->stacks && hashmap__next(ps->stacks, &pos, &key, (void **)&s))
		v[k++] = (struct probe_share_thread){ s->pid, s->tid, s->entries, s->returns };
	qsort(v, k, sizeof(*v), cmp_thread);
	/* a thread's greenlets into one line */
	*n = 0;
	for (size_t i = 0; i < k; i++) {
		if (*n && v[*n - 1].pid == v[i].pid && v[*n - 1].tid == v[i].tid) {
			v[*n - 1].entries += v[i].entries;
			v[*n - 1].returns += v[i].returns;
		} else
			v[(*n)++] = v[i];
	}
	*out = v;
	return 0;
}

void probe_share__free(struct probe_share *ps)
{
	hashmap__free(ps->stacks, ps_stack_free);
	free(ps->funcs);
	memset(ps, 0, sizeof(*ps));
}
