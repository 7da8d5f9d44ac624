/* SPDX-License-Identifier: MIT */
/*
 * The hottest functions of CPU samples (--sample): per function, the
 * samples where it is the innermost frame (self) and those where it is
 * anywhere on the stack, counted once per sample however often it recurses
 * (total). What the summary prints for a sampling session.
 */
#ifndef TRACER_HOT_FUNCS_H
#define TRACER_HOT_FUNCS_H
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "model/func_names.h"
#include "model/model.h"

struct hot_func {
	uint64_t self;		/* samples with it innermost */
	uint64_t total;		/* samples with it on the stack */
	uint64_t last;		/* the sample that counted it last (1-based) */
};

struct hot_funcs {
	struct hot_func *v;	/* by func_info.id */
	size_t n, cap;
	uint64_t samples;
	bool wall;		/* wall-clock samples (--wall): said in the table */
};

/* count sample R: 0 or -ENOMEM */
int hot_funcs__add(struct hot_funcs *h, const struct sample_rec *r);
/* the sampled functions by self samples (then total) into ORDER (room for
 * h->n entries): how many there are */
size_t hot_funcs__order(const struct hot_funcs *h, uint32_t *order);
/* the same by total samples (then self) when BY_TOTAL */
size_t hot_funcs__order_by(const struct hot_funcs *h, uint32_t *order, bool by_total);
/* the table, with NAMES; LIMIT rows at most (<= 0: all), by self samples
 * or BY_TOTAL: 0 or -ENOMEM */
int hot_funcs__print(const struct hot_funcs *h, const struct func_names *names, int limit,
		     bool by_total, FILE *f);
void hot_funcs__free(struct hot_funcs *h);
#endif
