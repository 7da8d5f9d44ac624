// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include "unit.h"
#include "analysis/probe_share.h"

static int call(struct probe_share *ps, uint32_t tid, uint32_t func, uint32_t depth,
		uint64_t start, uint64_t end, uint32_t flags)
{
	struct call_rec c = { .pid = 7, .tid = tid, .func = func, .depth = depth,
			      .start_ns = start, .end_ns = end, .flags = flags };

	return probe_share__call(ps, &c);
}

/* outer (0) calls tiny (1) three times, then leaf (2) which recurses once */
TEST(probe_share_counts_events_inside_each_call)
{
	struct probe_share ps = {};
	struct probe_cost pc = { .measured = true, .trap_entry_ns = 300, .trap_return_ns = 500,
				 .bpf_entry_ns = 100, .bpf_return_ns = 100 };
	struct probe_share_thread *th;
	size_t n;

	for (int i = 0; i < 3; i++)
		CHECK_EQ(call(&ps, 10, 1, 1, 100 + i * 10, 105 + i * 10, 0), 0);
	CHECK_EQ(call(&ps, 10, 2, 2, 200, 210, CALL_NESTED_SAME_FUNC), 0);
	CHECK_EQ(call(&ps, 10, 2, 1, 190, 220, 0), 0);
	CHECK_EQ(call(&ps, 10, 0, 0, 50, 10050, 0), 0);
	/* another thread, its call open at the session's end */
	CHECK_EQ(call(&ps, 11, 1, 0, 0, 4000, CALL_END_AT_SESSION_END), 0);

	CHECK_EQ(ps.funcs[1].calls, 4);
	CHECK_EQ(ps.funcs[1].entries, 4);
	CHECK_EQ(ps.funcs[1].returns, 3);
	CHECK_EQ(ps.funcs[1].total_ns, 15 + 4000);
	/* the recursive call's events go to its outer call only */
	CHECK_EQ(ps.funcs[2].calls, 2);
	CHECK_EQ(ps.funcs[2].entries, 2);
	CHECK_EQ(ps.funcs[2].total_ns, 30);
	CHECK_EQ(ps.funcs[0].entries, 6);
	CHECK_EQ(ps.funcs[0].returns, 6);
	/* 6 x 400 + 6 x 600 = 6000 ns of its 10000 */
	CHECK(probe_share__cost_ns(&ps.funcs[0], &pc) == 6000.0);
	CHECK(probe_share__fraction(&ps.funcs[0], &pc) == 0.6);

	CHECK_EQ(probe_share__threads(&ps, &th, &n), 0);
	CHECK_EQ(n, 2);
	CHECK(th[0].tid == 10 && th[0].entries == 6 && th[0].returns == 6);
	CHECK(th[1].tid == 11 && th[1].entries == 1 && th[1].returns == 0);
	free(th);
	probe_share__free(&ps);
}

/* a greenlet's calls are a stack of their own; a call begun before the
 * attach has no entry event; a reused tid starts afresh */
TEST(probe_share_tracks_and_flags)
{
	struct probe_share ps = {};
	struct call_rec c = { .pid = 7, .tid = 10, .func = 0, .depth = 1, .track = 1,
			      .start_ns = 0, .end_ns = 10 };
	struct probe_share_thread *th;
	size_t n;

	CHECK_EQ(probe_share__call(&ps, &c), 0);	/* greenlet 1, depth 1 */
	c.track = 0;
	c.func = 1;
	c.depth = 0;
	c.end_ns = 100;
	c.flags = CALL_BEGAN_BEFORE_ATTACH;
	CHECK_EQ(probe_share__call(&ps, &c), 0);	/* not the greenlet's caller */
	CHECK_EQ(ps.funcs[1].entries, 0);
	CHECK_EQ(ps.funcs[1].returns, 1);
	c.pid = 8;				/* tid 10 reused by process 8 */
	c.flags = 0;
	CHECK_EQ(probe_share__call(&ps, &c), 0);
	CHECK_EQ(probe_share__threads(&ps, &th, &n), 0);
	CHECK_EQ(n, 2);
	CHECK(th[0].pid == 7 && th[0].entries == 1 && th[0].returns == 1);
	CHECK(th[1].pid == 8 && th[1].entries == 1 && th[1].returns == 1);
	free(th);
	probe_share__free(&ps);
}
