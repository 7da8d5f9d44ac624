// SPDX-License-Identifier: MIT
/*
 * Which handlers of the call family need a start site of --c-calls.
 *
 * A start site only has to run where a C call may begin: on the way from
 * a handler's entry to a call that ends one (ccall_sites.c's end calls).
 * (LIST_APPEND's fast path calls nothing: its site is the call, always
 * kept.) Many handlers never get there themselves: 3.11's PRECALL, PRECALL_PYFUNC,
 * PRECALL_BOUND_METHOD and PRECALL_ADAPTIVE prepare the stack and dispatch
 * CALL; CALL_PY_EXACT_ARGS (every version) pushes a Python frame, and when
 * its guard fails it re-dispatches as CALL, whose own site runs. Their
 * sites would cost a probe hit on every Python-to-Python call for nothing
 * (two on 3.11: PRECALL_PYFUNC then CALL_PY_EXACT_ARGS).
 *
 * So a handler keeps its site when, from its entry, following the code
 * (never through an indirect jump: that is a dispatch, of this instruction
 * again or of the next, whose handler decides for itself), an end call is
 * reachable without first passing the kept site of another handler, which
 * would start the call for it (it reads the same frame, instruction and
 * value stack). A site of another kind (PRECALL's family against CALL's,
 * CALL_KW's against CALL's: keyed or read differently; LIST_APPEND's) does
 * not count as such. Code other instructions reach (OUTSIDE) has no end calls. Dropping
 * one site may make another handler's way past it unguarded: dropped sites
 * are checked again against the kept ones until nothing changes (a site
 * only ever comes back, so this ends), and only then removed.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "cpython/ccall_prune.h"

struct prune {
	const struct code *c;
	const struct family *f;
	const uint8_t *outside, *is_end;
	const long *site_of;
	struct cc_plan *plan;
	bool keep[CC_MAX_STARTS];
	long site_ins[CC_MAX_STARTS];	/* each start's instruction index */
	uint8_t *seen;
	long *stack;
};

static bool same_kind(const struct cc_site *a, const struct cc_site *b)
{
	return a->precall == b->precall && a->kw == b->kw && a->list_append == b->list_append;
}

/* Does handler member M reach an end call unguarded by a kept site? */
static bool reaches_end(struct prune *p, int m, int own)
{
	const struct code *c = p->c;
	long e = find_ins(c, p->f->entry[m]);
	size_t sp = 0;

	if (e < 0)
		return true;
	memset(p->seen, 0, c->n);
	p->seen[e] = 1;
	p->stack[sp++] = e;
	while (sp) {
		long i = p->stack[--sp], next[2];

		if (p->outside[i])
			continue;
		if (p->is_end[i])
			return true;
		if (i != p->site_ins[own]) {
			int k;

			for (k = 0; k < p->plan->n_starts; k++)
				if (p->keep[k] && p->site_ins[k] == i)
					break;
			if (k < p->plan->n_starts) {
				if (!same_kind(&p->plan->starts[k], &p->plan->starts[own]))
					return true;
				continue;	/* that site starts the call */
			}
		}
		successors(c, (size_t)i, &next[0], &next[1]);
		for (int j = 0; j < 2; j++)
			if (next[j] >= 0 && !p->seen[next[j]]) {
				p->seen[next[j]] = 1;
				p->stack[sp++] = next[j];
			}
	}
	return false;
}

/* does any handler whose site is start K need it? (LIST_APPEND's always:
 * its fast path calls nothing, its site is the call) */
static bool needed(struct prune *p, int k)
{
	if (p->plan->starts[k].list_append)
		return true;
	for (int m = 0; m < p->f->n; m++)
		if (p->site_of[m] == p->site_ins[k] && reaches_end(p, m, k))
			return true;
	return false;
}

int ccall_prune__starts(const struct code *c, const struct family *f, const uint8_t *outside,
			const uint8_t *is_end, const long *site_of, struct cc_plan *plan)
{
	struct prune p = { .c = c, .f = f, .outside = outside, .is_end = is_end,
			   .site_of = site_of, .plan = plan };
	bool changed = true;
	int n = 0;

	p.seen = malloc(c->n);
	p.stack = malloc(c->n * sizeof(*p.stack));
	if (!p.seen || !p.stack) {
		free(p.seen);
		free(p.stack);
		return -ENOMEM;
	}
	for (int k = 0; k < plan->n_starts; k++) {
		p.keep[k] = true;
		p.site_ins[k] = find_ins(c, plan->starts[k].vaddr);
	}
	for (int k = 0; k < plan->n_starts; k++)
		p.keep[k] = needed(&p, k);
	while (changed) {
		changed = false;
		for (int k = 0; k < plan->n_starts; k++)
			if (!p.keep[k] && needed(&p, k))
				p.keep[k] = changed = true;
	}
	for (int k = 0; k < plan->n_starts; k++) {
		if (p.keep[k])
			plan->starts[n++] = plan->starts[k];
		else
			plan->n_slow -= !plan->starts[k].emulated;
	}
	plan->n_starts = n;
	free(p.seen);
	free(p.stack);
	return 0;
}
