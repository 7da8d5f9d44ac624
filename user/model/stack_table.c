// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include "util/array.h"
#include "util/hashmap.h"
#include "model/stack_table.h"

struct stack_table {
	struct hashmap *by_key;		/* parent << 32 | func -> id */
	struct stack_node *nodes;	/* nodes[id]; nodes[0] is the root */
	size_t n, cap;
};

struct stack_table *stack_table__new(void)
{
	struct stack_table *st = calloc(1, sizeof(*st));

	if (!st || !(st->by_key = hashmap__new()) ||
	    array__grow((void **)&st->nodes, &st->cap, 0, sizeof(*st->nodes))) {
		stack_table__free(st);
		return NULL;
	}
	st->n = 1;	/* the root: id 0, no function */
	return st;
}

void stack_table__free(struct stack_table *st)
{
	if (!st)
		return;
	hashmap__free(st->by_key, NULL);
	free(st->nodes);
	free(st);
}

bool stack_table__too_deep(const struct stack_table *st, uint32_t parent)
{
	/* depth counts from 0: parent's frames are its depth + 1 */
	return parent && parent < st->n && st->nodes[parent].depth + 2 > STACK_DEPTH_MAX;
}

uint32_t stack_table__intern_call(struct stack_table *st, uint32_t parent, uint32_t func,
				  uint32_t marker, bool *is_new, struct stack_node *out,
				  bool *cut)
{
	*cut = stack_table__too_deep(st, parent);
	if (!*cut)
		return stack_table__intern(st, parent, func, is_new, out);
	*is_new = false;
	/* the marker is the (STACK_DEPTH_MAX + 1)th frame: everything deeper
	 * stays in it */
	if (st->nodes[parent].func == marker &&
	    st->nodes[parent].depth + 1 > STACK_DEPTH_MAX)
		return parent;
	return stack_table__intern(st, parent, marker, is_new, out);
}

uint32_t stack_table__intern(struct stack_table *st, uint32_t parent, uint32_t func,
			     bool *is_new, struct stack_node *out)
{
	uint64_t key = (uint64_t)parent << 32 | func;
	uintptr_t v = (uintptr_t)hashmap__get(st->by_key, key);
	uint32_t id;

	*is_new = false;
	if (v)
		return (uint32_t)v;
	if (parent >= st->n || st->n >= UINT32_MAX ||
	    array__grow((void **)&st->nodes, &st->cap, st->n, sizeof(*st->nodes)))
		return 0;
	id = st->n;
	if (hashmap__set(st->by_key, key, (void *)(uintptr_t)id))
		return 0;
	st->nodes[id] = (struct stack_node){
		.id = id, .parent = parent, .func = func,
		.depth = parent ? st->nodes[parent].depth + 1 : 0,
	};
	st->n++;
	*is_new = true;
	if (out)
		*out = st->nodes[id];
	return id;
}
