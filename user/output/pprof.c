// SPDX-License-Identifier: MIT
/*
 * pprof profile (.pprof): a gzipped profile.proto (github.com/google/pprof,
 * proto/profile.proto) of exact wall time, for `pprof`, speedscope, and
 * the many UIs that read the format.
 *
 * One Sample per distinct call stack (the analyzer's interned stacks, shared
 * by all threads and processes), whose single value is the self time, in
 * nanoseconds, of all the calls completed with that stack on top. The sum
 * of all values is thus the traced time of every thread, each nanosecond
 * counted once, and a function's "flat" time is its self time, its "cum"
 * time its total time (pprof counts a recursive function once per sample).
 *
 * CPU samples (--sample): the same Samples, one per distinct sampled
 * stack, with two values: `samples` (count) and `cpu` (nanoseconds: the
 * samples times the period); the period type is cpu, the period the
 * sampling period, the default sample type cpu. Wall-clock samples
 * (--wall) have `wall` instead of `cpu`: the sum of the real time each
 * sample stands for (see user/model/wall_ticks.h), the period the wanted one.
 *
 * We have no program counters, nor the line a call was made from: a
 * Location is a function (id = function id = func_info.id + 1), whose Line
 * is the function's first line. Sample.location_id lists the leaf first.
 * With --lines (CPU samples), a frame is a line of a function: its
 * Location (func_info.id + 1) has one Line with the function of its base
 * (func_info.base = its id + 1) and the line executed; only real functions get a
 * Function.
 *
 * Aggregated while tracing in O(stacks + functions) memory, never per call;
 * everything is written at the end. Informational Profile.comment strings
 * carry the session's counters (events, losses) and every process's
 * strategy and warnings, so a partial profile says so (`pprof -comments`).
 * Profile.time_nanos (wall-clock start) is left out: the tracer's clock is
 * CLOCK_MONOTONIC, and a recording converted later cannot know the
 * wall-clock time of its events.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include "util/array.h"
#include "util/pb_writer.h"
#include "util/text_escape.h"
#include "model/proc_label.h"
#include "cpython/pyversion.h"
#include "model/strategy.h"
#include "output/sinks.h"
#include "util/str_index.h"
#include "output/stack_profile.h"


/* profile.proto field numbers */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2,
	LOCATION_ID = 1, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_SYSTEM_NAME = 3,
	FUNCTION_FILENAME = 4, FUNCTION_START_LINE = 5,
};

struct pprof_func {
	uint32_t name, file;	/* string table indices */
	uint32_t line;
	uint32_t base;		/* func_info.base: the function (+ 1) of a line frame */
	uint32_t at_line;	/* its line (0: a function, or unknown) */
	bool told;
};

struct pprof_sink {
	struct sink base;
	FILE *f;
	struct out_file *file;	/* F's, until the end */
	struct str_index strs;		/* the string table; [0] is "" */
	struct pprof_func *funcs;	/* by func_info.id */
	size_t cap_funcs;
	struct stack_profile prof;	/* self time per stack */
	uint32_t *comments;		/* string indices */
	size_t n_comments, cap_comments;
	int err;			/* first error of a callback */
	/* the end: the message, and its gzip stream */
	struct pb_writer pb;
	z_stream z;
	uint8_t zbuf[1 << 16];
};

/* the string table index of S, added if new; 0 ("") on error (noted).
 * Protobuf strings are UTF-8: a traced program's bytes that are not
 * become U+FFFD. */
static uint32_t pprof_str(struct pprof_sink *ps, const char *s)
{
	char *fixed = s && !text_escape__is_utf8(s, strlen(s)) ? text_escape__utf8(s, strlen(s))
							       : NULL;
	long i = fixed ? str_index__add(&ps->strs, fixed, NULL) :
		 s && *s ? str_index__add(&ps->strs, s, NULL) : 0;

	free(fixed);
	if (i < 0) {
		if (!ps->err)
			ps->err = -ENOMEM;
		return 0;
	}
	return i;
}

