// SPDX-License-Identifier: MIT
/*
 * The summary's processes (see summary_procs.h). Per-process function rows
 * are printed as "name (file:line): N calls, ..." so that they never read
 * as rows of the session's table (which starts with the count). Names,
 * paths and warnings are the traced programs' text: written by
 * text_escape__term.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "model/proc_label.h"
#include "cpython/pyversion.h"
#include "model/strategy.h"
#include "output/summary_procs.h"
#include "util/text_escape.h"

int summary_procs__init(struct summary_procs *sp)
{
	memset(sp, 0, sizeof(*sp));
	sp->latest = hashmap__new();
	sp->by_func = hashmap__new();
	if (!sp->latest || !sp->by_func) {
		summary_procs__free(sp);
		return -ENOMEM;
	}
	return 0;
}

void summary_procs__free(struct summary_procs *sp)
{
	hashmap__free(sp->latest, NULL);
	hashmap__free(sp->by_func, NULL);
	free(sp->v);
	free(sp->pf);
	memset(sp, 0, sizeof(*sp));
}

/* the latest process of PID, NULL if none */
static struct summary_proc *latest(struct summary_procs *sp, uint32_t pid)
{
	if (!sp->last || sp->last_pid != pid) {
		sp->last = (uintptr_t)hashmap__get(sp->latest, pid);
		sp->last_pid = pid;
	}
	return sp->last ? &sp->v[sp->last - 1] : NULL;
}

/* the row of FUNC in process PROC, made if new; NULL when out of memory */
static struct summary_pfunc *pfunc(struct summary_procs *sp, uint32_t proc, uint32_t func)
{
	uint64_t key = (uint64_t)proc << 32 | func;
	uintptr_t i = (uintptr_t)hashmap__get(sp->by_func, key);

	if (i)
		return &sp->pf[i - 1];
	if (array__grow((void **)&sp->pf, &sp->cap_pf, sp->n_pf, sizeof(*sp->pf)) ||
	    hashmap__set(sp->by_func, key, (void *)(uintptr_t)(sp->n_pf + 1)))
		return NULL;
	sp->pf[sp->n_pf] = (struct summary_pfunc){ .proc = proc, .func = func };
	return &sp->pf[sp->n_pf++];
}

/* the first process's rows: what the session's tables had so far */
static int split(struct summary_procs *sp, const struct summary_func *funcs, size_t n,
		 const struct hot_funcs *hot)
{
	sp->split = true;
	for (uint32_t id = 0; id < n || id < hot->n; id++) {
		uint64_t self = id < hot->n ? hot->v[id].self : 0;
		struct summary_pfunc *r;

		if ((id >= n || !funcs[id].calls) && !self)
			continue;
		r = pfunc(sp, 0, id);
		if (!r)
			return -ENOMEM;
		if (id < n)
			r->f = funcs[id];
		r->samples = self;
	}
	return 0;
}

int summary_procs__process(struct summary_procs *sp, const struct in_process *p,
			   const struct summary_func *funcs, size_t n, const struct hot_funcs *hot)
{
	struct summary_proc *cur = latest(sp, p->pid);

	if (cur && !cur->ended) {	/* described again */
		cur->p = *p;
		return 0;
	}
	sp->last = 0;
	if (array__grow((void **)&sp->v, &sp->cap, sp->n, sizeof(*sp->v)) ||
	    hashmap__set(sp->latest, p->pid, (void *)(uintptr_t)(sp->n + 1)))
		return -ENOMEM;
	sp->v[sp->n++] = (struct summary_proc){ .p = *p };
	return sp->n == 2 ? split(sp, funcs, n, hot) : 0;
}

int summary_procs__end(struct summary_procs *sp, const struct proc_end_rec *e)
{
	struct summary_proc *cur = latest(sp, e->pid);

	if (cur && !cur->ended) {
		cur->end = *e;
		cur->ended = true;
	}
	return 0;
}

