// SPDX-License-Identifier: MIT
/*
 * Pairing calls with returns, per thread.
 *
 * Each thread has a shadow stack of the Python frames it entered since the
 * tracer attached. How a return is paired with its call depends on what the
 * probe strategy tells us:
 *
 *  Frames already running when a thread is first seen arrive first, as
 *  TR_CALL_PREATTACH calls, innermost first: they go under the stack and
 *  their call is reported as beginning at the attach time
 *  (CALL_BEGAN_BEFORE_ATTACH).
 *
 *  - USDT: every return carries the returning frame's address. It pops the
 *    stack down to that frame. A return whose frame is not on the stack
 *    (only if the BPF side could not walk the frames at the thread's first
 *    event) is still reported, as a call beginning at the attach time whose
 *    self time comes from a per-thread total of the time spent in calls that
 *    completed at the bottom of the stack.
 *
 *  - EVAL: returns come from uretprobes and carry nothing: a return belongs
 *    to the innermost call whose uretprobe the kernel armed. The kernel arms
 *    at most 64 per task; deeper calls are flagged TR_CALL_RET_UNPROBED by
 *    the BPF side. An unprobed call has returned when either
 *      (a) a return of an armed call below it arrives, or
 *      (b) a new call arrives whose parent frame is below it on the stack
 *          (the new frame's caller chain no longer contains it).
 *    Such a return is reported at the time it was noticed, flagged
 *    CALL_END_INFERRED (its end is an upper bound; counts stay exact).
 *
 * GC collections and imports (TR_EV_RUNTIME) nest with the calls: each
 * thread keeps its open ones (user/analysis/runtime_slices.c) with the depth of the
 * call stack at their begin. An end closes the innermost open one of its
 * kind, and first the calls begun inside it (unprobed returns, or lost).
 * A call that returns closes what was begun inside it and is still open
 * (an end that was lost or not probed: CALL_END_INFERRED). Such an end is
 * put 1 ns before the event that revealed it: it came strictly before, and
 * consumers that add up floating-point microseconds (speedscope) would
 * otherwise see two ends, or an end and a begin, in the wrong order.
 *
 * At the end of the session, frames still open are closed at the end time
 * with CALL_END_AT_SESSION_END, and so are open collections and imports;
 * when a process ends (user/analysis/analyzer_procs.c), those of its threads at its
 * exit time with CALL_END_AT_EXIT.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/internal.h"
#include "util/array.h"
#include "model/stack_table.h"

/* stack ID (0: out of memory) told to the sinks if new (N) */
static uint32_t stack_told(struct analyzer *a, uint32_t id, bool is_new,
			   const struct stack_node *n)
{
	struct sink *s;

	if (!id)
		note_err(a, -ENOMEM);
	if (is_new)
		FOR_SINKS(a, s)
			if (s->ops->stack)
				note_err(a, s->ops->stack(s, n));
	return id;
}

/* the stack of FUNC called from stack PARENT, told to the sinks if new */
uint32_t pairing__stack_of(struct analyzer *a, uint32_t parent, uint32_t func)
{
	struct stack_node n;
	bool is_new;
	uint32_t id;

	if (!a->stacks)
		return 0;
	id = stack_table__intern(a->stacks, parent, func, &is_new, &n);
	return stack_told(a, id, is_new, &n);
}

/* the stack of a call of FUNC from stack PARENT: cut at STACK_DEPTH_MAX
 * frames (user/model/stack_table.h), the calls cut counted */
static uint32_t call_stack_of(struct analyzer *a, uint32_t parent, uint32_t func)
{
	struct stack_node n;
	uint32_t marker, id;
	bool is_new, cut;

	if (!a->stacks || !stack_table__too_deep(a->stacks, parent))
		return pairing__stack_of(a, parent, func);
	a->st.calls_deeper++;
	if (samples__truncated_func(a, &marker)) {
		note_err(a, -ENOMEM);
		return 0;
	}
	id = stack_table__intern_call(a->stacks, parent, func, marker, &is_new, &n, &cut);
	return stack_told(a, id, is_new, &n);
}

/* the record a sink gets: RAW, or with --subtract-probe-cost CORR unless
 * it is a timeline (user/analysis/probe_subtract.h) */
static const struct call_rec *rec_for(const struct analyzer *a, const struct sink *s,
				      const struct call_rec *raw, const struct call_rec *corr)
{
	return a->psplit.on && !s->ops->timeline ? corr : raw;
}

