// SPDX-License-Identifier: MIT
/*
 * analyzer: processes that end (TR_EV_EXIT, or an EXIT lost and the pid
 * reused), events of an instance that is not the pid's live one, EXITs of
 * no live process. A capturing sink logs what the analyzer hands over.
 */
#include <errno.h>
#include <stdarg.h>
#include "unit.h"
#include "analysis/analyzer.h"
#include "analyzer_events.h"
#include "util/hashmap.h"

#define PID 100

struct cap_sink {
	struct sink base;
	char log[8192];		/* one line per callback, in order */
	char names[16][64];	/* function names by id */
	struct call_rec calls[16];
	int n_calls;
	struct runtime_rec rts[4];
	int n_rts;
	struct proc_end_rec ends[4];
	int n_ends;
};

static void cap_log(struct cap_sink *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void cap_log(struct cap_sink *c, const char *fmt, ...)
{
	size_t n = strlen(c->log);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->log + n, sizeof(c->log) - n, fmt, ap);
	va_end(ap);
}

static int cap_process(struct sink *s, const struct in_process *p)
{
	cap_log((struct cap_sink *)s, "process %u/%u\n", p->pid, p->instance);
	return 0;
}

static int cap_func(struct sink *s, const struct func_info *f)
{
	struct cap_sink *c = (struct cap_sink *)s;

	CHECK(f->id < 16);
	snprintf(c->names[f->id], sizeof(c->names[f->id]), "%s", f->qualname);
	return 0;
}

static int cap_call(struct sink *s, const struct call_rec *r)
{
	struct cap_sink *c = (struct cap_sink *)s;

	CHECK(c->n_calls < 16);
	c->calls[c->n_calls++] = *r;
	cap_log(c, "call %s %llu-%llu 0x%x\n", c->names[r->func], (unsigned long long)r->start_ns,
		(unsigned long long)r->end_ns, r->flags);
	return 0;
}

static int cap_runtime(struct sink *s, const struct runtime_rec *r)
{
	struct cap_sink *c = (struct cap_sink *)s;

	CHECK(c->n_rts < 4);
	c->rts[c->n_rts++] = *r;
	cap_log(c, "runtime %u %llu-%llu 0x%x\n", r->kind, (unsigned long long)r->start_ns,
		(unsigned long long)r->end_ns, r->flags);
	return 0;
}

static int cap_end(struct sink *s, const struct proc_end_rec *e)
{
	struct cap_sink *c = (struct cap_sink *)s;

	CHECK(c->n_ends < 4);
	c->ends[c->n_ends++] = *e;
	cap_log(c, "end %u/%u %llu 0x%x\n", e->pid, e->instance, (unsigned long long)e->ts,
		e->flags);
	return 0;
}

static int cap_finish(struct sink *s, const struct session_stats *st)
{
	cap_log((struct cap_sink *)s, "finish\n");
	return 0;
}

static const struct sink_ops cap_ops = {
	.name = "capture", .process = cap_process, .func = cap_func, .call = cap_call,
	.runtime = cap_runtime, .process_end = cap_end, .finish = cap_finish,
};

struct fixture {
	struct cap_sink cap;
	struct sink *sinks[1];
	struct analyzer *a;
};

static void fx_init(struct fixture *fx)
{
	memset(fx, 0, sizeof(*fx));
	fx->cap.base.ops = &cap_ops;
	fx->sinks[0] = &fx->cap.base;
	fx->a = analyzer__new(fx->sinks, 1);
	CHECK(fx->a);
}

static void fx_process(struct fixture *fx, uint32_t instance, uint64_t attach_ts)
{
	struct in_process p = { .pid = PID, .instance = instance, .version_hex = 0x030b04f0,
				.strategy = TR_STRATEGY_USDT, .attach_ts = attach_ts };

	CHECK_EQ(analyzer__process(fx->a, &p), 0);
}

static struct tr_ev_hdr hdr(uint8_t type, uint16_t size, uint32_t instance, uint64_t ts)
{
	return ev_hdr(type, size, PID, instance, ts);
}

