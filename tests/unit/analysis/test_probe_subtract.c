// SPDX-License-Identifier: MIT
/*
 * --subtract-probe-cost in the analyzer (analysis/probe_subtract.h): an
 * aggregate sink gets the calls' times less the probe cost each thread
 * paid before them, split around each event's timestamp; a timeline sink
 * the measured times.
 */
#include "unit.h"
#include "analysis/analyzer.h"
#include "analyzer_events.h"
#include "cpython/x86_code.h"

#define PID 100

struct rec_sink {
	struct sink base;
	struct call_rec calls[8];
	int n;
};

static int rec_call(struct sink *s, const struct call_rec *r)
{
	struct rec_sink *c = (struct rec_sink *)s;

	CHECK(c->n < 8);
	c->calls[c->n++] = *r;
	return 0;
}

static int rec_finish(struct sink *s, const struct session_stats *st)
{
	return 0;
}

static const struct sink_ops agg_ops = { .name = "agg", .call = rec_call,
					 .finish = rec_finish };
static const struct sink_ops line_ops = { .name = "line", .call = rec_call,
					  .finish = rec_finish, .timeline = true };

static void code(struct analyzer *a, uint64_t addr, const char *name)
{
	CHECK_EQ(ev_code(a, PID, 1, 10, addr, name), 0);
}

static void call(struct analyzer *a, uint64_t ts, uint64_t frame, uint64_t parent, uint64_t co)
{
	CHECK_EQ(ev_call(a, PID, 1, ts, frame, parent, co), 0);
}

static void ret(struct analyzer *a, uint64_t ts, uint64_t frame, uint8_t flags)
{
	CHECK_EQ(ev_return(a, PID, 1, ts, frame, flags), 0);
}

/*
 * f calls g twice; g's first return is from a single-stepped site. Costs:
 * an entry 100 ns before its timestamp (trap 50 + BPF 50) and 20 after, a
 * return 80 before (30 + 50) and 30 after, a single-step 500 more after.
 */
TEST(probe_subtract_moves_times_back_by_the_costs_before_them)
{
	struct rec_sink agg = { .base.ops = &agg_ops }, line = { .base.ops = &line_ops };
	struct sink *sinks[] = { &agg.base, &line.base };
	struct probe_cost pc = {
		.measured = true, .subtracted = true,
		.trap_entry_ns = 70, .trap_entry_before_ns = 50, .bpf_entry_ns = 50,
		.trap_return_ns = 60, .trap_return_before_ns = 30, .bpf_return_ns = 50,
		.slow_extra_ns = 500, .slow_sites = 1,
	};
	struct in_process p = { .pid = PID, .instance = 1, .version_hex = 0x030d00f0,
				.strategy = TR_STRATEGY_DISPATCH, .attach_ts = 500 };
	struct in_end end = { .end_ts = 20000, .probe_cost = pc };
	struct analyzer *a = analyzer__new(sinks, 2);
	const struct session_stats *st;

	CHECK(a);
	analyzer__set_probe_cost(a, &pc);
	CHECK_EQ(analyzer__process(a, &p), 0);
	code(a, 0xc0de, "f");
	code(a, 0xc0df, "g");
	call(a, 1000, 0xf1, 0, 0xc0de);		/* sum 100, f starts at 900, sum 120 */
	call(a, 2000, 0xf2, 0xf1, 0xc0df);	/* 220: g at 1780, 240 */
	ret(a, 3000, 0xf2, TR_RET_SLOW_SITE);	/* 320: g ends at 2680, 850 */
	call(a, 4000, 0xf3, 0xf1, 0xc0df);	/* 950: g at 3050, 970 */
	ret(a, 5000, 0xf3, 0);			/* 1050: g ends at 3950, 1080 */
	ret(a, 10000, 0xf1, 0);			/* 1160: f ends at 8840 */
	CHECK_EQ(analyzer__end(a, &end), 0);
	st = analyzer__stats(a);

	CHECK_EQ(agg.n, 3);
	CHECK_EQ(line.n, 3);
	/* the timeline: as measured */
	CHECK(line.calls[0].start_ns == 2000 && line.calls[0].end_ns == 3000);
	CHECK(line.calls[2].start_ns == 1000 && line.calls[2].end_ns == 10000);
	CHECK_EQ(line.calls[2].child_ns, 2000);
	/* g: 1000 measured, less its entry's after (20) and its return's
	 * before (80); the single-step is after its end */
	CHECK(agg.calls[0].start_ns == 1780 && agg.calls[0].end_ns == 2680);
	CHECK(agg.calls[1].start_ns == 3050 && agg.calls[1].end_ns == 3950);
	/* f: 9000 measured, 7940 corrected; its self 7000 -> 6140: it lost
	 * 20 + 100 + (30 + 500) + 100 + 30 + 80 = 860 */
	CHECK(agg.calls[2].start_ns == 900 && agg.calls[2].end_ns == 8840);
	CHECK_EQ(agg.calls[2].child_ns, 1800);
	CHECK_EQ(st->probe_cost.slow_hits, 1);
	analyzer__free(a);
}

