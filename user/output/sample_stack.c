// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include "util/array.h"
#include "output/sample_stack.h"

static int close_to(struct sample_stack *s, size_t depth, uint64_t at, sample_stack_fn fn,
		    void *ctx)
{
	int err = 0;

	while (s->depth > depth && !err) {
		s->depth--;
		err = fn(ctx, at, &s->open[s->depth], false);
	}
	return err;
}

int sample_stack__sample(struct sample_stack *s, const struct sample_rec *r,
			 sample_stack_fn fn, void *ctx)
{
	size_t common = 0;
	int err = 0;

	/* off CPU since its last sample: that stack ended with its period */
	if (s->depth && r->ts > s->end + r->period_ns / 2)
		err = close_to(s, 0, s->end, fn, ctx);
	while (common < s->depth && common < r->n_funcs &&
	       s->open[common].func == r->funcs[r->n_funcs - 1 - common])
		common++;
	if (!err)
		err = close_to(s, common, r->ts, fn, ctx);
	for (size_t i = 0; i < common; i++)
		s->open[i].samples++;
	for (size_t i = common; i < r->n_funcs && !err; i++) {
		struct sample_frame *f;

		if (array__grow((void **)&s->open, &s->cap, s->depth, sizeof(*s->open)))
			return -ENOMEM;
		f = &s->open[s->depth++];
		*f = (struct sample_frame){ .func = r->funcs[r->n_funcs - 1 - i], .start = r->ts };
		err = fn(ctx, r->ts, f, true);
		f->samples = 1;
	}
	s->end = r->ts + r->period_ns;
	return err;
}

int sample_stack__close(struct sample_stack *s, sample_stack_fn fn, void *ctx)
{
	return close_to(s, 0, s->end, fn, ctx);
}

void sample_stack__free(struct sample_stack *s)
{
	free(s->open);
	s->open = NULL;
	s->depth = s->cap = 0;
}
