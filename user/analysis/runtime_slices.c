// SPDX-License-Identifier: MIT
/*
 * GC collections and imports nest like calls: an import runs the module's
 * code, which imports others; a collection can run finalizers that import.
 * Each thread keeps its open slices innermost last, with the number of
 * calls open when each began, so that the analyzer can close what a lost
 * or unprobed end left open when the enclosing call returns.
 *
 * An import statement (TR_RT_STATEMENT, from a uprobe on
 * PyImport_ImportModuleLevelObject) is reported only if importlib's
 * _find_and_load ran inside it: CPython calls it exactly when the module
 * is not in sys.modules yet, where the USDT probe import__find__load__start
 * fires. A statement that finds its module loaded is not an import on the
 * timeline. Likewise a 3.13 collection entered as automatic
 * (TR_RT_GEN_LATER) that never tells which generation it collects has
 * returned without collecting anything.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "cpython/pystr.h"
#include "analysis/runtime_slices.h"

int rt_slices__open(struct rt_slices *s, const struct tr_ev_runtime *e, uint32_t depth)
{
	struct rt_slice *r;
	bool trunc = false;

	if (array__grow((void **)&s->v, &s->cap, s->n, sizeof(*s->v)))
		return -ENOMEM;
	r = &s->v[s->n];
	memset(r, 0, sizeof(*r));
	r->kind = e->kind;
	r->depth = depth;
	r->start = e->hdr.ts;
	r->value = e->value;
	r->flags = e->hdr.flags;
	if (e->kind == TR_RT_IMPORT) {
		char *raw = e->name_enc ? pystr__to_utf8(e->name, TR_MODNAME_MAX, e->name_len,
							  e->name_enc, &trunc)
					: strdup("<unknown module>");
		int64_t dots = (e->hdr.flags & TR_RT_STATEMENT) && e->value > 0 && e->value < 64
				       ? e->value : 0;
		if (!raw)
			return -ENOMEM;
		/* a C string the BPF side cut (a str object cut by the
		 * conversion already ends with "...") */
		if ((e->hdr.flags & TR_RT_NAME_TRUNC) && !trunc) {
			char *t = realloc(raw, strlen(raw) + 4);
			if (!t) {
				free(raw);
				return -ENOMEM;
			}
			raw = strcat(t, "...");
		}
		r->name = malloc(dots + strlen(raw) + 1);
		if (!r->name) {
			free(raw);
			return -ENOMEM;
		}
		memset(r->name, '.', dots);
		strcpy(r->name + dots, raw);
		free(raw);
	}
	s->n++;
	return 0;
}

size_t rt_slices__find(const struct rt_slices *s, uint32_t kind)
{
	for (size_t i = s->n; i > 0; i--)
		if (s->v[i - 1].kind == kind)
			return i;
	return 0;
}

void rt_slices__shift(struct rt_slices *s, uint32_t frames)
{
	for (size_t i = 0; i < s->n; i++)
		s->v[i].depth += frames;
}

bool rt_slices__close_top(struct rt_slices *s, uint64_t end, int64_t result, uint32_t flags,
			  struct runtime_rec *rec)
{
	struct rt_slice *r;

	free(s->closed_name);
	s->closed_name = NULL;
	if (!s->n)
		return false;
	r = &s->v[--s->n];
	s->closed_name = r->name;
	memset(rec, 0, sizeof(*rec));
	rec->kind = r->kind;
	rec->depth = r->depth;
	rec->start_ns = r->start;
	rec->end_ns = end > r->start ? end : r->start;
	rec->generation = r->kind == TR_RT_GC ? r->value : -1;
	rec->result = result;
	rec->name = r->name;
	rec->flags = flags;
	if (r->kind == TR_RT_GC)
		return !(r->flags & TR_RT_GEN_LATER);
	return !(r->flags & TR_RT_STATEMENT) || r->loading;
}

void rt_slices__generation(struct rt_slices *s, int64_t gen)
{
	size_t i = rt_slices__find(s, TR_RT_GC);

	if (i && s->v[i - 1].value < 0) {
		s->v[i - 1].value = gen;
		s->v[i - 1].flags &= ~TR_RT_GEN_LATER;
	}
}

void rt_slices__loading(struct rt_slices *s)
{
	size_t i = rt_slices__find(s, TR_RT_IMPORT);

	if (i)
		s->v[i - 1].loading = true;
}

void rt_slices__free(struct rt_slices *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i].name);
	free(s->v);
	free(s->closed_name);
	memset(s, 0, sizeof(*s));
}