static void pprof_comment(struct pprof_sink *ps, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void pprof_comment(struct pprof_sink *ps, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	uint32_t i;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	i = pprof_str(ps, line);
	if (!i)
		return;
	if (array__grow((void **)&ps->comments, &ps->cap_comments, ps->n_comments,
			sizeof(*ps->comments))) {
		ps->err = ps->err ? ps->err : -ENOMEM;
		return;
	}
	ps->comments[ps->n_comments++] = i;
}

static void pprof_free(struct sink *s);

static struct sink *pprof_open(const char *path)
{
	struct pprof_sink *ps = calloc(1, sizeof(*ps));

	if (!ps)
		return NULL;
	ps->base.ops = &sink_pprof;
	ps->base.path = strdup(path);
	pb_writer__init(&ps->pb);
	/* string_table[0] must be "" */
	if (!ps->base.path || str_index__init(&ps->strs) || str_index__add(&ps->strs, "", NULL)) {
		pprof_free(&ps->base);
		errno = ENOMEM;
		return NULL;
	}
	ps->f = sink__open_file(path, &ps->file);
	if (!ps->f) {
		int e = errno;

		pprof_free(&ps->base);
		errno = e;
		return NULL;
	}
	return &ps->base;
}

static int pprof_process(struct sink *s, const struct in_process *p)
{
	struct pprof_sink *ps = (struct pprof_sink *)s;
	uint32_t nw = p->n_warnings < IN_MAX_WARNINGS ? p->n_warnings : IN_MAX_WARNINGS;
	char ver[16], extra[300];

	proc_label__extra(p, extra, sizeof(extra));
	pprof_comment(ps, "pid %u: python %s, strategy %s, %.*s%s%s%s", p->pid,
		      pyversion__format(p->version_hex, ver, sizeof(ver)),
		      strategy__name(p->strategy), (int)strnlen(p->exe, sizeof(p->exe)), p->exe,
		      extra[0] ? " [" : "", extra, extra[0] ? "]" : "");
	for (uint32_t w = 0; w < nw; w++)
		pprof_comment(ps, "pid %u: warning: %.*s", p->pid,
			      (int)strnlen(p->warnings[w], sizeof(p->warnings[w])), p->warnings[w]);
	return ps->err;
}

static int pprof_func(struct sink *s, const struct func_info *f)
{
	struct pprof_sink *ps = (struct pprof_sink *)s;
	struct pprof_func *pf;

	if (array__grow((void **)&ps->funcs, &ps->cap_funcs, f->id, sizeof(*ps->funcs)))
		return ps->err = -ENOMEM;
	pf = &ps->funcs[f->id];
	pf->name = pprof_str(ps, f->qualname);
	pf->file = pprof_str(ps, f->file);
	pf->line = f->line;
	pf->base = f->base;
	pf->at_line = f->at_line;
	pf->told = true;
	return ps->err;
}

static int pprof_stack(struct sink *s, const struct stack_node *n)
{
	struct pprof_sink *ps = (struct pprof_sink *)s;

	/* the function's slot too, so that every function a stack uses has
	 * one (told or not) */
	int err = stack_profile__stack(&ps->prof, n);

	if (!err && array__grow((void **)&ps->funcs, &ps->cap_funcs, n->func, sizeof(*ps->funcs)))
		err = -ENOMEM;
	if (err && !ps->err)
		ps->err = err;
	return err;
}

static int pprof_sample(struct sink *s, const struct sample_rec *r)
{
	return stack_profile__sample(&((struct pprof_sink *)s)->prof, r);
}

static int pprof_call(struct sink *s, const struct call_rec *c)
{
	return stack_profile__call(&((struct pprof_sink *)s)->prof, c);
}

/* ---- the end: encode, compress, write -------------------------------- */

/* compress what the message buffer holds (FLUSH: Z_NO_FLUSH or Z_FINISH)
 * and write it; 0 or -errno */
static int pprof_deflate(struct pprof_sink *ps, int flush)
{
	int zr;

	ps->z.next_in = (Bytef *)pb_writer__data(&ps->pb);
	ps->z.avail_in = pb_writer__len(&ps->pb);
	do {
		size_t n;

		ps->z.next_out = ps->zbuf;
		ps->z.avail_out = sizeof(ps->zbuf);
		zr = deflate(&ps->z, flush);
		if (zr == Z_STREAM_ERROR)
			return -EIO;
		n = sizeof(ps->zbuf) - ps->z.avail_out;
		errno = 0;
		if (n && fwrite(ps->zbuf, 1, n, ps->f) != n)
			return errno ? -errno : -EIO;
	} while (ps->z.avail_out == 0 || (flush == Z_FINISH && zr != Z_STREAM_END));
	pb_writer__reset(&ps->pb);
	return 0;
}

/* hand the buffer to the compressor once it holds enough */
static int pprof_maybe_flush(struct pprof_sink *ps)
{
	if (pb_writer__error(&ps->pb))
		return pb_writer__error(&ps->pb);
	return pb_writer__len(&ps->pb) >= sizeof(ps->zbuf) ? pprof_deflate(ps, Z_NO_FLUSH) : 0;
}

static void pprof_value_type(struct pb_writer *pb, uint32_t field, uint32_t type, uint32_t unit)
{
	size_t m = pb__begin(pb, field);

	pb__uint(pb, VALUE_TYPE_TYPE, type);
	pb__uint(pb, VALUE_TYPE_UNIT, unit);
	pb__end(pb, m);
}

/* SAMPLED: values (samples, cpu ns) of CPU samples, else (wall ns) */
static int pprof_write_samples(struct pprof_sink *ps, bool sampled)
{
	uint64_t *locs = NULL;
	uint32_t *funcs = NULL;
	size_t cap = 0, cap_f = 0;
	int err = 0;

	for (size_t id = 1; id < ps->prof.n && !err; id++) {
		const struct stack_cost *st = &ps->prof.v[id];
		size_t n, m;

		if (!(sampled ? st->samples : st->calls))
			continue;
		if (array__grow((void **)&locs, &cap, st->depth, sizeof(*locs)) ||
		    array__grow((void **)&funcs, &cap_f, st->depth, sizeof(*funcs))) {
			err = -ENOMEM;
			break;
		}
		/* the leaf first, up to the outermost frame; location = func + 1 */
		n = stack_profile__path(&ps->prof, id, funcs, cap_f);
		for (size_t i = 0; i < n; i++)
			locs[i] = funcs[i] + 1;
		m = pb__begin(&ps->pb, PROFILE_SAMPLE);
		pb__packed_uint(&ps->pb, SAMPLE_LOCATION_ID, locs, n);
		if (sampled) {
			uint64_t v[2] = { st->samples, st->self_ns };

			pb__packed_uint(&ps->pb, SAMPLE_VALUE, v, 2);
		} else {
			pb__packed_uint(&ps->pb, SAMPLE_VALUE, &st->self_ns, 1);
		}
		pb__end(&ps->pb, m);
		if (!err)
			err = pprof_maybe_flush(ps);
	}
	free(locs);
	free(funcs);
	return err;
}

/* a Location and a Function for every function a stack uses */
static int pprof_write_funcs(struct pprof_sink *ps)
{
	bool *used = calloc(ps->cap_funcs + 1, sizeof(*used));
	int err = 0;

	if (!used)
		return -ENOMEM;
	for (size_t id = 1; id < ps->prof.n; id++)
		if (ps->prof.v[id].known && ps->prof.v[id].func < ps->cap_funcs)
			used[ps->prof.v[id].func] = true;
	/* the function of every line frame used has its Function */
	for (size_t i = 0; i < ps->cap_funcs; i++)
		if (used[i] && ps->funcs[i].told && ps->funcs[i].base &&
		    ps->funcs[i].base <= ps->cap_funcs)
			used[ps->funcs[i].base - 1] = true;
	for (size_t i = 0; i < ps->cap_funcs && !err; i++) {
		const struct pprof_func *pf = &ps->funcs[i];
		bool line_frame = pf->told && pf->base && pf->base <= ps->cap_funcs;
		size_t m, l;

		if (!used[i])
			continue;
		if (line_frame) {
			/* a line of function BASE: its Location only */
			m = pb__begin(&ps->pb, PROFILE_LOCATION);
			pb__uint(&ps->pb, LOCATION_ID, i + 1);
			l = pb__begin(&ps->pb, LOCATION_LINE);
			pb__uint(&ps->pb, LINE_FUNCTION_ID, pf->base);
			pb__int(&ps->pb, LINE_LINE, pf->at_line);
			pb__end(&ps->pb, l);
			pb__end(&ps->pb, m);
			err = pprof_maybe_flush(ps);
			continue;
		}
		if (!pf->told) {
			/* the analyzer tells a function before its first stack */
			char unk[40];

			snprintf(unk, sizeof(unk), "<unknown function %zu>", i);
			ps->funcs[i].name = pprof_str(ps, unk);
		}
		m = pb__begin(&ps->pb, PROFILE_LOCATION);
		pb__uint(&ps->pb, LOCATION_ID, i + 1);
		l = pb__begin(&ps->pb, LOCATION_LINE);
		pb__uint(&ps->pb, LINE_FUNCTION_ID, i + 1);
		pb__int(&ps->pb, LINE_LINE, pf->line);
		pb__end(&ps->pb, l);
		pb__end(&ps->pb, m);

		m = pb__begin(&ps->pb, PROFILE_FUNCTION);
		pb__uint(&ps->pb, FUNCTION_ID, i + 1);
		pb__int(&ps->pb, FUNCTION_NAME, pf->name);
		pb__int(&ps->pb, FUNCTION_SYSTEM_NAME, pf->name);
		pb__int(&ps->pb, FUNCTION_FILENAME, pf->file);
		pb__int(&ps->pb, FUNCTION_START_LINE, pf->line);
		pb__end(&ps->pb, m);
		err = pprof_maybe_flush(ps);
	}
	free(used);
	return err;
}

static void pprof_session_comments(struct pprof_sink *ps, const struct session_stats *st)
{
	unsigned long long lt = st->lost_total;

	if (!st->samples)
		pprof_comment(ps, "tracer: exact wall time; value = self time (ns) of the calls "
			      "with this stack on top; clock CLOCK_MONOTONIC %llu..%llu ns",
			      (unsigned long long)st->first_ts, (unsigned long long)st->last_ts);
	pprof_comment(ps, "events %llu, calls %llu, lost %llu (ringbuf_full %llu, map_full %llu, "
		      "read_failed %llu, no_config %llu, foreign_thread_state %llu)%s",
		      (unsigned long long)st->events, (unsigned long long)st->calls, lt,
		      (unsigned long long)st->drops[TR_DROP_RINGBUF_FULL],
		      (unsigned long long)st->drops[TR_DROP_MAP_FULL],
		      (unsigned long long)st->drops[TR_DROP_READ_FAIL],
		      (unsigned long long)st->drops[TR_DROP_NO_CONFIG],
		      (unsigned long long)st->drops[TR_DROP_FOREIGN_TSTATE],
		      lt ? ": THE PROFILE IS INCOMPLETE" : "");
	pprof_comment(ps, "inferred_returns %llu, unmatched_returns %llu, open_at_end %llu, "
		      "truncated_names %llu, exit_code %u%s",
		      (unsigned long long)st->inferred_returns,
		      (unsigned long long)st->unmatched_returns,
		      (unsigned long long)st->open_at_end,
		      (unsigned long long)st->truncated_names, st->exit_code,
		      st->end_flags & IN_END_RECORDING_TRUNCATED ? ", recording truncated" : "");
	for (uint32_t w = 0; w < st->n_warnings; w++)
		pprof_comment(ps, "warning: %.*s",
			      (int)strnlen(st->warnings[w], sizeof(st->warnings[w])), st->warnings[w]);
}

static int pprof_finish(struct sink *s, const struct session_stats *st)
{
	struct pprof_sink *ps = (struct pprof_sink *)s;
	struct pb_writer *pb = &ps->pb;
	uint64_t *idx = NULL;
	int err = ps->err ? ps->err : ps->prof.err;
	uint32_t wall, ns, count = 0, samples = 0;
	bool sampled = st->samples > 0;

	pprof_session_comments(ps, st);
	/* the main type: wall time of calls or of wall-clock samples, or CPU
	 * time of samples */
	wall = pprof_str(ps, sampled && !st->samples_wall ? "cpu" : "wall");
	ns = pprof_str(ps, "nanoseconds");
	if (sampled) {
		samples = pprof_str(ps, "samples");
		count = pprof_str(ps, "count");
		char line[300];

		if (st->samples_wall)
			pprof_comment(ps, "tracer: wall-clock samples of every thread, running or "
				      "not (%llu samples, %llu truncated); %s",
				      (unsigned long long)st->samples,
				      (unsigned long long)st->samples_truncated,
				      wall_ticks__describe(&st->wall, line, sizeof(line)));
		else
			pprof_comment(ps, "tracer: CPU samples every %llu ns of CPU time (%llu "
				      "samples, %llu truncated)",
				      (unsigned long long)st->sample_period_ns,
				      (unsigned long long)st->samples,
				      (unsigned long long)st->samples_truncated);
	}
	if (!err)
		err = ps->err;
	/* gzip (windowBits 16 + 15) without a file name or time: the same
	 * session always gives the same bytes */
	if (!err && deflateInit2(&ps->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + 15, 8,
				 Z_DEFAULT_STRATEGY) != Z_OK)
		err = -ENOMEM;
	if (err)
		goto out;
	if (sampled)
		pprof_value_type(pb, PROFILE_SAMPLE_TYPE, samples, count);
	pprof_value_type(pb, PROFILE_SAMPLE_TYPE, wall, ns);
	err = pprof_write_samples(ps, sampled);
	if (!err)
		err = pprof_write_funcs(ps);
	if (err)
		goto out_z;
	for (size_t i = 0; i < ps->strs.n && !err; i++) {
		pb__string(pb, PROFILE_STRING_TABLE, ps->strs.strs[i]);
		err = pprof_maybe_flush(ps);
	}
	if (st->last_ts > st->first_ts)
		pb__int(pb, PROFILE_DURATION_NANOS, st->last_ts - st->first_ts);
	pprof_value_type(pb, PROFILE_PERIOD_TYPE, wall, ns);
	/* every call (1), or one sample per period */
	pb__int(pb, PROFILE_PERIOD, sampled ? st->sample_period_ns : 1);
	idx = calloc(ps->n_comments + 1, sizeof(*idx));
	if (!idx)
		err = -ENOMEM;
	for (size_t i = 0; idx && i < ps->n_comments; i++)
		idx[i] = ps->comments[i];
	if (idx)
		pb__packed_uint(pb, PROFILE_COMMENT, idx, ps->n_comments);
	free(idx);
	pb__int(pb, PROFILE_DEFAULT_SAMPLE_TYPE, wall);
	if (!err)
		err = pb_writer__error(pb);
	if (!err)
		err = pprof_deflate(ps, Z_FINISH);
out_z:
	deflateEnd(&ps->z);
out:
	return sink__close_file(&ps->file, &ps->f, err);
}

static void pprof_free(struct sink *s)
{
	struct pprof_sink *ps = (struct pprof_sink *)s;

	if (!ps)
		return;
	out_file__discard(&ps->file);
	str_index__free(&ps->strs);
	free(ps->funcs);
	stack_profile__free(&ps->prof);
	free(ps->comments);
	pb_writer__free(&ps->pb);
	free(ps->base.path);
	free(ps);
}

const struct sink_ops sink_pprof = {
	.name = "pprof",
	.suffix = ".pprof",
	.help = "gzipped pprof profile: wall time (or CPU samples) per call stack",
	.open = pprof_open,
	.process = pprof_process,
	.func = pprof_func,
	.stack = pprof_stack,
	.call = pprof_call,
	.sample = pprof_sample,
	.finish = pprof_finish,
	.free = pprof_free,
};
