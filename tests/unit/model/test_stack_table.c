// SPDX-License-Identifier: MIT
#include "unit.h"
#include "model/stack_table.h"

TEST(stack_table_interns_parent_and_func)
{
	struct stack_table *st = stack_table__new();
	struct stack_node n = {}, m;
	bool is_new;

	CHECK(st);
	uint32_t a = stack_table__intern(st, 0, 7, &is_new, &n);
	CHECK(a == 1 && is_new);
	CHECK(n.id == a && n.parent == 0 && n.func == 7 && n.depth == 0);
	uint32_t b = stack_table__intern(st, a, 8, &is_new, &n);
	CHECK(b == 2 && is_new && n.parent == a && n.depth == 1);
	/* the same function under another caller is another stack */
	uint32_t c = stack_table__intern(st, 0, 8, &is_new, NULL);
	CHECK(c == 3 && is_new);
	/* growth keeps ids and nodes */
	uint32_t p = b;
	for (int i = 0; i < 5000; i++)
		p = stack_table__intern(st, p, 9, &is_new, &m);
	CHECK(p == 5003 && is_new);
	CHECK(m.id == p && m.depth == 5001 && m.func == 9);
	CHECK_EQ(stack_table__intern(st, a, 8, &is_new, NULL), b);
	CHECK(!is_new);
	/* the next new stack gets the next id */
	CHECK_EQ(stack_table__intern(st, p, 1, &is_new, NULL), 5004);
	stack_table__free(st);
}

TEST(stack_table_refuses_unknown_parent)
{
	struct stack_table *st = stack_table__new();
	bool is_new;

	CHECK_EQ(stack_table__intern(st, 42, 1, &is_new, NULL), 0);
	CHECK(!is_new);
	CHECK_EQ(stack_table__intern(st, 1, 1, &is_new, NULL), 0);	/* not made yet */
	CHECK_EQ(stack_table__intern(st, 0, 1, &is_new, NULL), 1);
	stack_table__free(st);
}

/* a recursion 8000 deep: STACK_DEPTH_MAX frames, then one "[truncated]"
 * frame (MARKER) that every deeper call shares; the table stays that big */
TEST(stack_table_call_depth_cut)
{
	struct stack_table *st = stack_table__new();
	const uint32_t marker = 99;
	uint32_t p = 0, cuts = 0, at_cap = 0;
	struct stack_node n;
	bool is_new, cut;

	CHECK_EQ(STACK_DEPTH_MAX, TR_SAMPLE_FRAMES_MAX);
	for (int depth = 0; depth < 8000; depth++) {
		uint32_t id = stack_table__intern_call(st, p, 5, marker, &is_new, &n, &cut);

		CHECK(id);
		CHECK_EQ(cut, depth >= STACK_DEPTH_MAX);
		CHECK_EQ(stack_table__too_deep(st, p), depth >= STACK_DEPTH_MAX);
		if (is_new)
			CHECK(n.depth < STACK_DEPTH_MAX + 1);
		if (depth == STACK_DEPTH_MAX) {	/* the marker, new */
			CHECK(is_new && n.func == marker && n.depth == STACK_DEPTH_MAX);
			at_cap = id;
		} else if (depth > STACK_DEPTH_MAX) {	/* the same marker, again */
			CHECK(!is_new && id == at_cap);
		} else {
			CHECK(is_new && n.func == 5 && n.depth == (uint32_t)depth);
		}
		cuts += cut;
		p = id;
	}
	CHECK_EQ(cuts, 8000 - STACK_DEPTH_MAX);
	/* ids so far: 1 .. STACK_DEPTH_MAX + 1; the next new stack follows */
	CHECK_EQ(stack_table__intern(st, 0, 6, &is_new, NULL), STACK_DEPTH_MAX + 2);
	/* a second descent reuses the same stacks */
	p = 0;
	for (int depth = 0; depth < 3000; depth++) {
		p = stack_table__intern_call(st, p, 5, marker, &is_new, &n, &cut);
		CHECK(!is_new);
	}
	CHECK_EQ(p, at_cap);
	stack_table__free(st);
}