/* code object CODE is NAME (ASCII) in /a.py */
static void fx_code(struct fixture *fx, uint32_t instance, uint64_t code, const char *name)
{
	CHECK_EQ(ev_code(fx->a, PID, instance, 10, code, name), 0);
}

/* FRAME called from PARENT (0: none, the first frame of its chain) */
static void fx_call(struct fixture *fx, uint32_t instance, uint64_t ts, uint64_t frame,
		    uint64_t parent, uint64_t code)
{
	CHECK_EQ(ev_call(fx->a, PID, instance, ts, frame, parent, code), 0);
}

static void fx_return(struct fixture *fx, uint32_t instance, uint64_t ts, uint64_t frame)
{
	CHECK_EQ(ev_return(fx->a, PID, instance, ts, frame, 0), 0);
}

static void fx_gc_begin(struct fixture *fx, uint32_t instance, uint64_t ts)
{
	static struct tr_ev_runtime e;

	memset(&e, 0, sizeof(e));
	e.hdr = hdr(TR_EV_RUNTIME, sizeof(e), instance, ts);
	e.kind = TR_RT_GC;
	e.value = 2;
	CHECK_EQ(analyzer__event(fx->a, &e, sizeof(e)), 0);
}

static void fx_exit(struct fixture *fx, uint32_t pid, uint32_t instance, uint64_t ts,
		    uint8_t flags)
{
	struct tr_ev_exit e = { .hdr = hdr(TR_EV_EXIT, sizeof(e), instance, ts) };

	e.hdr.pid = e.hdr.tid = pid;
	e.hdr.flags = flags;
	CHECK_EQ(analyzer__event(fx->a, &e, sizeof(e)), 0);
}

static const struct session_stats *fx_end(struct fixture *fx, uint64_t ts)
{
	struct in_end e = { .end_ts = ts };

	CHECK_EQ(analyzer__end(fx->a, &e), 0);
	return analyzer__stats(fx->a);
}

/*
 * Instance 1 of PID runs f, which calls g, which starts a collection; the
 * process exits at 3000 with all three open. Instance 2 (the pid reused)
 * calls code at f's old address, never described in it: not f.
 */
TEST(analyzer_exit_closes_calls_and_forgets_codes)
{
	struct fixture fx;
	const struct session_stats *st;

	fx_init(&fx);
	fx_process(&fx, 1, 1000);
	fx_code(&fx, 1, 0xc0de, "f");
	fx_code(&fx, 1, 0xc0df, "g");
	fx_call(&fx, 1, 2000, 0xf1, 0, 0xc0de);
	fx_call(&fx, 1, 2500, 0xf2, 0xf1, 0xc0df);
	fx_gc_begin(&fx, 1, 2600);
	fx_exit(&fx, PID, 1, 3000, TR_EXIT_EXEC);
	fx_process(&fx, 2, 4000);
	fx_call(&fx, 2, 5000, 0xf1, 0, 0xc0de);
	fx_return(&fx, 2, 6000, 0xf1);
	st = fx_end(&fx, 7000);

	CHECK_STR(fx.cap.log,
		  "process 100/1\n"
		  "runtime 1 2600-2999 0x10\n"	/* began inside g: ends with it */
		  "call g 2500-3000 0x10\n"
		  "call f 2000-3000 0x10\n"
		  "end 100/1 3000 0x1\n"
		  "process 100/2\n"
		  "call <unknown code 0xc0de> 5000-6000 0x0\n"
		  "finish\n");
	CHECK_EQ(fx.cap.calls[1].child_ns, 500);
	CHECK_EQ(st->processes, 2);
	CHECK_EQ(st->exits, 1);
	CHECK_EQ(st->exits_unseen, 0);
	CHECK_EQ(st->open_at_exit, 2);
	CHECK_EQ(st->open_at_end, 0);
	CHECK_EQ(st->events_stale, 0);
	analyzer__free(fx.a);
}

