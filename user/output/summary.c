// SPDX-License-Identifier: MIT
/*
 * The end-of-session summary: the traced processes (user/output/summary_procs.c:
 * with several, each one's end and own hottest functions too), a table of
 * functions by total time and the session counters. Aggregates per
 * function id while calls stream in (no per-call storage) and prints
 * everything at finish. Text of the traced programs (names, paths,
 * warnings that quote them) goes through text_escape__term: the summary is
 * printed on a terminal.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "model/rec_labels.h"
#include "output/sinks.h"
#include "util/array.h"
#include "model/func_names.h"
#include "model/path_norm.h"
#include "output/hot_funcs.h"
#include "output/observer.h"
#include "output/summary_procs.h"
#include "util/text_escape.h"

#define SUMMARY_DEFAULT_LIMIT 50	/* functions listed in the table */
#define SUMMARY_SLOW_IMPORTS 5		/* slowest imports listed */

struct summary_sink {
	struct sink base;
	FILE *f;
	struct out_file *file;	/* F's, until the end */
	bool own_file;		/* false for stdout */
	int limit;		/* rows of the table, <= 0: all */
	enum summary_sort sort;	/* --sort */
	struct func_names names;
	struct summary_func *funcs;	/* by function id */
	size_t n_funcs, cap_funcs;
	struct summary_procs procs;
	uint64_t gc_by_gen[4];		/* collections of generation 0-2, unknown */
	struct {
		uint64_t ns;
		char name[TR_MODNAME_MAX + 4];
	} slow[SUMMARY_SLOW_IMPORTS];	/* slowest first */
	struct hot_funcs hot;		/* --sample: per function */
	/* a process's calls were probed (it has a strategy), or calls came:
	 * calls, GC collections and imports were measured, and are printed */
	bool calls_probed;
	char *coverage;			/* lines about each process's coverage */
	size_t coverage_len;
};

static struct sink *summary_open(const char *path)
{
	struct summary_sink *ss = calloc(1, sizeof(*ss));
	int e;

	if (!ss)
		return NULL;
	ss->base.ops = &sink_summary;
	ss->limit = SUMMARY_DEFAULT_LIMIT;
	ss->base.path = strdup(path);
	if (!ss->base.path || summary_procs__init(&ss->procs)) {
		errno = ENOMEM;
		goto err;
	}
	if (!strcmp(path, "-")) {
		ss->f = stdout;
	} else {
		ss->f = sink__open_file(path, &ss->file);
		if (!ss->f)
			goto err;
		ss->own_file = true;
	}
	return &ss->base;
err:
	e = errno;
	summary_procs__free(&ss->procs);
	free(ss->base.path);
	free(ss);
	errno = e;
	return NULL;
}

static int summary_process(struct sink *s, const struct in_process *p)
{
	struct summary_sink *ss = (struct summary_sink *)s;

	if (p->strategy != TR_STRATEGY_NONE)
		ss->calls_probed = true;
	return summary_procs__process(&ss->procs, p, ss->funcs, ss->n_funcs, &ss->hot);
}

static int summary_process_end(struct sink *s, const struct proc_end_rec *e)
{
	return summary_procs__end(&((struct summary_sink *)s)->procs, e);
}

static int summary_jit(struct sink *s, const struct jit_rec *r)
{
	summary_procs__jit(&((struct summary_sink *)s)->procs, r);
	return 0;
}

static int summary_thread(struct sink *s, const struct in_thread *t)
{
	return 0;
}

static int summary_func(struct sink *s, const struct func_info *f)
{
	return func_names__set(&((struct summary_sink *)s)->names, f);
}

static int summary_call(struct sink *s, const struct call_rec *c)
{
	struct summary_sink *ss = (struct summary_sink *)s;
	struct summary_func *sf;
	uint64_t dur = c->end_ns > c->start_ns ? c->end_ns - c->start_ns : 0;

	ss->calls_probed = true;	/* calls came: they were measured */
	if (array__grow((void **)&ss->funcs, &ss->cap_funcs, c->func, sizeof(*sf)))
		return -ENOMEM;
	if (c->func >= ss->n_funcs)
		ss->n_funcs = c->func + 1;
	sf = &ss->funcs[c->func];
	sf->calls++;
	sf->raised += !!(c->flags & CALL_C_EXCEPTION);
	if (!(c->flags & CALL_NESTED_SAME_FUNC))
		sf->total_ns += dur;
	sf->self_ns += dur > c->child_ns ? dur - c->child_ns : 0;
	return summary_procs__call(&ss->procs, c, dur, dur > c->child_ns ? dur - c->child_ns : 0);
}

