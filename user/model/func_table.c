// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/func_table.h"
#include "model/path_norm.h"
#include "util/hashmap.h"

/* identities with the same hash are chained through `next` (an id + 1) */
struct func_ent {
	struct func_info info;
	uint32_t next;
};

struct func_table {
	struct func_ent *v;
	uint32_t n, cap;
	struct hashmap *by_hash;	/* hash -> first id + 1 */
	/* (base, at_line) -> id + 1 of its line identity: a sampled frame's
	 * lookup under --lines, without formatting its name each time */
	struct hashmap *by_line;
};

static uint64_t fnv1a(uint64_t h, const char *s)
{
	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h * 0x100000001b3ULL;	/* separator */
}

struct func_table *func_table__new(void)
{
	struct func_table *ft = calloc(1, sizeof(*ft));

	if (!ft || !(ft->by_hash = hashmap__new()) || !(ft->by_line = hashmap__new())) {
		if (ft)
			hashmap__free(ft->by_hash, NULL);
		free(ft);
		return NULL;
	}
	return ft;
}

void func_table__free(struct func_table *ft)
{
	if (!ft)
		return;
	for (uint32_t i = 0; i < ft->n; i++) {
		free((char *)ft->v[i].info.qualname);
		free((char *)ft->v[i].info.file);
	}
	free(ft->v);
	hashmap__free(ft->by_hash, NULL);
	hashmap__free(ft->by_line, NULL);
	free(ft);
}

static const struct func_info *intern(struct func_table *ft, const char *qualname,
				      const char *file, uint32_t line, bool c_func, bool *is_new)
{
	uint64_t h = fnv1a(fnv1a(0xcbf29ce484222325ULL ^ line ^ ((uint64_t)c_func << 40),
				 qualname), file);
	uintptr_t first = (uintptr_t)hashmap__get(ft->by_hash, h);
	struct func_ent *e;

	*is_new = false;
	for (uint32_t id1 = first; id1; id1 = ft->v[id1 - 1].next) {
		e = &ft->v[id1 - 1];
		if (e->info.line == line && e->info.c_func == c_func &&
		    !strcmp(e->info.qualname, qualname) &&
		    !strcmp(e->info.file, file))
			return &e->info;
	}
	if (ft->n == ft->cap) {
		uint32_t cap = ft->cap ? ft->cap * 2 : 256;
		struct func_ent *v = realloc(ft->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		ft->v = v;
		ft->cap = cap;
	}
	e = &ft->v[ft->n];
	e->info.id = ft->n;
	e->info.qualname = strdup(qualname);
	e->info.file = strdup(file);
	e->info.line = line;
	e->info.base = 0;
	e->info.at_line = 0;
	e->info.c_func = c_func;
	e->next = first;
	if (!e->info.qualname || !e->info.file ||
	    hashmap__set(ft->by_hash, h, (void *)(uintptr_t)(ft->n + 1))) {
		free((char *)e->info.qualname);
		free((char *)e->info.file);
		return NULL;
	}
	ft->n++;
	*is_new = true;
	return &e->info;
}

/* FILE is kept as the outputs show it: lexically normalized (model/path_norm.c) */
const struct func_info *func_table__intern(struct func_table *ft, const char *qualname,
					   const char *file, uint32_t line, bool *is_new)
{
	char buf[512], *norm = strlen(file) < sizeof(buf) ? buf : strdup(file);
	const struct func_info *r;

	if (!norm)
		return NULL;
	if (norm == buf)
		strcpy(buf, file);
	path_norm__apply(norm);
	r = intern(ft, qualname, norm, line, false, is_new);
	if (norm != buf)
		free(norm);
	return r;
}

const struct func_info *func_table__intern_c(struct func_table *ft, const char *qualname,
					     const char *module, bool *is_new)
{
	return intern(ft, qualname, module, 0, true, is_new);
}

const struct func_info *func_table__intern_line(struct func_table *ft, uint32_t base,
						uint32_t at_line, bool *is_new)
{
	const struct func_info *b = func_table__get(ft, base);
	uint64_t key = (uint64_t)base << 32 | at_line;
	uintptr_t known = (uintptr_t)hashmap__get(ft->by_line, key);
	struct func_info *e;
	char *name = NULL;
	int n;

	*is_new = false;
	if (known)
		return &ft->v[known - 1].info;
	if (!b)
		return NULL;
	if (at_line)
		n = asprintf(&name, "%s:%u", b->qualname, at_line);
	else
		n = asprintf(&name, "%s:?", b->qualname);
	if (n < 0)
		return NULL;
	e = (struct func_info *)func_table__intern(ft, name, b->file, b->line, is_new);
	free(name);
	if (e && *is_new) {
		/* b may have moved: the table grew */
		e->base = base + 1;
		e->at_line = at_line;
	}
	if (e && hashmap__set(ft->by_line, key, (void *)(uintptr_t)(e->id + 1)))
		return NULL;
	return e;
}

const struct func_info *func_table__get(const struct func_table *ft, uint32_t id)
{
	return id < ft->n ? &ft->v[id].info : NULL;
}

uint32_t func_table__count(const struct func_table *ft)
{
	return ft->n;
}
