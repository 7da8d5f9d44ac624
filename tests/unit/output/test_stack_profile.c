// SPDX-License-Identifier: MIT
#include <errno.h>
#include "unit.h"
#include "output/stack_profile.h"

static struct call_rec call(uint32_t stack, uint64_t start, uint64_t end, uint64_t child)
{
	return (struct call_rec){ .stack = stack, .start_ns = start, .end_ns = end,
				  .child_ns = child };
}

TEST(stack_profile_self_time_per_stack)
{
	struct stack_profile p = {};
	struct stack_node a = { .id = 1, .parent = 0, .func = 5, .depth = 0 };
	struct stack_node b = { .id = 2, .parent = 1, .func = 6, .depth = 1 };
	struct call_rec c;
	uint32_t path[4];

	CHECK_EQ(stack_profile__stack(&p, &a), 0);
	CHECK_EQ(stack_profile__stack(&p, &b), 0);
	c = call(2, 10, 30, 0);
	CHECK_EQ(stack_profile__call(&p, &c), 0);
	c = call(2, 40, 45, 0);
	CHECK_EQ(stack_profile__call(&p, &c), 0);
	c = call(1, 0, 100, 25);	/* 25 ns in its callee */
	CHECK_EQ(stack_profile__call(&p, &c), 0);
	CHECK_EQ(p.v[2].self_ns, 25);
	CHECK_EQ(p.v[2].calls, 2);
	CHECK_EQ(p.v[1].self_ns, 75);
	CHECK_EQ(p.v[0].calls, 0);
	/* innermost first */
	CHECK_EQ(stack_profile__path(&p, 2, path, 4), 2);
	CHECK(path[0] == 6 && path[1] == 5);
	CHECK_EQ(stack_profile__path(&p, 2, path, 1), 1);
	stack_profile__free(&p);
	CHECK(!p.v && !p.n);
}

TEST(stack_profile_refuses_unknown_callers_and_keeps_unplaced_calls)
{
	struct stack_profile p = {};
	struct stack_node orphan = { .id = 3, .parent = 2, .func = 1, .depth = 1 };
	struct stack_node loop = { .id = 1, .parent = 1, .func = 1 };
	struct call_rec c = call(9, 0, 10, 20);	/* child > duration: 0 self */

	CHECK_EQ(stack_profile__stack(&p, &orphan), -EINVAL);
	CHECK_EQ(stack_profile__stack(&p, &loop), -EINVAL);
	CHECK_EQ(stack_profile__call(&p, &c), 0);
	c = call(0, 0, 10, 4);
	CHECK_EQ(stack_profile__call(&p, &c), 0);
	/* never told stacks go to the root, counted */
	CHECK_EQ(p.unplaced, 2);
	CHECK_EQ(p.v[0].self_ns, 6);
	CHECK_EQ(p.v[0].calls, 2);
	stack_profile__free(&p);
}

TEST(stack_profile_counts_samples_and_their_cpu_time)
{
	struct stack_profile p = {};
	struct stack_node a = { .id = 1, .parent = 0, .func = 5, .depth = 0 };
	struct sample_rec r = { .stack = 1, .period_ns = 10 };

	CHECK_EQ(stack_profile__stack(&p, &a), 0);
	CHECK_EQ(stack_profile__sample(&p, &r), 0);
	CHECK_EQ(stack_profile__sample(&p, &r), 0);
	r.stack = 7;	/* never told: to the root */
	CHECK_EQ(stack_profile__sample(&p, &r), 0);
	CHECK_EQ(p.v[1].samples, 2);
	CHECK_EQ(p.v[1].self_ns, 20);
	CHECK_EQ(p.v[1].calls, 0);
	CHECK_EQ(p.v[0].samples, 1);
	CHECK_EQ(p.unplaced, 1);
	stack_profile__free(&p);
}
