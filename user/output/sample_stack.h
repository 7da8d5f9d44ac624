/* SPDX-License-Identifier: MIT */
/*
 * CPU samples as slices of a timeline (--sample in .speedscope.json, .json
 * and .pftrace): one thread's stack of open frames, moved by each sample.
 *
 * A sample opens its stack at its time, for one period. The frames it
 * shares, outermost first, with the thread's previous sample stay open (so
 * a function that was on every sample for a second is one slice of a
 * second, not a hundred); the others close at the sample's time. A thread
 * not sampled for more than 1.5 periods (off CPU, or not running Python)
 * has its stack closed at the end of its last sample's period. Each slice
 * also counts the samples it was open for: what a slice stands for exactly,
 * where its length is only the time between samples.
 */
#ifndef TRACER_SAMPLE_STACK_H
#define TRACER_SAMPLE_STACK_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"

struct sample_frame {
	uint32_t func;		/* func_info.id */
	uint32_t samples;	/* samples it was open for so far */
	uint64_t start;		/* when it was opened */
};

struct sample_stack {
	struct sample_frame *open;	/* outermost first */
	size_t depth, cap;
	uint64_t end;		/* the end of the last sample's period */
};

/* a slice opens (OPEN; F->samples is 0) or closes at AT: 0 or -errno */
typedef int (*sample_stack_fn)(void *ctx, uint64_t at, const struct sample_frame *f,
			       bool open);

/* move S to sample R, telling FN the slices that close, then those that
 * open (outermost first) */
int sample_stack__sample(struct sample_stack *s, const struct sample_rec *r,
			 sample_stack_fn fn, void *ctx);
/* close every open slice at the end of the last sample's period */
int sample_stack__close(struct sample_stack *s, sample_stack_fn fn, void *ctx);
void sample_stack__free(struct sample_stack *s);
#endif