int summary_procs__call(struct summary_procs *sp, const struct call_rec *c, uint64_t dur,
			uint64_t self)
{
	struct summary_proc *cur = latest(sp, c->pid);
	struct summary_pfunc *r;

	if (!cur)
		return 0;	/* of no described process */
	cur->calls++;
	if (!sp->split)
		return 0;
	r = pfunc(sp, cur - sp->v, c->func);
	if (!r)
		return -ENOMEM;
	r->f.calls++;
	if (!(c->flags & CALL_NESTED_SAME_FUNC))
		r->f.total_ns += dur;
	r->f.self_ns += self;
	return 0;
}

int summary_procs__sample(struct summary_procs *sp, const struct sample_rec *r)
{
	struct summary_proc *cur = latest(sp, r->pid);
	struct summary_pfunc *row;

	if (!cur)
		return 0;
	cur->samples++;
	if (!sp->split || !r->n_funcs)
		return 0;
	row = pfunc(sp, cur - sp->v, r->funcs[0]);
	if (!row)
		return -ENOMEM;
	row->samples++;
	return 0;
}

void summary_procs__jit(struct summary_procs *sp, const struct jit_rec *r)
{
	struct summary_proc *cur = latest(sp, r->pid);

	if (cur && r->source < JIT_N_SOURCES)
		cur->jit[r->source]++;
}

/* seconds since the session's first event, "+1.234" */
static const char *since(char *buf, size_t len, uint64_t ts, const struct session_stats *st)
{
	uint64_t d = ts > st->first_ts ? ts - st->first_ts : 0;

	snprintf(buf, len, "+%llu.%03llu", (unsigned long long)(d / 1000000000),
		 (unsigned long long)(d / 1000000 % 1000));
	return buf;
}

static void print_identity(const struct summary_proc *sp, const struct session_stats *st,
			   bool always_end, FILE *f)
{
	const struct in_process *p = &sp->p;
	const char *probes = strategy__probes(p->strategy);
	uint32_t nw = p->n_warnings < IN_MAX_WARNINGS ? p->n_warnings : IN_MAX_WARNINGS;
	const uint64_t *n = sp->jit;
	char ver[16], extra[300], t[32], how[80];

	proc_label__extra(p, extra, sizeof(extra));
	fprintf(f, "process %u: Python %s ", p->pid,
		pyversion__format(p->version_hex, ver, sizeof(ver)));
	text_escape__visible(f, p->exe, strnlen(p->exe, sizeof(p->exe)), NULL);
	if (extra[0]) {
		fputs(" [", f);
		text_escape__term(f, extra);
		fputc(']', f);
	}
	fputc('\n', f);
	if (probes) {
		fprintf(f, "  strategy: %s (%s in ", strategy__name(p->strategy), probes);
		text_escape__visible(f, p->lib, strnlen(p->lib, sizeof(p->lib)), NULL);
		fputs(")\n", f);
	}	/* none: its calls were not probed (sampled), nothing to say */
	for (uint32_t i = 0; i < nw; i++) {
		fputs("  warning: ", f);
		text_escape__visible(f, p->warnings[i],
				     strnlen(p->warnings[i], sizeof(p->warnings[i])), NULL);
		fputc('\n', f);
	}
	if (n[JIT_SRC_LIVE] || n[JIT_SRC_PERF_MAP] || n[JIT_SRC_JITDUMP])
		fprintf(f, "  jit: %llu code units registered while traced, %llu read from "
			"/tmp/perf-%u.map at attach, %llu code loads read from its jitdump\n",
			(unsigned long long)n[JIT_SRC_LIVE], (unsigned long long)n[JIT_SRC_PERF_MAP],
			p->pid, (unsigned long long)n[JIT_SRC_JITDUMP]);
	if (sp->ended && (sp->end.flags & PROC_END_UNSEEN))
		fprintf(f, "  end: exit not seen (its pid was reused); last seen at %s s\n",
			since(t, sizeof(t), sp->end.ts, st));
	else if (sp->ended && !(sp->end.flags & PROC_END_EXEC) && st->launch.pid == p->pid &&
		 proc_label__launch_end(&st->launch, how, sizeof(how)))
		fprintf(f, "  end: exit at %s s: %s\n", since(t, sizeof(t), sp->end.ts, st), how);
	else if (sp->ended)
		fprintf(f, "  end: %s at %s s\n", sp->end.flags & PROC_END_EXEC ? "exec" : "exit",
			since(t, sizeof(t), sp->end.ts, st));
	else if (always_end)
		fprintf(f, "  end: running at the end of the session\n");
}