/* the EXIT of instance 1 is lost: instance 2's description ends it at its
 * latest event, counted; calls of instance 2 on the same tid start clean */
TEST(analyzer_lost_exit_ends_at_last_event)
{
	struct fixture fx;
	const struct session_stats *st;

	fx_init(&fx);
	fx_process(&fx, 1, 1000);
	fx_code(&fx, 1, 0xc0de, "f");
	fx_call(&fx, 1, 2000, 0xf1, 0, 0xc0de);
	fx_call(&fx, 1, 2500, 0xf2, 0xf1, 0xc0de);
	fx_return(&fx, 1, 2700, 0xf2);
	fx_process(&fx, 2, 4000);
	fx_code(&fx, 2, 0xc0de, "h");
	fx_call(&fx, 2, 5000, 0xf9, 0, 0xc0de);
	st = fx_end(&fx, 7000);

	CHECK_STR(fx.cap.log,
		  "process 100/1\n"
		  "call f 2500-2700 0x8\n"
		  "call f 2000-2700 0x10\n"
		  "end 100/1 2700 0x2\n"
		  "process 100/2\n"
		  "call h 5000-7000 0x4\n"
		  "finish\n");
	CHECK_EQ(fx.cap.calls[2].depth, 0);
	CHECK_EQ(st->processes, 2);
	CHECK_EQ(st->exits, 0);
	CHECK_EQ(st->exits_unseen, 1);
	CHECK_EQ(st->open_at_exit, 1);
	CHECK_EQ(st->open_at_end, 1);
	analyzer__free(fx.a);
}

/* a lost EXIT of a process that had no event: it ends at its attach */
TEST(analyzer_lost_exit_without_events)
{
	struct fixture fx;

	fx_init(&fx);
	fx_process(&fx, 1, 1000);
	fx_process(&fx, 2, 4000);
	fx_end(&fx, 7000);
	CHECK_STR(fx.cap.log, "process 100/1\nend 100/1 1000 0x2\nprocess 100/2\nfinish\n");
	analyzer__free(fx.a);
}

/* the same process described again (same instance, or one unknown): not a
 * new process, its identities kept */
TEST(analyzer_same_instance_described_again)
{
	struct fixture fx;
	const struct session_stats *st;

	fx_init(&fx);
	fx_process(&fx, 1, 1000);
	fx_code(&fx, 1, 0xc0de, "f");
	fx_process(&fx, 1, 1000);
	fx_process(&fx, 0, 1000);
	fx_call(&fx, 1, 2000, 0xf1, 0, 0xc0de);
	fx_return(&fx, 0, 2500, 0xf1);	/* instance unknown: the live one's */
	st = fx_end(&fx, 7000);
	CHECK_STR(fx.cap.log, "process 100/1\nprocess 100/1\nprocess 100/0\n"
		  "call f 2000-2500 0x0\nfinish\n");
	CHECK_EQ(st->processes, 1);
	CHECK_EQ(st->exits_unseen, 0);
	analyzer__free(fx.a);
}

/* events of another instance than the live one, or after the exit:
 * counted and skipped; EXITs of no live process: counted and ignored */
TEST(analyzer_stale_events_and_exits)
{
	struct fixture fx;
	const struct session_stats *st;

	fx_init(&fx);
	fx_exit(&fx, 999, 1, 500, 0);		/* never described */
	fx_process(&fx, 2, 1000);
	fx_code(&fx, 2, 0xc0de, "f");
	fx_call(&fx, 1, 2000, 0xf1, 0, 0xc0de);	/* instance 1: not live */
	fx_exit(&fx, PID, 1, 2100, 0);		/* likewise */
	fx_call(&fx, 2, 2200, 0xf2, 0, 0xc0de);
	fx_exit(&fx, PID, 2, 3000, 0);
	fx_return(&fx, 2, 3100, 0xf2);		/* after its exit */
	fx_exit(&fx, PID, 2, 3200, 0);		/* twice */
	st = fx_end(&fx, 7000);

	CHECK_STR(fx.cap.log, "process 100/2\ncall f 2200-3000 0x10\nend 100/2 3000 0x0\nfinish\n");
	CHECK_EQ(st->events_stale, 2);
	CHECK_EQ(st->exits_ignored, 3);
	CHECK_EQ(st->exits, 1);
	CHECK_EQ(st->processes, 1);
	CHECK_EQ(st->open_at_end, 0);
	analyzer__free(fx.a);
}

