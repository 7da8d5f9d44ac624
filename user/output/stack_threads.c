// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "util/hashmap.h"
#include "output/stack_threads.h"

static int threads_err(struct stack_threads *t, int err)
{
	if (err && !t->err)
		t->err = err;
	return err;
}

int stack_threads__init(struct stack_threads *t)
{
	memset(t, 0, sizeof(*t));
	t->thr_of = hashmap__new();
	t->cell_of = hashmap__new();
	if (!t->thr_of || !t->cell_of || stack_profile__init(&t->prof))
		return threads_err(t, -ENOMEM);
	return 0;
}

/* the index of thread PID/TID, added if new; -1 on error */
static long thread_slot(struct stack_threads *t, uint32_t pid, uint32_t tid)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	uintptr_t v = (uintptr_t)hashmap__get(t->thr_of, key);

	if (v)
		return (long)v - 1;
	if (array__grow((void **)&t->thr, &t->cap_thr, t->n_thr, sizeof(*t->thr)) ||
	    hashmap__set(t->thr_of, key, (void *)(uintptr_t)(t->n_thr + 1)))
		return threads_err(t, -ENOMEM), -1;
	t->thr[t->n_thr].pid = pid;
	t->thr[t->n_thr].tid = tid;
	return (long)t->n_thr++;
}

int stack_threads__thread(struct stack_threads *t, const struct in_thread *th)
{
	long i = thread_slot(t, th->pid, th->tid);

	if (i < 0)
		return -ENOMEM;
	memcpy(t->thr[i].name, th->name, sizeof(t->thr[i].name));
	t->thr[i].name[sizeof(t->thr[i].name) - 1] = 0;
	return 0;
}

int stack_threads__stack(struct stack_threads *t, const struct stack_node *n)
{
	return threads_err(t, stack_profile__stack(&t->prof, n));
}

/* the cell of STACK (as stack_profile counts it: 0 when not known) on
 * thread PID/TID; NULL on error */
static struct st_cell *cell_of(struct stack_threads *t, uint32_t stack, uint32_t pid,
			       uint32_t tid)
{
	long th = thread_slot(t, pid, tid);
	uint64_t key;
	uintptr_t v;

	if (th < 0 || !t->cell_of)	/* sorted: no more cells */
		return threads_err(t, -EINVAL), NULL;
	if (!(stack < t->prof.n && t->prof.v[stack].known))
		stack = 0;
	key = (uint64_t)stack << 32 | (uint32_t)th;
	v = (uintptr_t)hashmap__get(t->cell_of, key);
	if (v)
		return &t->cells[v - 1];
	if (array__grow((void **)&t->cells, &t->cap_cells, t->n_cells, sizeof(*t->cells)) ||
	    hashmap__set(t->cell_of, key, (void *)(uintptr_t)(t->n_cells + 1))) {
		threads_err(t, -ENOMEM);
		return NULL;
	}
	t->cells[t->n_cells].stack = stack;
	t->cells[t->n_cells].thread = th;
	return &t->cells[t->n_cells++];
}

int stack_threads__call(struct stack_threads *t, const struct call_rec *c)
{
	uint64_t dur = c->end_ns > c->start_ns ? c->end_ns - c->start_ns : 0;
	struct st_cell *e;

	if (threads_err(t, stack_profile__call(&t->prof, c)))
		return t->err;
	e = cell_of(t, c->stack, c->pid, c->tid);
	if (!e)
		return -ENOMEM;
	e->self_ns += dur > c->child_ns ? dur - c->child_ns : 0;
	e->calls++;
	return 0;
}

int stack_threads__sample(struct stack_threads *t, const struct sample_rec *r)
{
	struct st_cell *e;

	if (threads_err(t, stack_profile__sample(&t->prof, r)))
		return t->err;
	e = cell_of(t, r->stack, r->pid, r->tid);
	if (!e)
		return -ENOMEM;
	e->samples++;
	e->self_ns += r->period_ns;
	return 0;
}

static int cmp_cell(const void *a, const void *b, void *ctx)
{
	const struct st_cell *x = a, *y = b;
	const struct st_thread *thr = ctx, *tx = &thr[x->thread], *ty = &thr[y->thread];

	if (x->stack != y->stack)
		return x->stack < y->stack ? -1 : 1;
	if (tx->pid != ty->pid)
		return tx->pid < ty->pid ? -1 : 1;
	return tx->tid < ty->tid ? -1 : tx->tid > ty->tid;
}

void stack_threads__sort(struct stack_threads *t)
{
	if (t->n_cells)
		qsort_r(t->cells, t->n_cells, sizeof(*t->cells), cmp_cell, t->thr);
	/* the index no longer matches: no cell is added after sorting */
	hashmap__free(t->cell_of, NULL);
	t->cell_of = NULL;
}

void stack_threads__free(struct stack_threads *t)
{
	stack_profile__free(&t->prof);
	hashmap__free(t->thr_of, NULL);
	hashmap__free(t->cell_of, NULL);
	free(t->thr);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}