/* without the costs set (the flag off), every sink gets measured times */
TEST(probe_subtract_off_changes_nothing)
{
	struct rec_sink agg = { .base.ops = &agg_ops };
	struct sink *sinks[] = { &agg.base };
	struct in_process p = { .pid = PID, .instance = 1, .version_hex = 0x030d00f0,
				.strategy = TR_STRATEGY_DISPATCH, .attach_ts = 500 };
	struct in_end end = { .end_ts = 20000 };
	struct analyzer *a = analyzer__new(sinks, 1);

	CHECK(a);
	CHECK_EQ(analyzer__process(a, &p), 0);
	code(a, 0xc0de, "f");
	call(a, 1000, 0xf1, 0, 0xc0de);
	ret(a, 3000, 0xf1, TR_RET_SLOW_SITE);
	CHECK_EQ(analyzer__end(a, &end), 0);
	CHECK_EQ(agg.n, 1);
	CHECK(agg.calls[0].start_ns == 1000 && agg.calls[0].end_ns == 3000);
	analyzer__free(a);
}

/* the calibration's single-stepped site (capture/probe_cost.c) is a mov,
 * which the kernel does not emulate; its emulated site is a nop */
TEST(probe_subtract_calibration_sites)
{
	static const unsigned char mov[] = { 0x48, 0x89, 0xf8 }, nop[] = { 0x90 };

	CHECK(!x86_code__kernel_emulates(mov, sizeof(mov)));
	CHECK(x86_code__kernel_emulates(nop, sizeof(nop)));
}

/* costs calibrated above what the hits took: corrected times never go
 * back (a callee starts no earlier than its caller, durations >= 0) */
TEST(probe_subtract_never_turns_time_back)
{
	struct rec_sink agg = { .base.ops = &agg_ops };
	struct sink *sinks[] = { &agg.base };
	struct probe_cost pc = {
		.measured = true, .subtracted = true,
		.trap_entry_ns = 700, .trap_entry_before_ns = 500, .bpf_entry_ns = 500,
		.trap_return_ns = 700, .trap_return_before_ns = 500, .bpf_return_ns = 500,
		.slow_extra_ns = -1,
	};
	struct in_process p = { .pid = PID, .instance = 1, .version_hex = 0x030d00f0,
				.strategy = TR_STRATEGY_DISPATCH, .attach_ts = 500 };
	struct in_end end = { .end_ts = 20000, .probe_cost = pc };
	struct analyzer *a = analyzer__new(sinks, 1);

	CHECK(a);
	analyzer__set_probe_cost(a, &pc);
	CHECK_EQ(analyzer__process(a, &p), 0);
	code(a, 0xc0de, "f");
	code(a, 0xc0df, "g");
	call(a, 10000, 0xf1, 0, 0xc0de);	/* sum 1000: f at 9000, 1200 */
	call(a, 10100, 0xf2, 0xf1, 0xc0df);	/* 2200: 7900 -> 9000, 2400 */
	ret(a, 10200, 0xf2, 0);			/* 3400: 6800 -> 9000 */
	ret(a, 10300, 0xf1, 0);
	CHECK_EQ(analyzer__end(a, &end), 0);
	CHECK_EQ(agg.n, 2);
	CHECK(agg.calls[0].start_ns == 9000 && agg.calls[0].end_ns == 9000);
	CHECK(agg.calls[1].start_ns == 9000 && agg.calls[1].end_ns == 9000);
	CHECK_EQ(agg.calls[1].child_ns, 0);
	analyzer__free(a);
}