static int summary_sample(struct sink *s, const struct sample_rec *r)
{
	struct summary_sink *ss = (struct summary_sink *)s;
	int err = hot_funcs__add(&ss->hot, r);

	return err ? err : summary_procs__sample(&ss->procs, r);
}

/* milliseconds with 3 decimals */
static const char *fmt_ms(char *buf, size_t size, uint64_t ns)
{
	snprintf(buf, size, "%llu.%03llu", (unsigned long long)(ns / 1000000),
		 (unsigned long long)(ns / 1000 % 1000));
	return buf;
}

static int cmp_total_desc(const void *a, const void *b, void *arg)
{
	const struct summary_func *funcs = arg;
	const struct summary_func *fa = &funcs[*(const uint32_t *)a];
	const struct summary_func *fb = &funcs[*(const uint32_t *)b];

	if (fa->total_ns != fb->total_ns)
		return fa->total_ns < fb->total_ns ? 1 : -1;
	if (fa->self_ns != fb->self_ns)
		return fa->self_ns < fb->self_ns ? 1 : -1;
	return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int cmp_self_desc(const void *a, const void *b, void *arg)
{
	const struct summary_func *funcs = arg;
	const struct summary_func *fa = &funcs[*(const uint32_t *)a];
	const struct summary_func *fb = &funcs[*(const uint32_t *)b];

	if (fa->self_ns != fb->self_ns)
		return fa->self_ns < fb->self_ns ? 1 : -1;
	return cmp_total_desc(a, b, arg);
}

static int cmp_calls_desc(const void *a, const void *b, void *arg)
{
	const struct summary_func *funcs = arg;
	const struct summary_func *fa = &funcs[*(const uint32_t *)a];
	const struct summary_func *fb = &funcs[*(const uint32_t *)b];

	if (fa->calls != fb->calls)
		return fa->calls < fb->calls ? 1 : -1;
	return cmp_total_desc(a, b, arg);
}

int summary__parse_sort(const char *name)
{
	return !strcmp(name, "self") ? SUMMARY_SORT_SELF : !strcmp(name, "total") ?
	       SUMMARY_SORT_TOTAL : !strcmp(name, "calls") ? SUMMARY_SORT_CALLS : -1;
}

void summary__configure(struct sink *s, enum summary_sort sort, int limit)
{
	struct summary_sink *ss = (struct summary_sink *)s;

	ss->sort = sort;
	if (limit >= 0)
		ss->limit = limit;
}

static int summary_print_table(struct summary_sink *ss)
{
	uint32_t *order, n = 0;
	char tot[32], self[32];

	order = malloc((ss->n_funcs ? ss->n_funcs : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	for (uint32_t i = 0; i < ss->n_funcs; i++)
		if (ss->funcs[i].calls)
			order[n++] = i;
	qsort_r(order, n, sizeof(*order),
		ss->sort == SUMMARY_SORT_SELF ? cmp_self_desc :
		ss->sort == SUMMARY_SORT_CALLS ? cmp_calls_desc : cmp_total_desc, ss->funcs);

	fprintf(ss->f, "\n%10s %14s %14s  %s\n", "calls", "total (ms)", "self (ms)",
		"function");
	for (uint32_t i = 0; i < n; i++) {
		const struct summary_func *sf = &ss->funcs[order[i]];
		const struct func_info *fi = func_names__get(&ss->names, order[i]);

		if (ss->limit > 0 && i >= (uint32_t)ss->limit) {
			fprintf(ss->f, "... %u more functions\n", n - i);
			break;
		}
		fmt_ms(tot, sizeof(tot), sf->total_ns);
		fmt_ms(self, sizeof(self), sf->self_ns);
		if (fi) {
			fprintf(ss->f, "%10llu %14s %14s  ", (unsigned long long)sf->calls,
				tot, self);
			fputs(func_info__mark(fi), ss->f);
			text_escape__term(ss->f, fi->qualname);
			fputs(" (", ss->f);
			text_escape__term(ss->f, fi->file);
			if (fi->c_func && sf->raised)	/* sys.setprofile's c_exception */
				fprintf(ss->f, "), %llu raised\n", (unsigned long long)sf->raised);
			else if (fi->c_func)
				fputs(")\n", ss->f);	/* a C function's module */
			else
				fprintf(ss->f, ":%u)\n", fi->line);
		} else
			fprintf(ss->f, "%10llu %14s %14s  <unknown function %u>\n",
				(unsigned long long)sf->calls, tot, self, order[i]);
	}
	if (!n)
		fprintf(ss->f, "(no completed calls)\n");
	free(order);
	return 0;
}

/* GC collections by generation; the slowest imports */
static int summary_runtime(struct sink *s, const struct runtime_rec *r)
{
	struct summary_sink *ss = (struct summary_sink *)s;
	uint64_t ns = r->end_ns - r->start_ns;
	int i;

	if (r->kind == TR_RT_GC) {
		ss->gc_by_gen[r->generation >= 0 && r->generation <= 2 ? r->generation : 3]++;
		return 0;
	}
	for (i = SUMMARY_SLOW_IMPORTS; i > 0 && ns > ss->slow[i - 1].ns; i--)
		if (i < SUMMARY_SLOW_IMPORTS)
			ss->slow[i] = ss->slow[i - 1];
	if (i < SUMMARY_SLOW_IMPORTS) {
		ss->slow[i].ns = ns;
		snprintf(ss->slow[i].name, sizeof(ss->slow[i].name), "%s", r->name ? r->name : "?");
	}
	return 0;
}

static void summary_print_runtime(struct summary_sink *ss, const struct session_stats *st)
{
	char ms[32];

	fprintf(ss->f, "GC: %llu collections, %s ms (generation 0: %llu, 1: %llu, 2: %llu",
		(unsigned long long)st->gc_collections, fmt_ms(ms, sizeof(ms), st->gc_ns),
		(unsigned long long)ss->gc_by_gen[0], (unsigned long long)ss->gc_by_gen[1],
		(unsigned long long)ss->gc_by_gen[2]);
	if (ss->gc_by_gen[3])
		fprintf(ss->f, ", unknown: %llu", (unsigned long long)ss->gc_by_gen[3]);
	fprintf(ss->f, ")\nimports: %llu modules loaded, %s ms including nested imports",
		(unsigned long long)st->imports, fmt_ms(ms, sizeof(ms), st->import_ns));
	for (int i = 0; i < SUMMARY_SLOW_IMPORTS && ss->slow[i].ns; i++) {
		fputs(i ? ", " : "; slowest: ", ss->f);
		text_escape__term(ss->f, ss->slow[i].name);
		fprintf(ss->f, " %s ms", fmt_ms(ms, sizeof(ms), ss->slow[i].ns));
	}
	fprintf(ss->f, "\n");
}

static void summary_print_counters(FILE *f, const struct session_stats *st, bool calls_probed)
{
	uint64_t ended = st->exits + st->exits_unseen;

	fprintf(f, "\nevents: %llu seen, %llu lost (ringbuf full %llu, map full %llu, "
		"read failed %llu, no config %llu, foreign thread state %llu)\n",
		(unsigned long long)st->events, (unsigned long long)st->lost_total,
		(unsigned long long)st->drops[TR_DROP_RINGBUF_FULL],
		(unsigned long long)st->drops[TR_DROP_MAP_FULL],
		(unsigned long long)st->drops[TR_DROP_READ_FAIL],
		(unsigned long long)st->drops[TR_DROP_NO_CONFIG],
		(unsigned long long)st->drops[TR_DROP_FOREIGN_TSTATE]);
	if (calls_probed)
		fprintf(f, "calls: %llu completed, %llu returns inferred (not probed), "
			"%llu unmatched returns, %llu still running at end\n",
			(unsigned long long)st->calls, (unsigned long long)st->inferred_returns,
			(unsigned long long)st->unmatched_returns,
			(unsigned long long)st->open_at_end);
	/* several processes, or one that ended: how each ended (a process
	 * whose exit was not seen ended before its pid was reused) */
	if (st->processes > 1 || st->exits || st->exits_unseen || st->exits_ignored ||
	    st->events_stale)
		fprintf(f, "processes: %llu traced, %llu exited, %llu exits not seen, %llu running "
			"at end; %llu calls still running at their process's exit; %llu events "
			"and %llu exits of no live process skipped\n",
			(unsigned long long)st->processes, (unsigned long long)st->exits,
			(unsigned long long)st->exits_unseen,
			(unsigned long long)(st->processes > ended ? st->processes - ended : 0),
			(unsigned long long)st->open_at_exit, (unsigned long long)st->events_stale,
			(unsigned long long)st->exits_ignored);
	if (st->counted_calls)
		fprintf(f, "calls counted inside the process by the coverage bootstrap: %llu (not "
			"traced one by one: only coverage maps were asked for)\n",
			(unsigned long long)st->counted_calls);
	fprintf(f, "truncated names: %llu\n", (unsigned long long)st->truncated_names);
	if (st->async_tasks || st->async_unknown)
		fprintf(f, "asyncio (--async-tasks): %llu tasks, %llu steps of a task's coroutine, "
			"%llu coroutine resumptions whose task is unknown\n",
			(unsigned long long)st->async_tasks, (unsigned long long)st->async_steps,
			(unsigned long long)st->async_unknown);
	fprintf(f, "jit: %llu registrations seen, %llu read from perf maps at attach, %llu "
		"code loads read from jitdumps, %llu names cut", (unsigned long long)st->jit_live,
		(unsigned long long)st->jit_perf_map, (unsigned long long)st->jit_jitdump,
		(unsigned long long)st->jit_names_truncated);
	if (st->samples)
		fprintf(f, "; %llu samples in JIT code", (unsigned long long)st->samples_jit);
	fputc('\n', f);
	if (st->samples && st->lost_total)
		fprintf(f, "WARNING: %llu samples or names were lost: the profile is incomplete\n",
			(unsigned long long)st->lost_total);
	else if (st->lost_total || st->unmatched_returns ||
	    (st->end_flags & IN_END_RECORDING_TRUNCATED))
		fprintf(f, "WARNING: the trace is incomplete (%llu events lost, "
			"%llu unmatched returns%s): calls are missing and times "
			"of their callers may be wrong\n",
			(unsigned long long)st->lost_total,
			(unsigned long long)st->unmatched_returns,
			st->end_flags & IN_END_RECORDING_TRUNCATED ?
			", recording stopped early" : "");
}

/* what coverage measured in a process: "functions and lines" or
 * "functions only", and how its files were sorted out */
static int summary_codemap(struct sink *s, const struct codemap *m)
{
	struct summary_sink *ss = (struct summary_sink *)s;
	uint32_t n[COV__COUNT] = {};
	char *text = NULL, *all;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return -ENOMEM;
	for (uint32_t i = 0; i < m->n_files; i++)
		n[m->files[i].status]++;
	fprintf(f, "coverage (process %u): %s", m->pid, m->lines ? "functions and lines (" : "");
	text_escape__term(f, m->note);
	fprintf(f, "%s\n  files: %u measured", m->lines ? ")" : "", n[COV_MEASURED]);
	for (int i = 1; i < COV__COUNT; i++)
		if (n[i])
			fprintf(f, ", %u %s", n[i], cov_status__name(i));
	fputc('\n', f);
	for (uint32_t i = 0; i < m->n_files; i++)
		if (m->files[i].status == COV_ERROR) {
			char *name = strdup(m->files[i].file);

			fputs("  not measured: ", f);
			if (name)
				path_norm__apply(name);
			text_escape__term(f, name ? name : m->files[i].file);
			free(name);
			fputs(": ", f);
			text_escape__term(f, m->files[i].error);
			fputc('\n', f);
		}
	/* after the other processes' (a memstream starts empty) */
	if (fclose(f) || !(all = realloc(ss->coverage, ss->coverage_len + len + 1))) {
		free(text);
		return -ENOMEM;
	}
	memcpy(all + ss->coverage_len, text, len + 1);
	ss->coverage = all;
	ss->coverage_len += len;
	free(text);
	return 0;
}

/* a sampling session: the hottest functions and what the samples stand for */
static int summary_print_samples(struct summary_sink *ss, const struct session_stats *st)
{
	int err = hot_funcs__print(&ss->hot, &ss->names, ss->limit,
				   ss->sort == SUMMARY_SORT_TOTAL, ss->f);
	char line[300];

	if (st->samples_wall)
		fprintf(ss->f, "samples: %llu wall-clock, of every thread once a tick; %s",
			(unsigned long long)st->samples,
			wall_ticks__describe(&st->wall, line, sizeof(line)));
	else
		fprintf(ss->f, "samples: %llu of %llu ns of CPU each", (unsigned long long)st->samples,
			(unsigned long long)st->sample_period_ns);
	fprintf(ss->f, "; %llu truncated (stack deeper than %d frames), %llu without a Python "
		"stack", (unsigned long long)st->samples_truncated, TR_SAMPLE_FRAMES_MAX,
		(unsigned long long)st->drops[TR_DROP_NO_PYTHON]);
	if (st->samples_wall)
		fprintf(ss->f, ", %llu changed while read (the thread ran and a second "
			"read met other frames; marked [changed while read])", (unsigned long long)st->samples_unsteady);
	fputc('\n', ss->f);
	if (st->sample_by_line)
		fprintf(ss->f, "lines: %llu of %llu sampled frames have no known line, shown as "
			"qualname:? (%llu line tables too long, unreadable or malformed); rows "
			"are lines (--lines)\n",
			(unsigned long long)st->sample_frames_no_line,
			(unsigned long long)st->sample_frames,
			(unsigned long long)st->linetables_unusable);
	return err;
}

static int summary_finish(struct sink *s, const struct session_stats *st)
{
	struct summary_sink *ss = (struct summary_sink *)s;
	int err;

	err = summary_procs__print(&ss->procs, &ss->names, st, ss->f);
	for (uint32_t i = 0; i < st->n_warnings; i++) {
		fputs("warning: ", ss->f);
		text_escape__visible(ss->f, st->warnings[i],
				     strnlen(st->warnings[i], sizeof(st->warnings[i])), NULL);
		fputc('\n', ss->f);
	}
	if (ss->coverage)
		fputs(ss->coverage, ss->f);
	/* what was measured only: calls (their table, GC collections and
	 * imports) where they were probed, samples where sampled */
	if (!err && (st->samples || (!ss->calls_probed && !st->counted_calls)))
		err = summary_print_samples(ss, st);
	else if (!err && ss->calls_probed)
		err = summary_print_table(ss);
	summary_print_counters(ss->f, st, ss->calls_probed);
	if (ss->calls_probed) {
		summary_print_runtime(ss, st);
		if (st->probe_share)
			observer__print(ss->f, st->probe_share, &st->probe_cost, &ss->names);
	}
	if (ss->own_file)
		return sink__close_file(&ss->file, &ss->f, err);
	errno = 0;	/* stdout stays open */
	if ((fflush(ss->f) || ferror(ss->f)) && !err)
		err = errno ? -errno : -EIO;
	ss->f = NULL;
	return err;
}

static void summary_free(struct sink *s)
{
	struct summary_sink *ss = (struct summary_sink *)s;

	if (!ss)
		return;
	out_file__discard(&ss->file);
	func_names__free(&ss->names);
	free(ss->funcs);
	hot_funcs__free(&ss->hot);
	summary_procs__free(&ss->procs);
	free(ss->coverage);
	free(ss->base.path);
	free(ss);
}

const struct sink_ops sink_summary = {
	.name = "summary",
	.wants_probe_share = true,
	.suffix = NULL,
	.help = "end-of-session summary (printed when there is no -o)",
	.open = summary_open,
	.process = summary_process,
	.thread = summary_thread,
	.func = summary_func,
	.call = summary_call,
	.runtime = summary_runtime,
	.sample = summary_sample,
	.jit = summary_jit,
	.process_end = summary_process_end,
	.codemap = summary_codemap,
	.finish = summary_finish,
	.free = summary_free,
};
