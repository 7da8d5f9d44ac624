/* SPDX-License-Identifier: MIT */
/* The GC collections and imports open on one thread (user/analysis/analyzer.c). */
#ifndef TRACER_RUNTIME_SLICES_H
#define TRACER_RUNTIME_SLICES_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "model/model.h"

/* an open slice */
struct rt_slice {
	uint32_t kind;		/* enum tr_runtime_kind */
	uint32_t depth;		/* calls open on the thread when it began */
	uint64_t start;
	int64_t value;		/* the begin's: generation or level */
	uint8_t flags;		/* TR_RT_* of the begin */
	bool loading;		/* a statement inside which _find_and_load ran */
	char *name;		/* import: the module */
};

struct rt_slices {
	struct rt_slice *v;	/* innermost last */
	size_t n, cap;
	char *closed_name;	/* of the slice closed last (what its record shows) */
};

/* Open the slice E (a begin) on a thread with DEPTH calls open. */
int rt_slices__open(struct rt_slices *s, const struct tr_ev_runtime *e, uint32_t depth);
/* Index + 1 of the innermost open slice of KIND, 0 if none. */
size_t rt_slices__find(const struct rt_slices *s, uint32_t kind);
/* The innermost open slice, NULL if none. */
static inline const struct rt_slice *rt_slices__top(const struct rt_slices *s)
{
	return s->n ? &s->v[s->n - 1] : NULL;
}
/* Frames running since before the attach went under the thread's stack. */
void rt_slices__shift(struct rt_slices *s, uint32_t frames);
/* The innermost slice has ended at END, with RESULT and FLAGS: fill REC
 * (its name valid until the next call) and return true when it is to be
 * reported (an import statement only when it loaded a module, an
 * automatic collection only when it picked a generation); the slice is
 * closed either way. */
bool rt_slices__close_top(struct rt_slices *s, uint64_t end, int64_t result, uint32_t flags,
			  struct runtime_rec *rec);
/* the innermost GC collection, if its generation is not known yet, collects GEN */
void rt_slices__generation(struct rt_slices *s, int64_t gen);
/* importlib's _find_and_load began: the innermost import loads a module */
void rt_slices__loading(struct rt_slices *s);
void rt_slices__free(struct rt_slices *s);
#endif
