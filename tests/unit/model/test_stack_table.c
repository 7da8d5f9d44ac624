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
