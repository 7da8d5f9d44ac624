// SPDX-License-Identifier: MIT
#include "unit.h"
#include "output/stack_threads.h"

/* time per (stack, thread): the same stack on two threads is two cells,
 * the thread's name when told, a stack never told counted under 0; the
 * cells sorted by stack, pid, tid; the totals per stack as stack_profile's */
TEST(stack_threads_split_by_thread)
{
	struct stack_threads t;
	struct stack_node a = { .id = 1, .parent = 0, .func = 5, .depth = 0 };
	struct stack_node b = { .id = 2, .parent = 1, .func = 6, .depth = 1 };
	struct in_thread named = { .pid = 10, .tid = 12, .name = "worker" };
	struct call_rec c1 = { .pid = 10, .tid = 12, .stack = 2, .start_ns = 0, .end_ns = 30 };
	struct call_rec c2 = { .pid = 10, .tid = 11, .stack = 2, .start_ns = 0, .end_ns = 5 };
	struct call_rec c3 = { .pid = 10, .tid = 11, .stack = 1, .start_ns = 0, .end_ns = 100,
			       .child_ns = 5 };
	struct call_rec c4 = { .pid = 9, .tid = 9, .stack = 7, .start_ns = 0, .end_ns = 1 };
	struct sample_rec s = { .pid = 10, .tid = 12, .stack = 2, .period_ns = 1000 };

	CHECK_EQ(stack_threads__init(&t), 0);
	CHECK_EQ(stack_threads__stack(&t, &a), 0);
	CHECK_EQ(stack_threads__stack(&t, &b), 0);
	CHECK_EQ(stack_threads__thread(&t, &named), 0);
	CHECK_EQ(stack_threads__call(&t, &c1), 0);
	CHECK_EQ(stack_threads__call(&t, &c2), 0);
	CHECK_EQ(stack_threads__call(&t, &c1), 0);
	CHECK_EQ(stack_threads__call(&t, &c3), 0);
	CHECK_EQ(stack_threads__call(&t, &c4), 0);	/* stack 7 was never told */
	CHECK_EQ(stack_threads__sample(&t, &s), 0);
	CHECK_EQ(t.n_cells, 4);
	CHECK_EQ(t.prof.v[2].calls, 3);
	CHECK_EQ(t.prof.v[2].self_ns, 65 + 1000);
	stack_threads__sort(&t);
	/* 0 (pid 9), 1 (tid 11), 2 (tid 11), 2 (tid 12) */
	CHECK(t.cells[0].stack == 0 && t.thr[t.cells[0].thread].pid == 9);
	CHECK(t.cells[1].stack == 1 && t.thr[t.cells[1].thread].tid == 11);
	CHECK_EQ(t.cells[1].self_ns, 95);
	CHECK(t.cells[2].stack == 2 && t.thr[t.cells[2].thread].tid == 11);
	CHECK(t.cells[2].calls == 1 && t.cells[2].self_ns == 5);
	CHECK(t.cells[3].stack == 2 && t.thr[t.cells[3].thread].tid == 12);
	CHECK(t.cells[3].calls == 2 && t.cells[3].samples == 1 && t.cells[3].self_ns == 1060);
	CHECK_STR(t.thr[t.cells[3].thread].name, "worker");
	CHECK_STR(t.thr[t.cells[2].thread].name, "");
	/* sorted: no more cells */
	CHECK(stack_threads__call(&t, &c1) != 0);
	stack_threads__free(&t);
}
