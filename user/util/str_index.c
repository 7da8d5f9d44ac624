// SPDX-License-Identifier: MIT
/* A numbered set of strings (see str_index.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "util/hashmap.h"
#include "util/str_index.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

int str_index__init(struct str_index *x)
{
	*x = (struct str_index){ .by_hash = hashmap__new() };
	return x->by_hash ? 0 : -ENOMEM;
}

void str_index__free(struct str_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->strs[i]);
	free(x->strs);
	hashmap__free(x->by_hash, NULL);
	*x = (struct str_index){ 0 };
}

/* the slot key of S: its own, or the free one after the collisions */
static long lookup(const struct str_index *x, const char *s, uint64_t *key)
{
	uintptr_t v;

	for (*key = fnv1a(s); (v = (uintptr_t)hashmap__get(x->by_hash, *key)); (*key)++)
		if (!strcmp(x->strs[v - 1], s))
			return v - 1;
	return -1;
}

long str_index__find(const struct str_index *x, const char *s)
{
	uint64_t key;

	return lookup(x, s, &key);
}

long str_index__add(struct str_index *x, const char *s, bool *is_new)
{
	uint64_t key;
	long i = lookup(x, s, &key);
	char *copy;

	if (is_new)
		*is_new = i < 0;
	if (i >= 0)
		return i;
	copy = strdup(s);
	if (!copy || array__grow((void **)&x->strs, &x->cap, x->n, sizeof(*x->strs)) ||
	    hashmap__set(x->by_hash, key, (void *)(uintptr_t)(x->n + 1))) {
		free(copy);
		return -ENOMEM;
	}
	x->strs[x->n] = copy;
	return x->n++;
}
