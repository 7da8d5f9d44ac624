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
#include "tracer.h"

/*
 * Stacks keep at most STACK_DEPTH_MAX frames, the limit of the sampler's
 * walk: a call deeper than that is given the stack of its 2048 outermost
 * frames plus one "[truncated]" frame, shared by every deeper call there
 * (their time is that frame's). Memory and every flame graph and profile
 * are then bounded by the depth however deep a program recurses (a folded
 * line or pprof sample holds a stack's frames: a recursion D deep would
 * otherwise write D^2/2 frames).
 */
#define STACK_DEPTH_MAX TR_SAMPLE_FRAMES_MAX

struct stack_table;

struct stack_table *stack_table__new(void);
void stack_table__free(struct stack_table *st);
/* the id of stack PARENT + FUNC, created if new (*IS_NEW set, OUT filled);
 * 0 when out of memory or PARENT is not a stack of this table */
uint32_t stack_table__intern(struct stack_table *st, uint32_t parent, uint32_t func,
			     bool *is_new, struct stack_node *out);
/* a call of FUNC from stack PARENT, cut as said above with MARKER the
 * function "[truncated]": the stack it gets (0: out of memory; *IS_NEW,
 * OUT as for stack_table__intern), *CUT set when the call was deeper than
 * STACK_DEPTH_MAX frames */
uint32_t stack_table__intern_call(struct stack_table *st, uint32_t parent, uint32_t func,
				  uint32_t marker, bool *is_new, struct stack_node *out,
				  bool *cut);
/* would a call from stack PARENT be deeper than STACK_DEPTH_MAX frames? */
bool stack_table__too_deep(const struct stack_table *st, uint32_t parent);
#endif
