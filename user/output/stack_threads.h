/* SPDX-License-Identifier: MIT */
/*
 * Time per call stack and thread: a stack_profile (the stacks, and their
 * time over all threads) plus the same time split by the thread that spent
 * it, for the formats whose samples carry the thread (pprof's labels). One
 * cell per (stack, thread) that has time, never one per call.
 */
#ifndef TRACER_STACK_THREADS_H
#define TRACER_STACK_THREADS_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"
#include "output/stack_profile.h"

struct st_thread {
	uint32_t pid, tid;
	char name[sizeof(((struct in_thread *)0)->name)];	/* in_thread.name; "" when not told */
};

struct st_cell {
	uint32_t stack;		/* stack id (0: calls of no known stack) */
	uint32_t thread;	/* index in stack_threads.thr */
	uint64_t self_ns, calls, samples;	/* as in struct stack_cost */
};

struct stack_threads {
	struct stack_profile prof;
	struct st_thread *thr;
	size_t n_thr, cap_thr;
	struct st_cell *cells;
	size_t n_cells, cap_cells;
	struct hashmap *thr_of;		/* pid << 32 | tid -> index + 1 */
	struct hashmap *cell_of;	/* stack << 32 | thread -> index + 1 */
	int err;			/* the first error: not to be written */
};

int stack_threads__init(struct stack_threads *t);
/* a thread described (its name): 0 or -ENOMEM */
int stack_threads__thread(struct stack_threads *t, const struct in_thread *th);
int stack_threads__stack(struct stack_threads *t, const struct stack_node *n);
int stack_threads__call(struct stack_threads *t, const struct call_rec *c);
int stack_threads__sample(struct stack_threads *t, const struct sample_rec *r);
/* the cells in order of stack, then pid, then tid (the same order for the
 * same session, live or from its recording) */
void stack_threads__sort(struct stack_threads *t);
void stack_threads__free(struct stack_threads *t);
#endif
