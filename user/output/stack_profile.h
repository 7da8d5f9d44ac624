/* SPDX-License-Identifier: MIT */
/*
 * Time per call stack, added up as calls complete: what the flame graph and
 * profile formats (.folded, .pprof, .svg) are made of. A sink feeds it from
 * its `stack` and `call` callbacks; it holds one record per distinct stack,
 * never one per call.
 */
#ifndef TRACER_STACK_PROFILE_H
#define TRACER_STACK_PROFILE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"

struct stack_cost {
	uint32_t parent;	/* stack id of the caller, 0 = the root */
	uint32_t func;		/* func_info.id of the innermost frame */
	uint32_t depth;		/* 0 for an outermost frame */
	bool known;		/* told by `stack` (the root always is) */
	uint64_t self_ns;	/* self time of the completed calls with this stack */
	uint64_t calls;		/* completed calls with this stack */
	uint64_t samples;	/* CPU samples of this stack (--sample) */
};

struct stack_profile {
	struct stack_cost *v;	/* v[stack id]; v[0] is the root */
	size_t n, cap;		/* n: highest id told + 1 */
	uint64_t unplaced;	/* calls without a known stack: counted in v[0] */
	int err;		/* the first error of the calls below (-errno):
				 * the profile is incomplete, not to be written */
};

/* make the root (id 0) exist: 0 or -ENOMEM (the other calls do it too) */
int stack_profile__init(struct stack_profile *p);
/* a new stack: 0, -ENOMEM, or -EINVAL when its caller is not known */
int stack_profile__stack(struct stack_profile *p, const struct stack_node *n);
/* a completed call: 0 or -ENOMEM */
int stack_profile__call(struct stack_profile *p, const struct call_rec *c);
/* a CPU sample: counted, and its period added to the self time: 0 or
 * -ENOMEM */
int stack_profile__sample(struct stack_profile *p, const struct sample_rec *r);
/* the functions of stack ID, innermost first, into OUT (CAP entries):
 * how many; stops at CAP */
size_t stack_profile__path(const struct stack_profile *p, uint32_t id, uint32_t *out,
			   size_t cap);
void stack_profile__free(struct stack_profile *p);
#endif
