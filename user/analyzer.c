// SPDX-License-Identifier: MIT
/*
 * From raw events to completed calls.
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
 * At the end of the session, frames still open are closed at the end time
 * with CALL_END_AT_SESSION_END.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analyzer.h"
#include "func_table.h"
#include "hashmap.h"
#include "pystr.h"
#include "stack_table.h"

struct frame_ent {
	uint64_t frame;
	uint64_t start;
	uint64_t child;
	uint32_t func;
	uint32_t flags;		/* TR_CALL_* flags of the call event */
	bool preattach;		/* running since before the thread was first seen */
	bool hidden;		/* creates a generator: on the stack only to be
				 * paired with its return, never reported */
	bool begun;		/* its begin was told to the sinks */
	uint32_t stack;		/* stack_node.id (a hidden frame: its caller's) */
};

struct thread_st {
	uint32_t pid, tid;
	struct frame_ent *stack;
	size_t depth, cap;
	uint32_t *active;	/* active[func]: activations on the stack */
	size_t n_active;
	uint64_t bottom_child;	/* time of calls completed at depth 0 not yet
				 * attributed to a frame running since attach */
	bool unbegun;		/* frames running since attach wait for their
				 * begin: they arrive innermost first */
};

struct proc_st {
	struct in_process info;
	struct hashmap *code;	/* code object address -> func id + 1 */
};

struct analyzer {
	struct sink **sinks;
	int n_sinks;
	int err;
	struct func_table *funcs;
	struct hashmap *procs;		/* pid -> proc_st */
	struct hashmap *threads;	/* pid << 32 | tid -> thread_st */
	struct thread_st *last_thread;	/* of the previous event: most events
					 * come in runs of one thread */
	struct proc_st *last_proc;
	struct stack_table *stacks;	/* only when a sink takes stacks */
	bool want_begin;		/* a sink takes begins */
	struct session_stats st;
};

static void note_err(struct analyzer *a, int err)
{
	if (err && !a->err)
		a->err = err;
}

#define FOR_SINKS(a, s) for (int _i = 0; _i < (a)->n_sinks && ((s) = (a)->sinks[_i]); _i++)

struct analyzer *analyzer__new(struct sink **sinks, int n)
{
	struct analyzer *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->sinks = sinks;
	a->n_sinks = n;
	a->funcs = func_table__new();
	a->procs = hashmap__new();
	a->threads = hashmap__new();
	bool want_stacks = false;
	for (int i = 0; i < n; i++) {
		want_stacks |= sinks[i]->ops->stack != NULL;
		a->want_begin |= sinks[i]->ops->begin != NULL;
	}
	if (want_stacks)
		a->stacks = stack_table__new();
	if (!a->funcs || !a->procs || !a->threads || (want_stacks && !a->stacks)) {
		analyzer__free(a);
		return NULL;
	}
	return a;
}

static void free_proc(void *p)
{
	struct proc_st *ps = p;

	hashmap__free(ps->code, NULL);
	free(ps);
}

static void free_thread(void *p)
{
	struct thread_st *t = p;

	free(t->stack);
	free(t->active);
	free(t);
}

void analyzer__free(struct analyzer *a)
{
	if (!a)
		return;
	func_table__free(a->funcs);
	stack_table__free(a->stacks);
	hashmap__free(a->procs, free_proc);
	hashmap__free(a->threads, free_thread);
	free(a);
}

const struct session_stats *analyzer__stats(const struct analyzer *a)
{
	return &a->st;
}

int analyzer__process(struct analyzer *a, const struct in_process *p)
{
	struct proc_st *ps = hashmap__get(a->procs, p->pid);
	struct sink *s;

	if (!ps) {
		ps = calloc(1, sizeof(*ps));
		if (!ps || !(ps->code = hashmap__new()) || hashmap__set(a->procs, p->pid, ps)) {
			if (ps)
				hashmap__free(ps->code, NULL);
			free(ps);
			return -ENOMEM;
		}
	}
	ps->info = *p;
	FOR_SINKS(a, s)
		if (s->ops->process)
			note_err(a, s->ops->process(s, p));
	return a->err;
}

/* the state of process PID (entries are never removed) */
static struct proc_st *get_proc(struct analyzer *a, uint32_t pid)
{
	if (!a->last_proc || a->last_proc->info.pid != pid)
		a->last_proc = hashmap__get(a->procs, pid);
	return a->last_proc;
}

static struct thread_st *get_thread(struct analyzer *a, uint32_t pid, uint32_t tid)
{
	uint64_t key = (uint64_t)pid << 32 | tid;
	struct thread_st *t = a->last_thread;