static void emit_begin(struct analyzer *a, const struct call_rec *c, const struct call_rec *cc)
{
	struct sink *s;

	FOR_SINKS(a, s)
		if (s->ops->begin)
			note_err(a, s->ops->begin(s, rec_for(a, s, c, cc)));
}

/* Give the frame at index I of T its stack, and its begin to the sinks. */
static void begin_frame(struct analyzer *a, struct thread_st *t, size_t i)
{
	struct frame_ent *f = &t->s.stack[i];
	uint32_t parent = i ? t->s.stack[i - 1].stack : 0;

	f->begun = true;
	if (f->hidden) {
		f->stack = parent;
		return;
	}
	f->stack = call_stack_of(a, parent, f->func);
	if (a->want_begin) {
		struct call_rec c = {
			.pid = t->pid, .tid = t->tid, .func = f->func, .depth = i, .track = t->s.track,
			.stack = f->stack, .start_ns = f->start,
			.flags = f->preattach ? CALL_BEGAN_BEFORE_ATTACH : 0,
			.task = f->task, .task_name = tasks__name(a, f->task),
		};
		struct call_rec cc = c;

		cc.start_ns = f->start_c;
		emit_begin(a, &c, &cc);
	}
}

/* Frames found running at the thread's first event are complete (outermost
 * at the bottom) once another event of the thread comes: begin them. */
static void begin_running(struct analyzer *a, struct thread_st *t)
{
	if (!t->s.unbegun)
		return;
	t->s.unbegun = false;
	for (size_t i = 0; i < t->s.depth; i++)
		if (!t->s.stack[i].begun)
			begin_frame(a, t, i);
}

/* --subtract-probe-cost: time TS of thread T corrected (probe_subtract.h),
 * never before its previous corrected time */
static uint64_t corr_time(struct thread_st *t, uint64_t ts)
{
	return t->last_c = probe_subtract__time(ts, t->pshift, t->last_c);
}

static void emit_call(struct analyzer *a, const struct call_rec *c, const struct call_rec *cc)
{
	struct sink *s;

	a->st.calls++;
	if (c->flags & CALL_END_INFERRED)
		a->st.inferred_returns++;
	if (c->flags & CALL_END_AT_SESSION_END)
		a->st.open_at_end++;
	if (c->flags & CALL_END_AT_EXIT)
		a->st.open_at_exit++;
	if (a->probe_share)
		note_err(a, probe_share__call(a->probe_share, c));
	FOR_SINKS(a, s)
		if (s->ops->call)
			note_err(a, s->ops->call(s, rec_for(a, s, c, cc)));
}

static void emit_runtime(struct analyzer *a, struct thread_st *t, struct runtime_rec *r)
{
	struct sink *s;

	r->pid = t->pid;
	r->tid = t->tid;
	if (r->kind == TR_RT_GC) {
		a->st.gc_collections++;
		a->st.gc_ns += r->end_ns - r->start_ns;
	} else {
		a->st.imports++;
		a->st.import_ns += r->end_ns - r->start_ns;
	}
	FOR_SINKS(a, s)
		if (s->ops->runtime)
			note_err(a, s->ops->runtime(s, r));
}

/* the innermost open GC collection or import of T ends at END */
static void close_slice(struct analyzer *a, struct thread_st *t, uint64_t end, int64_t result,
			uint32_t flags)
{
	struct runtime_rec r;

	if (rt_slices__close_top(&t->s.rt, end, result, flags, &r))
		emit_runtime(a, t, &r);
}

/*
 * A collection whose end the kernel does not probe (64 pending uretprobes)
 * ends, at the latest as far as we can tell, at the thread's next Python
 * event: the collector runs no Python code but finalizers and callbacks.
 * (An import runs its module's code: it ends with its enclosing call.)
 */
static void end_unprobed_gc(struct analyzer *a, struct thread_st *t, uint64_t ts)
{
	const struct rt_slice *r;

	while ((r = rt_slices__top(&t->s.rt)) && r->kind == TR_RT_GC &&
	       (r->flags & TR_RT_END_UNPROBED))
		close_slice(a, t, ts - 1, -1, CALL_END_INFERRED);
}