/* rows by process, then calls (by total time) or samples, descending */
static int cmp_pfunc(const void *a, const void *b)
{
	const struct summary_pfunc *x = a, *y = b;

	if (x->proc != y->proc)
		return x->proc < y->proc ? -1 : 1;
	if (x->f.total_ns != y->f.total_ns)
		return x->f.total_ns < y->f.total_ns ? 1 : -1;
	if (x->samples != y->samples)
		return x->samples < y->samples ? 1 : -1;
	if (x->f.calls != y->f.calls)
		return x->f.calls < y->f.calls ? 1 : -1;
	return x->func < y->func ? -1 : x->func > y->func;
}

static void print_func(const struct func_names *names, uint32_t id, FILE *f)
{
	const struct func_info *fi = func_names__get(names, id);

	if (fi) {
		fputs("    ", f);
		text_escape__term(f, fi->qualname);
	}
	if (fi && fi->file[0]) {
		fputs(" (", f);
		text_escape__term(f, fi->file);
		fprintf(f, ":%u): ", fi->line);
	} else if (fi) {
		fputs(": ", f);
	} else
		fprintf(f, "    <unknown function %u>: ", id);
}

/* a process's top functions: its rows, sorted, from R to END */
static void print_top(const struct summary_proc *sp, const struct summary_pfunc *r,
		      const struct summary_pfunc *end, const struct func_names *names, FILE *f)
{
	size_t n = end - r, shown = 0;

	if (sp->samples)
		fprintf(f, "  samples: %llu%s\n", (unsigned long long)sp->samples,
			n ? "; innermost most often:" : "");
	else
		fprintf(f, "  calls: %llu completed%s\n", (unsigned long long)sp->calls,
			n ? "; by total time:" : "");
	for (; r < end && shown < SUMMARY_PROC_TOP; r++, shown++) {
		char tot[32], self[32];

		print_func(names, r->func, f);
		if (sp->samples) {
			fprintf(f, "%llu samples\n", (unsigned long long)r->samples);
			continue;
		}
		snprintf(tot, sizeof(tot), "%llu.%03llu", (unsigned long long)(r->f.total_ns / 1000000),
			 (unsigned long long)(r->f.total_ns / 1000 % 1000));
		snprintf(self, sizeof(self), "%llu.%03llu", (unsigned long long)(r->f.self_ns / 1000000),
			 (unsigned long long)(r->f.self_ns / 1000 % 1000));
		fprintf(f, "%llu calls, %s ms total, %s ms self\n", (unsigned long long)r->f.calls,
			tot, self);
	}
	if (n > shown)
		fprintf(f, "    ... %zu more functions\n", n - shown);
}

int summary_procs__print(struct summary_procs *sp, const struct func_names *names,
			 const struct session_stats *st, FILE *f)
{
	const struct summary_pfunc *r = sp->pf, *end = sp->pf;

	if (sp->n == 1) {
		print_identity(&sp->v[0], st, false, f);
		return 0;
	}
	/* the rows are sorted now: the map from keys to them is done with
	 * (a session samples or traces calls: rows have one kind of count) */
	hashmap__free(sp->by_func, NULL);
	sp->by_func = NULL;
	sp->split = false;
	/* no rows: pf is NULL, which neither qsort nor arithmetic may take */
	if (sp->n_pf) {
		qsort(sp->pf, sp->n_pf, sizeof(*sp->pf), cmp_pfunc);
		end = sp->pf + sp->n_pf;
	}
	for (size_t i = 0; i < sp->n; i++) {
		const struct summary_pfunc *from = r;

		while (r < end && r->proc == i)
			r++;
		print_identity(&sp->v[i], st, true, f);
		print_top(&sp->v[i], from, r, names, f);
	}
	return 0;
}