	if (t && t->pid == pid && t->tid == tid)
		return t;
	t = hashmap__get(a->threads, key);
	if (t)
		return a->last_thread = t;
	t = calloc(1, sizeof(*t));
	if (!t || hashmap__set(a->threads, key, t)) {
		free(t);
		return NULL;
	}
	t->pid = pid;
	t->tid = tid;
	return t;
}

int analyzer__thread(struct analyzer *a, const struct in_thread *th)
{
	struct sink *s;

	if (!get_thread(a, th->pid, th->tid))
		return -ENOMEM;
	FOR_SINKS(a, s)
		if (s->ops->thread)
			note_err(a, s->ops->thread(s, th));
	return a->err;
}

static void emit_func(struct analyzer *a, const struct func_info *f)
{
	struct sink *s;

	FOR_SINKS(a, s)
		if (s->ops->func)
			note_err(a, s->ops->func(s, f));
}

static int intern(struct analyzer *a, const char *name, const char *file, uint32_t line,
		  uint32_t *id)
{
	bool is_new;
	const struct func_info *f = func_table__intern(a->funcs, name, file, line, &is_new);

	if (!f)
		return -ENOMEM;
	if (is_new)
		emit_func(a, f);
	*id = f->id;
	return 0;
}

static int on_code(struct analyzer *a, const struct tr_ev_code *e)
{
	struct proc_st *ps = get_proc(a, e->hdr.pid);
	bool tn = false, tf = false;
	char *name, *file;
	uint32_t id;
	int err;

	if (!ps)
		return 0;	/* counted as no_config on the BPF side */
	name = pystr__to_utf8(e->name, TR_NAME_MAX, e->name_len, e->name_enc, &tn);
	file = pystr__to_utf8(e->file, TR_FILE_MAX, e->file_len, e->file_enc, &tf);
	if (!name || !file) {
		free(name);
		free(file);
		return -ENOMEM;
	}
	if (tn || tf || !e->name_enc || !e->file_enc)
		a->st.truncated_names++;
	err = intern(a, name, file, e->firstlineno, &id);
	free(name);
	free(file);
	if (err)
		return err;
	return hashmap__set(ps->code, e->code, (void *)(uintptr_t)(id + 1));
}

/* the identity of CODE in process PS, or a placeholder when never described */
static int func_of(struct analyzer *a, struct proc_st *ps, uint64_t code, uint32_t *id)
{
	uintptr_t v = ps ? (uintptr_t)hashmap__get(ps->code, code) : 0;
	char name[48];

	if (v) {
		*id = v - 1;
		return 0;
	}
	snprintf(name, sizeof(name), "<unknown code 0x%llx>", (unsigned long long)code);
	return intern(a, name, "", 0, id);
}

/* the stack of FUNC called from stack PARENT, told to the sinks if new */
static uint32_t stack_of(struct analyzer *a, uint32_t parent, uint32_t func)
{
	struct stack_node n;
	struct sink *s;
	bool is_new;
	uint32_t id;

	if (!a->stacks)
		return 0;
	id = stack_table__intern(a->stacks, parent, func, &is_new, &n);
	if (!id)
		note_err(a, -ENOMEM);
	if (is_new)
		FOR_SINKS(a, s)
			if (s->ops->stack)
				note_err(a, s->ops->stack(s, &n));
	return id;
}

static void emit_begin(struct analyzer *a, const struct call_rec *c)
{
	struct sink *s;

	FOR_SINKS(a, s)
		if (s->ops->begin)
			note_err(a, s->ops->begin(s, c));
}

/* Give the frame at index I of T its stack, and its begin to the sinks. */
static void begin_frame(struct analyzer *a, struct thread_st *t, size_t i)
{
	struct frame_ent *f = &t->stack[i];
	uint32_t parent = i ? t->stack[i - 1].stack : 0;

	f->begun = true;
	if (f->hidden) {
		f->stack = parent;
		return;
	}
	f->stack = stack_of(a, parent, f->func);
	if (a->want_begin) {
		struct call_rec c = {
			.pid = t->pid, .tid = t->tid, .func = f->func, .depth = i,
			.stack = f->stack, .start_ns = f->start,
			.flags = f->preattach ? CALL_BEGAN_BEFORE_ATTACH : 0,
		};
		emit_begin(a, &c);
	}
}

/* Frames found running at the thread's first event are complete (outermost
 * at the bottom) once another event of the thread comes: begin them. */
