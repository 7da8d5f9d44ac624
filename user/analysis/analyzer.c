// SPDX-License-Identifier: MIT
/*
 * From raw events to completed calls: the analyzer a live session and
 * `tracer report` feed the same input records. This file keeps the
 * threads and function identities and hands each call, return, GC
 * collection and import to user/analysis/call_pairing.c, the processes' beginnings
 * and ends to user/analysis/analyzer_procs.c; the sinks get the results (struct
 * sink_ops in user/model/model.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "analysis/internal.h"
#include "analysis/codemap.h"
#include "analysis/cover_blob.h"
#include "model/func_table.h"
#include "cpython/pystr.h"
#include "analysis/sample_lines.h"
#include "model/stack_table.h"
#include "model/strategy.h"
#include "model/warnings.h"

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
		if (sinks[i]->ops->wants_probe_share && !a->probe_share)
			a->st.probe_share = a->probe_share = calloc(1, sizeof(*a->probe_share));
	}
	if (want_stacks)
		a->stacks = stack_table__new();
	if (!a->funcs || !a->procs || !a->threads || (want_stacks && !a->stacks) ||
	    (a->st.probe_share && !a->probe_share)) {
		analyzer__free(a);
		return NULL;
	}
	return a;
}

void analyzer__free_thread(void *p)
{
	struct thread_st *t = p;

	pystacks__free(t);
	free(t);
}

void analyzer__free(struct analyzer *a)
{
	if (!a)
		return;
	func_table__free(a->funcs);
	stack_table__free(a->stacks);
	if (a->probe_share)
		probe_share__free(a->probe_share);
	free(a->probe_share);
	free(a->sample_funcs);
	hashmap__free(a->procs, procs__free);
	hashmap__free(a->threads, analyzer__free_thread);
	tasks__free(a);
	free(a);
}

void analyzer__set_probe_cost(struct analyzer *a, const struct probe_cost *pc)
{
	probe_subtract__set(&a->psplit, pc);
}

void analyzer__set_lines(struct analyzer *a, bool by_line)
{
	a->by_line = by_line;
	a->st.sample_by_line = by_line;
}

const struct session_stats *analyzer__stats(const struct analyzer *a)
{
	return &a->st;
}

struct thread_st *analyzer__thread_of(struct analyzer *a, uint32_t pid, uint32_t tid)
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

	if (!analyzer__thread_of(a, th->pid, th->tid))
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
	if (is_new) {
		emit_func(a, f);
		if (!strcmp(name, "_find_and_load") && !strcmp(file, "<frozen importlib._bootstrap>") &&
		    a->n_loaders < (int)(sizeof(a->loaders) / sizeof(a->loaders[0])))
			a->loaders[a->n_loaders++] = f->id;
	}
	*id = f->id;
	return 0;
}

/*
 * --c-calls: the identity of a C function (bpf/ccalls.bpf.h), named as
 * tests/e2e/ccall_truth.py's c_name: a type's method as Type.name (the
 * type's tp_name, "module.Type" for a static type, gives both), a module's
 * function as module.name, a builtin by its bare name.
 */
static int intern_c(struct analyzer *a, const char *name, const char *owner, bool of_type,
		    uint32_t *id)
{
	const char *dot = of_type ? strrchr(owner, '.') : NULL;
	char *q = NULL, *module = NULL;
	const struct func_info *f;
	bool is_new;
	int n;

	if (of_type) {
		module = dot ? strndup(owner, dot - owner) : strdup("builtins");
		n = asprintf(&q, "%s.%s", dot ? dot + 1 : owner, name);
	} else {
		module = strdup(owner);
		n = !owner[0] || !strcmp(owner, "builtins") ? asprintf(&q, "%s", name)
							   : asprintf(&q, "%s.%s", owner, name);
	}
	if (n < 0 || !module) {
		free(module);
		return -ENOMEM;
	}
	f = func_table__intern_c(a->funcs, q, module, &is_new);
	free(q);
	free(module);
	if (!f)
		return -ENOMEM;
	if (is_new)
		emit_func(a, f);
	*id = f->id;
	return 0;
}