/* pop the top frame of T, ending at END with EXTRA flags */
static void pop(struct analyzer *a, struct thread_st *t, uint64_t end, uint32_t extra)
{
	/* a collection or an import begun inside the call ends with it at
	 * the latest (its end was lost, or not probed) */
	const struct rt_slice *r;

	while ((r = rt_slices__top(&t->s.rt)) && r->depth >= t->s.depth)
		close_slice(a, t, end - 1, -1, (extra & ~CALL_C_EXCEPTION) ? extra & ~CALL_C_EXCEPTION
								    : CALL_END_INFERRED);

	struct frame_ent *f = &t->s.stack[--t->s.depth];
	struct call_rec c = {
		.pid = t->pid, .tid = t->tid, .func = f->func, .depth = t->s.depth,
		.track = t->s.track,
	}, cc;
	uint64_t dur, end_c, dur_c;

	if (f->hidden)
		return;	/* its time stays the caller's own, as for sys.setprofile */
	if (end < f->start)
		end = f->start;
	dur = end - f->start;
	end_c = corr_time(t, end);
	if (end_c < f->start_c)
		end_c = f->start_c;
	dur_c = end_c - f->start_c;
	c.start_ns = f->start;
	c.end_ns = end;
	c.child_ns = f->child;
	c.stack = f->stack;
	c.flags = extra | (f->preattach ? CALL_BEGAN_BEFORE_ATTACH : 0);
	c.task = f->task;
	c.task_name = tasks__name(a, f->task);
	if (f->func < t->s.n_active && t->s.active[f->func]-- > 1)
		c.flags |= CALL_NESTED_SAME_FUNC;
	if (t->s.depth) {
		t->s.stack[t->s.depth - 1].child += dur;
		t->s.stack[t->s.depth - 1].child_c += dur_c;
	} else {
		t->s.bottom_child += dur;
		t->s.bottom_child_c += dur_c;
	}
	cc = c;
	cc.start_ns = f->start_c;
	cc.end_ns = end_c;
	cc.child_ns = f->child_c < dur_c ? f->child_c : dur_c;
	emit_call(a, &c, &cc);
}

static bool is_loader(const struct analyzer *a, uint32_t func)
{
	for (int i = 0; i < a->n_loaders; i++)
		if (a->loaders[i] == func)
			return true;
	return false;
}