/* recordings made before instances existed (instance 0 everywhere): a
 * process described once, its calls closed at the session's end */
TEST(analyzer_unknown_instances_as_before)
{
	struct fixture fx;
	const struct session_stats *st;

	fx_init(&fx);
	fx_process(&fx, 0, 1000);
	fx_code(&fx, 0, 0xc0de, "f");
	fx_call(&fx, 0, 2000, 0xf1, 0, 0xc0de);
	st = fx_end(&fx, 7000);
	CHECK_STR(fx.cap.log, "process 100/0\ncall f 2000-7000 0x4\nfinish\n");
	CHECK_EQ(st->processes, 1);
	CHECK_EQ(st->exits + st->exits_unseen + st->events_stale + st->exits_ignored, 0);
	analyzer__free(fx.a);
}

/*
 * Greenlets (user/analysis/pystacks.c): two greenlets started from the main
 * one (their first frames have no caller) interleave on one thread; each
 * return pairs with its own greenlet's call, on its own track, none is
 * unmatched. Then a greenlet suspended since before the attach resumes: a
 * call from a frame on no stack, its return, then that frame's return (the
 * stack's base): a track of its own, the frame begun before the attach.
 */
TEST(analyzer_greenlets_pair_per_stack)
{
	struct fixture fx;
	const struct session_stats *st;

	fx_init(&fx);
	fx_process(&fx, 1, 1000);
	fx_code(&fx, 1, 0xc0de, "m");
	fx_code(&fx, 1, 0xc0df, "w");
	fx_code(&fx, 1, 0xc0e0, "l");
	fx_call(&fx, 1, 2000, 0xa1, 0, 0xc0de);		/* main greenlet */
	fx_call(&fx, 1, 2100, 0xb1, 0, 0xc0df);		/* greenlet 1 starts */
	fx_call(&fx, 1, 2200, 0xb2, 0xb1, 0xc0e0);
	fx_return(&fx, 1, 2300, 0xb2);
	fx_call(&fx, 1, 2400, 0xc1, 0, 0xc0df);		/* greenlet 2 starts */
	fx_call(&fx, 1, 2500, 0xc2, 0xc1, 0xc0e0);
	fx_return(&fx, 1, 2600, 0xc2);
	fx_call(&fx, 1, 2700, 0xb2, 0xb1, 0xc0e0);	/* back in greenlet 1 */
	fx_return(&fx, 1, 2800, 0xb2);
	fx_return(&fx, 1, 2900, 0xb1);			/* greenlet 1 ends */
	fx_return(&fx, 1, 3000, 0xc1);			/* greenlet 2 ends */
	fx_call(&fx, 1, 3050, 0xd2, 0xd1, 0xc0e0);	/* suspended since before */
	fx_return(&fx, 1, 3060, 0xd2);
	fx_return(&fx, 1, 3070, 0xd1);
	fx_return(&fx, 1, 3100, 0xa1);
	st = fx_end(&fx, 7000);

	CHECK_STR(fx.cap.log,
		  "process 100/1\n"
		  "call l 2200-2300 0x0\n"
		  "call l 2500-2600 0x0\n"
		  "call l 2700-2800 0x0\n"
		  "call w 2100-2900 0x0\n"
		  "call w 2400-3000 0x0\n"
		  "call l 3050-3060 0x0\n"
		  "call <unknown code 0x0> 1000-3070 0x1\n"
		  "call m 2000-3100 0x0\n"
		  "finish\n");
	static const uint32_t tracks[] = { 1, 2, 1, 1, 2, 1, 1, 0 };
	static const uint64_t child[] = { 0, 0, 0, 200, 100, 0, 10, 0 };
	CHECK_EQ(fx.cap.n_calls, 8);
	for (int i = 0; i < 8; i++) {
		CHECK_EQ(fx.cap.calls[i].track, tracks[i]);
		CHECK_EQ(fx.cap.calls[i].child_ns, child[i]);
		CHECK_EQ(fx.cap.calls[i].depth, (uint32_t)(i < 3));	/* l under d1: at the bottom of what is known */
	}
	CHECK_EQ(st->unmatched_returns, 0);
	CHECK_EQ(st->inferred_returns, 0);
	CHECK_EQ(st->open_at_end, 0);
	analyzer__free(fx.a);
}