static int on_code(struct analyzer *a, const struct tr_ev_code *e)
{
	struct proc_st *ps = analyzer__proc(a, e->hdr.pid);
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
	/* greenlet imported (its package's module runs) where the eval
	 * strategy traces: it cannot tell greenlets apart, said at the end
	 * (one loaded before the attach: user/capture/greenlet_watch.c) */
	if (ps->strategy == TR_STRATEGY_EVAL && !strcmp(name, "<module>") &&
	    strlen(file) >= 21 && !strcmp(file + strlen(file) - 21, "/greenlet/__init__.py"))
		a->eval_greenlet = true;
	if (e->hdr.flags & TR_CODE_C_FUNC)
		err = intern_c(a, name, file, e->hdr.flags & TR_CODE_C_TYPE, &id);
	else
		err = intern(a, name, file, e->firstlineno, &id);
	free(name);
	free(file);
	if (!err)
		err = hashmap__set(ps->code, e->code, (void *)(uintptr_t)(id + 1));
	/* a new identity at this address: its line table comes next (sent
	 * only with --lines) */
	if (!err && a->by_line)
		err = sample_lines__code(ps->lines, e->code, e->firstlineno);
	return err;
}

int analyzer__func_of(struct analyzer *a, struct proc_st *ps, uint64_t code, uint32_t *id)
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

int analyzer__pseudo_func(struct analyzer *a, const char *name, uint32_t *id)
{
	return intern(a, name, "", 0, id);
}

int analyzer__line_func(struct analyzer *a, uint32_t func, uint32_t line, uint32_t *id)
{
	bool is_new;
	const struct func_info *f = func_table__intern_line(a->funcs, func, line, &is_new);

	if (!f)
		return -ENOMEM;
	if (is_new)
		emit_func(a, f);
	*id = f->id;
	return 0;
}

static void line_ran(struct analyzer *a, uint32_t pid, uint32_t func, uint32_t line)
{
	struct sink *s;

	a->st.line_events++;
	FOR_SINKS(a, s)
		if (s->ops->line)
			note_err(a, s->ops->line(s, pid, func, line));
}

/* a line ran (the USDT line probe): told to the coverage sinks */
static int on_line(struct analyzer *a, const struct tr_ev_line *e)
{
	struct proc_st *ps = analyzer__proc(a, e->hdr.pid);
	uint32_t id;
	int err;

	if (!ps)
		return 0;
	err = analyzer__func_of(a, ps, e->code, &id);
	if (err)
		return err;
	line_ran(a, e->hdr.pid, id, e->line);
	return 0;
}

struct blob_ctx {
	struct analyzer *a;
	uint32_t pid;
};

/* a record of the bootstrap: calls counted, or a line run, by function */
static int on_blob_rec(void *ctx, const struct cover_rec *r)
{
	struct blob_ctx *b = ctx;
	struct analyzer *a = b->a;
	struct sink *s;
	char *name, *file;
	uint32_t id;
	int err;

	if (r->kind != 'C' && r->kind != 'L')
		return 0;	/* the loader's business */
	name = strndup(r->name, r->name_len);
	file = strndup(r->file, r->file_len);
	err = name && file ? intern(a, name, file, r->firstlineno, &id) : -ENOMEM;
	free(name);
	free(file);
	if (err)
		return err;
	if (r->kind == 'L') {
		line_ran(a, b->pid, id, r->line);
		return 0;
	}
	a->st.counted_calls += r->count;
	FOR_SINKS(a, s)
		if (s->ops->calls)
			note_err(a, s->ops->calls(s, b->pid, id, r->count));
	return 0;
}

static int on_blob(struct analyzer *a, const void *ev, size_t len)
{
	const struct tr_ev_hdr *h = ev;
	struct blob_ctx b = { .a = a, .pid = h->pid };
	uint32_t seq;
	int err;

	if (!analyzer__proc(a, h->pid))
		return 0;
	/* an unreadable hand-over is counted and said by the coverage session
	 * (user/capture/cover_session.c), which sees the same events */
	err = cover_blob__parse_event(ev, len, &seq, on_blob_rec, &b);
	return err == -EINVAL ? 0 : err;
}

int analyzer__codemap(struct analyzer *a, const struct in_codemap *m)
{
	struct codemap *cm;
	struct sink *s;
	char err[256];

	cm = codemap__parse(m, err, sizeof(err));
	if (!cm) {
		fprintf(stderr, "tracer: the code map of PID %u is unusable: %s\n", m->pid, err);
		return -EINVAL;
	}
	FOR_SINKS(a, s)
		if (s->ops->codemap)
			note_err(a, s->ops->codemap(s, cm));
	codemap__free(cm);
	return a->err;
}