/* push a frame; PREATTACH frames go under the stack (they come innermost first) */
static int push(struct analyzer *a, struct thread_st *t, uint64_t frame, uint64_t ts,
		uint32_t func, uint32_t flags, bool preattach, bool hidden)
{
	if (array__grow((void **)&t->s.stack, &t->s.cap, t->s.depth, sizeof(*t->s.stack)))
		return -ENOMEM;
	if (func >= t->s.n_active) {
		size_t n = (func + 1) * 2;
		uint32_t *v = realloc(t->s.active, n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memset(v + t->s.n_active, 0, (n - t->s.n_active) * sizeof(*v));
		t->s.active = v;
		t->s.n_active = n;
	}
	if (!hidden)
		t->s.active[func]++;
	struct frame_ent e = {
		.frame = frame, .start = ts, .func = func, .flags = flags, .preattach = preattach,
		.hidden = hidden,
		/* (a frame running since the attach: no probe ran before) */
	};

	e.start_c = preattach ? ts : corr_time(t, ts);
	if (preattach) {
		memmove(t->s.stack + 1, t->s.stack, t->s.depth * sizeof(*t->s.stack));
		t->s.stack[0] = e;
		t->s.depth++;
		t->s.unbegun = true;
		rt_slices__shift(&t->s.rt, 1);
	} else {
		if (t->s.rt.n && !hidden && is_loader(a, func))
			rt_slices__loading(&t->s.rt);
		e.task = tasks__of_call(t, frame);
		t->s.stack[t->s.depth++] = e;
		if (a->stacks || a->want_begin)
			begin_frame(a, t, t->s.depth - 1);
	}
	return 0;
}

static int call_event(struct analyzer *a, struct thread_st *t, const struct tr_ev_call *e);
static int return_event(struct analyzer *a, struct thread_st *t, const struct tr_ev_return *e);

/*
 * --subtract-probe-cost: every call and return event is a probe hit on its
 * thread, whatever the pairing makes of it (a RESUME seen twice, a return
 * unmatched): its cost before the timestamp is added to the thread's sum
 * before its time is corrected, the rest after (probe_subtract.h). The
 * frames of the attach walk are no hits of their own.
 */
int pairing__call(struct analyzer *a, const struct tr_ev_call *e)
{
	struct thread_st *t = analyzer__thread_of(a, e->hdr.pid, e->hdr.tid);
	bool hit = a->psplit.on && !(e->hdr.flags & TR_CALL_PREATTACH);
	int err;

	if (!t)
		return -ENOMEM;
	if (hit)
		t->pshift += a->psplit.entry_before;
	err = call_event(a, t, e);
	if (hit)
		t->pshift += a->psplit.entry_after;
	return err;
}

int pairing__return(struct analyzer *a, const struct tr_ev_return *e)
{
	struct thread_st *t = analyzer__thread_of(a, e->hdr.pid, e->hdr.tid);
	bool slow = e->hdr.flags & TR_RET_SLOW_SITE;
	int err;

	if (!t)
		return -ENOMEM;
	if (slow)
		a->slow_hits++;
	if (a->psplit.on)
		t->pshift += a->psplit.return_before;
	err = return_event(a, t, e);
	if (a->psplit.on)
		t->pshift += a->psplit.return_after + (slow ? a->psplit.slow_after : 0);
	return err;
}

static int call_event(struct analyzer *a, struct thread_st *t, const struct tr_ev_call *e)
{
	struct proc_st *ps = analyzer__proc(a, e->hdr.pid);
	uint32_t func;
	int err;

	bool preattach = e->hdr.flags & TR_CALL_PREATTACH;
	uint64_t start = e->hdr.ts;

	if (preattach && ps && ps->attach_ts < start)
		start = ps->attach_ts;
	if (!preattach) {
		begin_running(a, t);
		end_unprobed_gc(a, t, e->hdr.ts);
	}
	/* DISPATCH: a RESUME that de-specializes passes two call sites; a
	 * real call is never of the frame already on top (see
	 * user/cpython/dispatch_sites.c) */
	if (!preattach && t->s.depth && t->s.stack[t->s.depth - 1].frame == e->frame &&
	    ps && ps->strategy == TR_STRATEGY_DISPATCH)
		return 0;
	/* a greenlet switch since the thread's previous event; not with
	 * EVAL, whose returns carry no frame and whose callers are not
	 * exact enough to tell frame chains apart (pystacks.c) */
	if (!preattach && ps && ps->strategy != TR_STRATEGY_EVAL &&
	    (err = pystacks__for_call(t, e->parent, e->hdr.flags & TR_CALL_THROW)))
		return err;
	if (!preattach && ps && ps->strategy == TR_STRATEGY_EVAL) {
		/* (b) of the top comment: unprobed frames above the parent are
		 * gone; when the parent is not on the stack at all, no frame of
		 * the stack is an ancestor of the new one */
		size_t i = t->s.depth;
		while (i > 0 && t->s.stack[i - 1].frame != e->parent)
			i--;
		while (t->s.depth > i && (t->s.stack[t->s.depth - 1].flags & TR_CALL_RET_UNPROBED))
			pop(a, t, e->hdr.ts, CALL_END_INFERRED);
	}
	err = analyzer__func_of(a, ps, e->code, &func);
	if (err)
		return err;
	return push(a, t, e->frame, start, func, e->hdr.flags & TR_CALL_RET_UNPROBED, preattach,
		    e->hdr.flags & TR_CALL_GEN_CREATE);
}

static int return_event(struct analyzer *a, struct thread_st *t, const struct tr_ev_return *e)
{
	struct proc_st *ps = analyzer__proc(a, e->hdr.pid);
	size_t i;
	int err;

	begin_running(a, t);
	end_unprobed_gc(a, t, e->hdr.ts);
	if (!e->frame) {
		/* uretprobe: the innermost armed call returns (a) */
		for (i = t->s.depth; i > 0; i--)
			if (!(t->s.stack[i - 1].flags & TR_CALL_RET_UNPROBED))
				break;
		if (!i) {
			a->st.unmatched_returns++;
			return 0;
		}
		while (t->s.depth > i)
			pop(a, t, e->hdr.ts, CALL_END_INFERRED);
		pop(a, t, e->hdr.ts, 0);
		return 0;
	}
	if ((err = pystacks__for_return(t, e->frame)))
		return err;
	for (i = t->s.depth; i > 0; i--)
		if (t->s.stack[i - 1].frame == e->frame)
			break;
	if (i) {
		/* frames above it missed their return: only after a loss */
		if (t->s.depth > i)
			a->st.unmatched_returns += t->s.depth - i;
		while (t->s.depth > i)
			pop(a, t, e->hdr.ts, CALL_END_INFERRED);
		/* (--c-calls: a C call whose end was not seen) */
		pop(a, t, e->hdr.ts, (e->hdr.flags & TR_RET_END_INFERRED ? CALL_END_INFERRED : 0) |
				     (e->hdr.flags & TR_RET_C_EXCEPTION ? CALL_C_EXCEPTION : 0));
		return 0;
	}
	if (t->s.depth && !pystacks__for_unknown_return(t, e->frame, &err)) {
		/* not ours, yet frames of ours are above it: something was lost */
		if (err)
			return err;
		a->st.unmatched_returns++;
		return 0;
	}
	/* a frame running since before the attach returns */
	pystacks__base_returned(t, e->frame);
	uint32_t func;
	err = analyzer__func_of(a, ps, e->code, &func);
	if (err)
		return err;
	uint64_t start = ps ? ps->attach_ts : e->hdr.ts;
	if (start > e->hdr.ts)
		start = e->hdr.ts;
	struct call_rec c = {
		.pid = t->pid, .tid = t->tid, .func = func, .depth = 0, .track = t->s.track,
		.start_ns = start, .end_ns = e->hdr.ts, .child_ns = t->s.bottom_child,
		.flags = CALL_BEGAN_BEFORE_ATTACH,
	};
	c.stack = pairing__stack_of(a, 0, func);
	if (a->want_begin) {
		struct call_rec b = c;
		b.end_ns = b.child_ns = 0;
		emit_begin(a, &b, &b);
	}
	if (c.child_ns > c.end_ns - c.start_ns)
		c.child_ns = c.end_ns - c.start_ns;
	/* (corrected: it began at the attach, before any probe ran) */
	struct call_rec cc = c;

	cc.end_ns = corr_time(t, c.end_ns);
	if (cc.end_ns < cc.start_ns)
		cc.end_ns = cc.start_ns;
	cc.child_ns = t->s.bottom_child_c < cc.end_ns - cc.start_ns ? t->s.bottom_child_c
								     : cc.end_ns - cc.start_ns;
	/* it encloses everything traced on this thread so far */
	t->s.bottom_child = c.end_ns - c.start_ns;
	t->s.bottom_child_c = cc.end_ns - cc.start_ns;
	emit_call(a, &c, &cc);
	return 0;
}

/* a GC collection or an import begins or ends (user/analysis/runtime_slices.c) */
int pairing__runtime(struct analyzer *a, const struct tr_ev_runtime *e)
{
	struct thread_st *t = analyzer__thread_of(a, e->hdr.pid, e->hdr.tid);
	size_t i;

	if (!t)
		return -ENOMEM;
	begin_running(a, t);
	if (e->hdr.flags & TR_RT_GENERATION) {
		rt_slices__generation(&t->s.rt, e->value);
		return 0;
	}
	if (!(e->hdr.flags & TR_RT_END))
		return rt_slices__open(&t->s.rt, e, t->s.depth);
	i = rt_slices__find(&t->s.rt, e->kind);
	if (!i) {
		/* running since before the attach: it began then, at the latest */
		struct proc_st *ps = analyzer__proc(a, e->hdr.pid);
		struct runtime_rec r = {
			.kind = e->kind, .start_ns = ps ? ps->attach_ts : e->hdr.ts,
			.end_ns = e->hdr.ts, .generation = -1, .result = e->value,
			.name = e->kind == TR_RT_IMPORT ? "<a module being imported at attach>" : NULL,
			.flags = CALL_BEGAN_BEFORE_ATTACH,
		};
		if (r.start_ns > r.end_ns)
			r.start_ns = r.end_ns;
		emit_runtime(a, t, &r);
		return 0;
	}
	/* calls begun inside it have returned: unprobed returns, or lost ones */
	while (t->s.depth > t->s.rt.v[i - 1].depth) {
		if (!(t->s.stack[t->s.depth - 1].flags & TR_CALL_RET_UNPROBED))
			a->st.unmatched_returns++;
		pop(a, t, e->hdr.ts - 1, CALL_END_INFERRED);
	}
	while (t->s.rt.n > i)
		close_slice(a, t, e->hdr.ts - 1, -1, CALL_END_INFERRED);
	close_slice(a, t, e->hdr.ts, e->value, 0);
	return 0;
}

void pairing__close_thread(struct analyzer *a, struct thread_st *t, uint64_t end_ts,
			   uint32_t flags)
{
	do {
		begin_running(a, t);
		while (t->s.depth)
			pop(a, t, end_ts, flags);
		while (t->s.rt.n)
			close_slice(a, t, end_ts, -1, flags);
	} while (pystacks__next_parked(t));	/* greenlets' stacks */
}