/*
 * gen.throw() into a generator that delegates (`yield from`, await):
 * CPython makes the delegating generator's frame current without running it
 * (no event), then resumes the inner one with the throw, whose call's
 * PARENT is that frame, on no stack. Flagged TR_CALL_THROW, the call stays
 * on the running stack, nested in the frame that threw, as sys.setprofile's
 * events nest; the same events unflagged read as a greenlet suspended since
 * before the attach resuming (a track of its own).
 */
TEST(analyzer_throw_through_a_delegator_stays_on_the_stack)
{
	for (int flagged = 1; flagged >= 0; flagged--) {
		struct fixture fx;
		const struct session_stats *st;

		fx_init(&fx);
		fx_process(&fx, 1, 1000);
		fx_code(&fx, 1, 0xc0de, "throws");
		fx_code(&fx, 1, 0xc0df, "inner");
		fx_call(&fx, 1, 2000, 0xa1, 0, 0xc0de);
		CHECK_EQ(ev_call_flagged(fx.a, PID, 1, 2100, 0xb2, 0xb1, 0xc0df,
					 flagged ? TR_CALL_THROW : 0), 0);
		fx_return(&fx, 1, 2200, 0xb2);			/* it yields */
		fx_return(&fx, 1, 3000, 0xa1);
		st = fx_end(&fx, 7000);
		CHECK_STR(fx.cap.log, "process 100/1\n"
				      "call inner 2100-2200 0x0\n"
				      "call throws 2000-3000 0x0\n"
				      "finish\n");
		CHECK_EQ(fx.cap.n_calls, 2);
		CHECK_EQ(fx.cap.calls[0].track, flagged ? 0u : 1u);
		CHECK_EQ(fx.cap.calls[0].depth, flagged ? 1u : 0u);
		CHECK_EQ(fx.cap.calls[1].child_ns, flagged ? 100u : 0u);
		CHECK_EQ(st->unmatched_returns, 0);
		analyzer__free(fx.a);
	}
}

/* removing a process's entries (keys pid << 32 | x) keeps the others
 * findable, also across clusters that wrap around the table's end */
TEST(hashmap_del_upper_keeps_the_rest)
{
	for (uint32_t round = 0; round < 50; round++) {
		struct hashmap *m = hashmap__new();
		size_t n = 0;

		for (uint64_t pid = 1; pid <= 5; pid++)
			for (uint64_t tid = 0; tid < 7 + round; tid++)
				CHECK_EQ(hashmap__set(m, pid << 32 | tid, (void *)(pid << 32 | tid)), 0);
		CHECK_EQ(hashmap__del_upper(m, 3, NULL, NULL), 7 + round);
		for (uint64_t pid = 1; pid <= 5; pid++)
			for (uint64_t tid = 0; tid < 7 + round; tid++) {
				void *v = hashmap__get(m, pid << 32 | tid);

				CHECK(pid == 3 ? !v : v == (void *)(pid << 32 | tid));
				n += !!v;
			}
		CHECK_EQ(n, 4 * (7 + round));
		CHECK_EQ(hashmap__size(m), n);
		hashmap__free(m, NULL);
	}
}