int analyzer__event(struct analyzer *a, const void *ev, size_t len)
{
	const struct tr_ev_hdr *h = ev;
	bool skip;
	int err = 0;

	if (len < sizeof(*h) || h->size > len)
		return 0;
	a->st.events++;
	if (!a->st.first_ts || h->ts < a->st.first_ts)
		a->st.first_ts = h->ts;
	if (h->ts > a->st.last_ts)
		a->st.last_ts = h->ts;
	if (h->type == TR_EV_EXIT) {
		if (h->size >= sizeof(struct tr_ev_exit))
			note_err(a, err = procs__exit(a, ev));
		return err;
	}
	/* of a process that has ended, or of another instance: counted */
	procs__of_event(a, h, &skip);
	if (skip)
		return 0;
	switch (h->type) {
	case TR_EV_CALL:
		if (h->size >= sizeof(struct tr_ev_call))
			err = pairing__call(a, ev);
		break;
	case TR_EV_RETURN:
		if (h->size >= sizeof(struct tr_ev_return))
			err = pairing__return(a, ev);
		break;
	case TR_EV_TASK:
		if (h->size >= sizeof(struct tr_ev_task))
			err = tasks__event(a, ev);
		break;
	case TR_EV_CODE:
		if (h->size >= sizeof(struct tr_ev_code))
			err = on_code(a, ev);
		break;
	case TR_EV_RUNTIME:
		if (h->size >= sizeof(struct tr_ev_runtime))
			err = pairing__runtime(a, ev);
		break;
	case TR_EV_LINE:
		if (h->size >= sizeof(struct tr_ev_line))
			err = on_line(a, ev);
		break;
	case TR_EV_BLOB:
		err = on_blob(a, ev, h->size);
		break;
	case TR_EV_SAMPLE:
		if (h->size >= TR_SAMPLE_HDR_SIZE)
			err = samples__event(a, ev);
		break;
	case TR_EV_JIT:
		if (h->size >= TR_JIT_FIXED && h->size <= sizeof(struct tr_ev_jit))
			err = samples__jit(a, ev);
		break;
	case TR_EV_LINETABLE:
		if (h->size >= TR_LINETABLE_HDR_SIZE)
			err = samples__linetable(a, ev, h->size);
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
		pairing__close_thread(a, v, end_ts, CALL_END_AT_SESSION_END);
	}
	memcpy(a->st.drops, e->drops, sizeof(a->st.drops));
	a->st.lost_total = 0;
	/* a sample of a thread running no Python code is not a failure */
	for (int i = 0; i < TR_DROP__COUNT; i++)
		if (i != TR_DROP_NO_PYTHON)
			a->st.lost_total += e->drops[i];
	if (e->end_ts > a->st.last_ts)
		a->st.last_ts = e->end_ts;
	a->st.exit_code = e->exit_code;
	a->st.launch = e->launch;
	a->st.end_flags = e->flags;
	a->st.realtime_offset_ns = e->realtime_offset_ns;
	a->st.n_warnings = e->n_warnings < IN_MAX_WARNINGS ? e->n_warnings : IN_MAX_WARNINGS;
	memcpy(a->st.warnings, e->warnings, sizeof(a->st.warnings));
	if (a->eval_greenlet)
		warnings__add(a->st.warnings, &a->st.n_warnings, "%s",
			      strategy__eval_greenlet_warning);
	tasks__finish(a);
	if (a->st.async_unknown)
		warnings__add(a->st.warnings, &a->st.n_warnings,
			      "--async-tasks: %llu coroutine resumptions ran before asyncio's task "
			      "table was found (a few ms after asyncio is imported) or while it "
			      "could not be read: their calls carry no task",
			      (unsigned long long)a->st.async_unknown);
	if (a->st.calls_deeper)
		warnings__add(a->st.warnings, &a->st.n_warnings,
			      "%llu calls were deeper than %d frames: flame graphs and profiles "
			      "show them as one [truncated] frame under the %dth",
			      (unsigned long long)a->st.calls_deeper, STACK_DEPTH_MAX, STACK_DEPTH_MAX);
	a->st.wall = e->wall;
	a->st.probe_cost = e->probe_cost;
	a->st.probe_cost.slow_hits = a->slow_hits;
	if (e->wall.ticks)
		a->st.sample_period_ns = e->wall.period_ns;	/* wanted, not a weight */
	FOR_SINKS(a, s)
		if (s->ops->finish)
			note_err(a, s->ops->finish(s, &a->st));
	return a->err;
}