static void begin_running(struct analyzer *a, struct thread_st *t)
{
	if (!t->unbegun)
		return;
	t->unbegun = false;
	for (size_t i = 0; i < t->depth; i++)
		if (!t->stack[i].begun)
			begin_frame(a, t, i);
}

static void emit_call(struct analyzer *a, const struct call_rec *c)
{
	struct sink *s;

	a->st.calls++;
	if (c->flags & CALL_END_INFERRED)
		a->st.inferred_returns++;
	if (c->flags & CALL_END_AT_SESSION_END)
		a->st.open_at_end++;
	FOR_SINKS(a, s)
		if (s->ops->call)
			note_err(a, s->ops->call(s, c));
}

/* pop the top frame of T, ending at END with EXTRA flags */
static void pop(struct analyzer *a, struct thread_st *t, uint64_t end, uint32_t extra)
{
	struct frame_ent *f = &t->stack[--t->depth];
	struct call_rec c = {
		.pid = t->pid, .tid = t->tid, .func = f->func, .depth = t->depth,
	};
	uint64_t dur;

	if (f->hidden)
		return;	/* its time stays the caller's own, as for sys.setprofile */
	if (end < f->start)
		end = f->start;
	dur = end - f->start;
	c.start_ns = f->start;
	c.end_ns = end;
	c.child_ns = f->child;
	c.stack = f->stack;
	c.flags = extra | (f->preattach ? CALL_BEGAN_BEFORE_ATTACH : 0);
	if (f->func < t->n_active && t->active[f->func]-- > 1)
		c.flags |= CALL_NESTED_SAME_FUNC;
	if (t->depth)
		t->stack[t->depth - 1].child += dur;
	else
		t->bottom_child += dur;
	emit_call(a, &c);
}

