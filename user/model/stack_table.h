/* SPDX-License-Identifier: MIT */
/*
 * Interned call stacks (a calling-context tree): a stack is its caller's
 * stack plus one function, and gets a dense id, so flame graphs and
 * profiles aggregate per distinct stack, never per event. Id 0 is the
 * empty stack (the root); real stacks are numbered from 1.
 */
#ifndef TRACER_STACK_TABLE_H
#define TRACER_STACK_TABLE_H
#include <stdbool.h>
#include <stdint.h>
#include "model/model.h"

struct stack_table;

struct stack_table *stack_table__new(void);
void stack_table__free(struct stack_table *st);
/* the id of stack PARENT + FUNC, created if new (*IS_NEW set, OUT filled);
 * 0 when out of memory or PARENT is not a stack of this table */
uint32_t stack_table__intern(struct stack_table *st, uint32_t parent, uint32_t func,
			     bool *is_new, struct stack_node *out);
#endif
