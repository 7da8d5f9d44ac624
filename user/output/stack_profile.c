// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include "util/array.h"
#include "output/stack_profile.h"

/* make V hold ID, the root included */
static int profile_grow(struct stack_profile *p, uint32_t id)
{
	if (array__grow((void **)&p->v, &p->cap, id, sizeof(*p->v)))
		return -ENOMEM;
	p->v[0].known = true;
	if (id >= p->n)
		p->n = id + 1;
	return 0;
}

int stack_profile__init(struct stack_profile *p)
{
	return profile_grow(p, 0);
}

/* keep the first error ERR of P (0: none) and return it */
static int profile_err(struct stack_profile *p, int err)
{
	if (err && !p->err)
		p->err = err;
	return err;
}

/* the record that counts for STACK: its own, or the root's for a stack the
 * analyzer could not make (0: out of memory, said) or never told (counted
 * as unplaced); NULL when out of memory */
static struct stack_cost *profile_slot(struct stack_profile *p, uint32_t stack)
{
	if (profile_grow(p, 0))
		return NULL;
	if (stack && stack < p->n && p->v[stack].known)
		return &p->v[stack];
	p->unplaced++;
	return &p->v[0];
}

int stack_profile__stack(struct stack_profile *p, const struct stack_node *n)
{
	int err;

	/* a caller always comes first, with a smaller id (user/model/stack_table.c) */
	if (!n->id || n->parent >= n->id || (n->parent && (n->parent >= p->n ||
							    !p->v[n->parent].known)))
		return profile_err(p, -EINVAL);
	err = profile_grow(p, n->id);
	if (err)
		return profile_err(p, err);
	p->v[n->id].parent = n->parent;
	p->v[n->id].func = n->func;
	p->v[n->id].depth = n->depth;
	p->v[n->id].known = true;
	return 0;
}

int stack_profile__call(struct stack_profile *p, const struct call_rec *c)
{
	uint64_t dur = c->end_ns > c->start_ns ? c->end_ns - c->start_ns : 0;
	struct stack_cost *e = profile_slot(p, c->stack);

	if (!e)
		return profile_err(p, -ENOMEM);
	e->self_ns += dur > c->child_ns ? dur - c->child_ns : 0;
	e->calls++;
	return 0;
}

int stack_profile__sample(struct stack_profile *p, const struct sample_rec *r)
{
	struct stack_cost *e = profile_slot(p, r->stack);

	if (!e)
		return profile_err(p, -ENOMEM);
	e->samples++;
	e->self_ns += r->period_ns;
	return 0;
}

size_t stack_profile__path(const struct stack_profile *p, uint32_t id, uint32_t *out,
			   size_t cap)
{
	size_t n = 0;

	for (uint32_t k = id; k && k < p->n && n < cap; k = p->v[k].parent)
		out[n++] = p->v[k].func;
	return n;
}

void stack_profile__free(struct stack_profile *p)
{
	free(p->v);
	*p = (struct stack_profile){};
}