/* push a frame; PREATTACH frames go under the stack (they come innermost first) */
static int push(struct analyzer *a, struct thread_st *t, uint64_t frame, uint64_t ts,
		uint32_t func, uint32_t flags, bool preattach, bool hidden)
{
	if (t->depth == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct frame_ent *s = realloc(t->stack, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		t->stack = s;
		t->cap = cap;
	}
	if (func >= t->n_active) {
		size_t n = (func + 1) * 2;
		uint32_t *v = realloc(t->active, n * sizeof(*v));
		if (!v)
			return -ENOMEM;
		memset(v + t->n_active, 0, (n - t->n_active) * sizeof(*v));
		t->active = v;
		t->n_active = n;
	}
	if (!hidden)
		t->active[func]++;
	struct frame_ent e = {
		.frame = frame, .start = ts, .func = func, .flags = flags, .preattach = preattach,
		.hidden = hidden,
	};
	if (preattach) {
		memmove(t->stack + 1, t->stack, t->depth * sizeof(*t->stack));
		t->stack[0] = e;
		t->depth++;
		t->unbegun = true;
	} else {
		t->stack[t->depth++] = e;
		if (a->stacks || a->want_begin)
			begin_frame(a, t, t->depth - 1);
	}
	return 0;
}

static int on_call(struct analyzer *a, const struct tr_ev_call *e)
{
	struct proc_st *ps = get_proc(a, e->hdr.pid);
	struct thread_st *t = get_thread(a, e->hdr.pid, e->hdr.tid);
	uint32_t func;
	int err;

	bool preattach = e->hdr.flags & TR_CALL_PREATTACH;
	uint64_t start = e->hdr.ts;

	if (!t)
		return -ENOMEM;
	if (preattach && ps && ps->info.attach_ts < start)
		start = ps->info.attach_ts;
	if (!preattach)
		begin_running(a, t);
	if (!preattach && ps && ps->info.strategy == TR_STRATEGY_EVAL) {
		/* (b) of the top comment: unprobed frames above the parent are
		 * gone; when the parent is not on the stack at all, no frame of
		 * the stack is an ancestor of the new one */
		size_t i = t->depth;
		while (i > 0 && t->stack[i - 1].frame != e->parent)
			i--;
		while (t->depth > i && (t->stack[t->depth - 1].flags & TR_CALL_RET_UNPROBED))
			pop(a, t, e->hdr.ts, CALL_END_INFERRED);
	}
	/* DISPATCH: a RESUME that de-specializes passes two call sites; a
	 * real call is never of the frame already on top (see
	 * user/dispatch_sites.c) */
	if (!preattach && t->depth && t->stack[t->depth - 1].frame == e->frame &&
	    ps && ps->info.strategy == TR_STRATEGY_DISPATCH)
		return 0;
	err = func_of(a, ps, e->code, &func);
	if (err)
		return err;
	return push(a, t, e->frame, start, func, e->hdr.flags & TR_CALL_RET_UNPROBED, preattach,
		    e->hdr.flags & TR_CALL_GEN_CREATE);
}

static int on_return(struct analyzer *a, const struct tr_ev_return *e)
{
	struct proc_st *ps = get_proc(a, e->hdr.pid);
	struct thread_st *t = get_thread(a, e->hdr.pid, e->hdr.tid);
	size_t i;

	if (!t)
		return -ENOMEM;
	begin_running(a, t);
	if (!e->frame) {
		/* uretprobe: the innermost armed call returns (a) */
		for (i = t->depth; i > 0; i--)
			if (!(t->stack[i - 1].flags & TR_CALL_RET_UNPROBED))
				break;
		if (!i) {
			a->st.unmatched_returns++;
			return 0;
		}
		while (t->depth > i)
			pop(a, t, e->hdr.ts, CALL_END_INFERRED);
		pop(a, t, e->hdr.ts, 0);
		return 0;
	}
	for (i = t->depth; i > 0; i--)
		if (t->stack[i - 1].frame == e->frame)
			break;
	if (i) {
		/* frames above it missed their return: only after a loss */
		if (t->depth > i)
			a->st.unmatched_returns += t->depth - i;
		while (t->depth > i)
			pop(a, t, e->hdr.ts, CALL_END_INFERRED);
		pop(a, t, e->hdr.ts, 0);
		return 0;
	}
	if (t->depth) {
		/* not ours, yet frames of ours are above it: something was lost */
		a->st.unmatched_returns++;
		return 0;
	}
	/* a frame running since before the attach returns */
	uint32_t func;
	int err = func_of(a, ps, e->code, &func);
	if (err)
		return err;
	uint64_t start = ps ? ps->info.attach_ts : e->hdr.ts;
	if (start > e->hdr.ts)
		start = e->hdr.ts;
	struct call_rec c = {
		.pid = t->pid, .tid = t->tid, .func = func, .depth = 0,
		.start_ns = start, .end_ns = e->hdr.ts, .child_ns = t->bottom_child,
		.flags = CALL_BEGAN_BEFORE_ATTACH,
	};
	c.stack = stack_of(a, 0, func);
	if (a->want_begin) {
		struct call_rec b = c;
		b.end_ns = b.child_ns = 0;
		emit_begin(a, &b);
	}
	if (c.child_ns > c.end_ns - c.start_ns)
		c.child_ns = c.end_ns - c.start_ns;
	/* it encloses everything traced on this thread so far */
	t->bottom_child = c.end_ns - c.start_ns;
	emit_call(a, &c);
	return 0;
}

int analyzer__event(struct analyzer *a, const void *ev, size_t len)
{
	const struct tr_ev_hdr *h = ev;
	int err = 0;

	if (len < sizeof(*h) || h->size > len)
		return 0;
	a->st.events++;
	if (!a->st.first_ts || h->ts < a->st.first_ts)
		a->st.first_ts = h->ts;
	if (h->ts > a->st.last_ts)
		a->st.last_ts = h->ts;
	switch (h->type) {
	case TR_EV_CALL:
		if (h->size >= sizeof(struct tr_ev_call))
			err = on_call(a, ev);
		break;
	case TR_EV_RETURN:
		if (h->size >= sizeof(struct tr_ev_return))
			err = on_return(a, ev);
		break;
	case TR_EV_CODE:
		if (h->size >= sizeof(struct tr_ev_code))
			err = on_code(a, ev);
		break;
	default:
		break;
	}
	note_err(a, err);
	return err;
}

int analyzer__end(struct analyzer *a, const struct in_end *e)
{
	size_t pos = 0;
	uint64_t key;
	void *v;
	struct sink *s;

	/* a recording cut short has no end time: use its last event */
	uint64_t end_ts = e->end_ts ? e->end_ts : a->st.last_ts;

	while (hashmap__next(a->threads, &pos, &key, &v)) {
		struct thread_st *t = v;
		begin_running(a, t);
		while (t->depth)
			pop(a, t, end_ts, CALL_END_AT_SESSION_END);
	}
	memcpy(a->st.drops, e->drops, sizeof(a->st.drops));
	a->st.lost_total = 0;
	for (int i = 0; i < TR_DROP__COUNT; i++)
		a->st.lost_total += e->drops[i];
	if (e->end_ts > a->st.last_ts)
		a->st.last_ts = e->end_ts;
	a->st.exit_code = e->exit_code;
	a->st.end_flags = e->flags;
	FOR_SINKS(a, s)
		if (s->ops->finish)
			note_err(a, s->ops->finish(s, &a->st));
	return a->err;
}
