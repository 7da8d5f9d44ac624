// SPDX-License-Identifier: MIT
/*
 * pprof profile (.pprof): a gzipped profile.proto (github.com/google/pprof,
 * proto/profile.proto) of exact wall time, for `pprof`, speedscope, and
 * the many UIs that read the format.
 *
 * One Sample per distinct call stack and thread (the analyzer's interned
 * stacks, shared by all threads and processes, split by the thread that
 * spent the time: output/stack_threads.c), with the labels `pid`, `thread`
 * (its tid) and `thread_name` (its Python name, else its comm, when told), whose single value is the self time, in
 * nanoseconds, of all the calls completed with that stack on top, and a
 * second value, `calls` (count), how many they were (pprof -sample_index=calls:
 * a function's flat count is its number of calls). The sum
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
 *
 * pprof's views merge functions by name alone, and it demangles
 * Function.system_name into the name shown (where "<module>" becomes
 * "<unknown>"): system_name is left empty, and a name that several used
 * functions have is made unique by their file ("<module> (/app/a.py)"),
 * and by their first line too when that is not enough
 * ("<lambda> (/app/a.py:12)"). Every Location is in one Mapping, the
 * interpreter of the first process (its exe), marked as symbolized
 * (has_functions, has_filenames, has_line_numbers): pprof then neither
 * says "Main binary filename not available" nor looks for symbols.
 * With --lines (CPU samples), a frame is a line of a function: its
 * Location (func_info.id + 1) has one Line with the function of its base
 * (func_info.base = its id + 1) and the line executed; only real functions get a
 * Function.
 *
 * Aggregated while tracing in O(stacks + functions) memory, never per call;
 * everything is written at the end. Informational Profile.comment strings
 * carry the session's counters (events, losses) and every process's
 * strategy and warnings, so a partial profile says so (`pprof -comments`).
 * Profile.time_nanos is the wall-clock time of the first event: its
 * CLOCK_MONOTONIC time plus the offset of the two clocks taken at the end
 * of the live session (kept in the recording since format 8; left out for
 * an older recording, which cannot know it); duration_nanos the time from
 * the first event to the end.
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
#include "output/observer.h"
#include "output/sinks.h"
#include "util/str_index.h"
#include "output/stack_threads.h"
#include "util/hashmap.h"


/* profile.proto field numbers */
enum {
	PROFILE_SAMPLE_TYPE = 1, PROFILE_SAMPLE = 2, PROFILE_MAPPING = 3, PROFILE_LOCATION = 4,
	PROFILE_FUNCTION = 5, PROFILE_STRING_TABLE = 6, PROFILE_TIME_NANOS = 9,
	PROFILE_DURATION_NANOS = 10,
	PROFILE_PERIOD_TYPE = 11, PROFILE_PERIOD = 12, PROFILE_COMMENT = 13,
	PROFILE_DEFAULT_SAMPLE_TYPE = 14,
	VALUE_TYPE_TYPE = 1, VALUE_TYPE_UNIT = 2,
	SAMPLE_LOCATION_ID = 1, SAMPLE_VALUE = 2, SAMPLE_LABEL = 3,
	LABEL_KEY = 1, LABEL_STR = 2, LABEL_NUM = 3,
	MAPPING_ID = 1, MAPPING_FILENAME = 5, MAPPING_HAS_FUNCTIONS = 7,
	MAPPING_HAS_FILENAMES = 8, MAPPING_HAS_LINE_NUMBERS = 9,
	LOCATION_ID = 1, LOCATION_MAPPING_ID = 2, LOCATION_LINE = 4,
	LINE_FUNCTION_ID = 1, LINE_LINE = 2,
	FUNCTION_ID = 1, FUNCTION_NAME = 2, FUNCTION_FILENAME = 4, FUNCTION_START_LINE = 5,
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
	struct stack_threads prof;	/* self time per stack and thread */
	uint32_t mapping_file;		/* string index: the first process's exe */
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
	if (!ps->base.path || str_index__init(&ps->strs) || str_index__add(&ps->strs, "", NULL) ||
	    stack_threads__init(&ps->prof)) {
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
	if (!ps->mapping_file) {
		char exe[sizeof(p->exe) + 1];

		snprintf(exe, sizeof(exe), "%.*s", (int)strnlen(p->exe, sizeof(p->exe)), p->exe);
		ps->mapping_file = pprof_str(ps, exe[0] ? exe : "python");
	}
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
	if (f->c_func) {	/* "[C] name" (--c-calls), in its module */
		char *name = NULL;

		if (asprintf(&name, "%s%s", func_info__mark(f), f->qualname) < 0)
			return ps->err = -ENOMEM;
		pf->name = pprof_str(ps, name);
		free(name);
	} else {
		pf->name = pprof_str(ps, f->qualname);
	}
	pf->file = pprof_str(ps, f->file);
	pf->line = f->line;
	pf->base = f->base;
	pf->at_line = f->at_line;
	pf->told = true;
	return ps->err;
}

static int pprof_thread(struct sink *s, const struct in_thread *t)
{
	return stack_threads__thread(&((struct pprof_sink *)s)->prof, t);
}

static int pprof_stack(struct sink *s, const struct stack_node *n)
{
	struct pprof_sink *ps = (struct pprof_sink *)s;

	/* the function's slot too, so that every function a stack uses has
	 * one (told or not) */
	int err = stack_threads__stack(&ps->prof, n);

	if (!err && array__grow((void **)&ps->funcs, &ps->cap_funcs, n->func, sizeof(*ps->funcs)))
		err = -ENOMEM;
	if (err && !ps->err)
		ps->err = err;
	return err;
}

static int pprof_sample(struct sink *s, const struct sample_rec *r)
{
	return stack_threads__sample(&((struct pprof_sink *)s)->prof, r);
}

static int pprof_call(struct sink *s, const struct call_rec *c)
{
	return stack_threads__call(&((struct pprof_sink *)s)->prof, c);
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

static void pprof_label(struct pb_writer *pb, uint32_t key, uint32_t str, int64_t num)
{
	size_t m = pb__begin(pb, SAMPLE_LABEL);

	pb__uint(pb, LABEL_KEY, key);
	if (str)
		pb__uint(pb, LABEL_STR, str);
	else
		pb__int(pb, LABEL_NUM, num);
	pb__end(pb, m);
}

/* SAMPLED: values (samples, cpu ns) of CPU samples, else (wall ns); one
 * Sample per (stack, thread), labeled with the thread */
static int pprof_write_samples(struct pprof_sink *ps, bool sampled)
{
	struct stack_threads *t = &ps->prof;
	uint32_t k_pid = pprof_str(ps, "pid"), k_thread = pprof_str(ps, "thread"),
		 k_name = pprof_str(ps, "thread_name");
	uint64_t *locs = NULL;
	uint32_t *funcs = NULL;
	size_t cap = 0, cap_f = 0;
	int err = ps->err;

	stack_threads__sort(t);
	for (size_t i = 0; i < t->n_cells && !err; i++) {
		const struct st_cell *c = &t->cells[i];
		const struct st_thread *th = &t->thr[c->thread];
		const struct stack_cost *st = &t->prof.v[c->stack];
		size_t n, m;

		/* time of no known stack (the root's) has no frames to show */
		if (!c->stack || !(sampled ? c->samples : c->calls))
			continue;
		if (array__grow((void **)&locs, &cap, st->depth, sizeof(*locs)) ||
		    array__grow((void **)&funcs, &cap_f, st->depth, sizeof(*funcs))) {
			err = -ENOMEM;
			break;
		}
		/* the leaf first, up to the outermost frame; location = func + 1 */
		n = stack_profile__path(&t->prof, c->stack, funcs, cap_f);
		for (size_t j = 0; j < n; j++)
			locs[j] = funcs[j] + 1;
		m = pb__begin(&ps->pb, PROFILE_SAMPLE);
		pb__packed_uint(&ps->pb, SAMPLE_LOCATION_ID, locs, n);
		if (sampled) {
			uint64_t v[2] = { c->samples, c->self_ns };

			pb__packed_uint(&ps->pb, SAMPLE_VALUE, v, 2);
		} else {
			uint64_t v[2] = { c->self_ns, c->calls };

			pb__packed_uint(&ps->pb, SAMPLE_VALUE, v, 2);
		}
		pprof_label(&ps->pb, k_pid, 0, th->pid);
		pprof_label(&ps->pb, k_thread, 0, th->tid);
		if (th->name[0])
			pprof_label(&ps->pb, k_name, pprof_str(ps, th->name), 0);
		pb__end(&ps->pb, m);
		err = ps->err ? ps->err : pprof_maybe_flush(ps);
	}
	free(locs);
	free(funcs);
	return err;
}

/* how many used functions have the name of each (by name, or by name and
 * file with BY_FILE); NULL on error */
static struct hashmap *pprof_name_counts(struct pprof_sink *ps, const bool *used, bool by_file)
{
	struct hashmap *h = hashmap__new();

	for (size_t i = 0; h && i < ps->cap_funcs; i++) {
		const struct pprof_func *pf = &ps->funcs[i];
		uint64_t key = (uint64_t)pf->name << 32 | (by_file ? pf->file : 0);

		if (!used[i] || (pf->told && pf->base))
			continue;
		if (hashmap__set(h, key, (void *)((uintptr_t)hashmap__get(h, key) + 1))) {
			hashmap__free(h, NULL);
			return NULL;
		}
	}
	return h;
}

/* make the names of the used functions unique (see the top); 0 or -ENOMEM */
static int pprof_unique_names(struct pprof_sink *ps, const bool *used)
{
	struct hashmap *by_name = pprof_name_counts(ps, used, false);
	struct hashmap *by_file = pprof_name_counts(ps, used, true);
	int err = by_name && by_file ? 0 : -ENOMEM;

	for (size_t i = 0; i < ps->cap_funcs && !err; i++) {
		struct pprof_func *pf = &ps->funcs[i];
		const char *name = ps->strs.strs[pf->name], *file = ps->strs.strs[pf->file];
		size_t len = strlen(name) + strlen(file) + 32;
		char *u;

		if (!used[i] || (pf->told && pf->base) ||
		    (uintptr_t)hashmap__get(by_name, (uint64_t)pf->name << 32) < 2)
			continue;
		u = malloc(len);
		if (!u) {
			err = -ENOMEM;
			break;
		}
		if ((uintptr_t)hashmap__get(by_file, (uint64_t)pf->name << 32 | pf->file) < 2)
			snprintf(u, len, "%s (%s)", name, file);
		else
			snprintf(u, len, "%s (%s:%u)", name, file, pf->line);
		pf->name = pprof_str(ps, u);
		free(u);
		err = ps->err;
	}
	hashmap__free(by_name, NULL);
	hashmap__free(by_file, NULL);
	return err;
}

/* the one Mapping: the interpreter, whose functions are all known */
static void pprof_write_mapping(struct pprof_sink *ps)
{
	size_t m = pb__begin(&ps->pb, PROFILE_MAPPING);

	pb__uint(&ps->pb, MAPPING_ID, 1);
	pb__uint(&ps->pb, MAPPING_FILENAME, ps->mapping_file);
	pb__uint(&ps->pb, MAPPING_HAS_FUNCTIONS, 1);
	pb__uint(&ps->pb, MAPPING_HAS_FILENAMES, 1);
	pb__uint(&ps->pb, MAPPING_HAS_LINE_NUMBERS, 1);
	pb__end(&ps->pb, m);
}

static void pprof_location(struct pprof_sink *ps, uint64_t id, uint64_t func, uint32_t line)
{
	size_t m = pb__begin(&ps->pb, PROFILE_LOCATION), l;

	pb__uint(&ps->pb, LOCATION_ID, id);
	pb__uint(&ps->pb, LOCATION_MAPPING_ID, 1);
	l = pb__begin(&ps->pb, LOCATION_LINE);
	pb__uint(&ps->pb, LINE_FUNCTION_ID, func);
	pb__int(&ps->pb, LINE_LINE, line);
	pb__end(&ps->pb, l);
	pb__end(&ps->pb, m);
}

/* a Location and a Function for every function a stack uses */
static int pprof_write_funcs(struct pprof_sink *ps)
{
	const struct stack_profile *prof = &ps->prof.prof;
	bool *used = calloc(ps->cap_funcs + 1, sizeof(*used));
	int err = 0;

	if (!used)
		return -ENOMEM;
	for (size_t id = 1; id < prof->n; id++)
		if (prof->v[id].known && prof->v[id].func < ps->cap_funcs)
			used[prof->v[id].func] = true;
	/* the function of every line frame used has its Function */
	for (size_t i = 0; i < ps->cap_funcs; i++)
		if (used[i] && ps->funcs[i].told && ps->funcs[i].base &&
		    ps->funcs[i].base <= ps->cap_funcs)
			used[ps->funcs[i].base - 1] = true;
	for (size_t i = 0; i < ps->cap_funcs; i++)
		if (used[i] && !ps->funcs[i].told) {
			/* the analyzer tells a function before its first stack */
			char unk[40];

			snprintf(unk, sizeof(unk), "<unknown function %zu>", i);
			ps->funcs[i].name = pprof_str(ps, unk);
		}
	err = ps->err ? ps->err : pprof_unique_names(ps, used);
	if (!err)
		pprof_write_mapping(ps);
	for (size_t i = 0; i < ps->cap_funcs && !err; i++) {
		const struct pprof_func *pf = &ps->funcs[i];
		size_t m;

		if (!used[i])
			continue;
		if (pf->told && pf->base && pf->base <= ps->cap_funcs) {
			/* a line of function BASE: its Location only */
			pprof_location(ps, i + 1, pf->base, pf->at_line);
			err = pprof_maybe_flush(ps);
			continue;
		}
		pprof_location(ps, i + 1, i + 1, pf->line);
		m = pb__begin(&ps->pb, PROFILE_FUNCTION);
		pb__uint(&ps->pb, FUNCTION_ID, i + 1);
		pb__int(&ps->pb, FUNCTION_NAME, pf->name);
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
		pprof_comment(ps, "tracer: exact wall time; values = self time (ns) and number of the calls "
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
	int err = ps->err ? ps->err : ps->prof.err ? ps->prof.err : ps->prof.prof.err;
	uint32_t wall, ns, count, calls, samples = 0;
	bool sampled = st->samples > 0;

	pprof_session_comments(ps, st);
	{
		char sub[300];

		observer__subtracted(&st->probe_cost, sub, sizeof(sub));
		if (sub[0])
			pprof_comment(ps, "tracer: %s", sub);
	}
	/* the main type: wall time of calls or of wall-clock samples, or CPU
	 * time of samples */
	wall = pprof_str(ps, sampled && !st->samples_wall ? "cpu" : "wall");
	ns = pprof_str(ps, "nanoseconds");
	count = pprof_str(ps, "count");
	calls = pprof_str(ps, "calls");
	if (sampled) {
		samples = pprof_str(ps, "samples");
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
	if (!sampled)
		pprof_value_type(pb, PROFILE_SAMPLE_TYPE, calls, count);
	err = pprof_write_samples(ps, sampled);
	if (!err)
		err = pprof_write_funcs(ps);
	if (err)
		goto out_z;
	for (size_t i = 0; i < ps->strs.n && !err; i++) {
		pb__string(pb, PROFILE_STRING_TABLE, ps->strs.strs[i]);
		err = pprof_maybe_flush(ps);
	}
	if (st->realtime_offset_ns && st->first_ts)
		pb__int(pb, PROFILE_TIME_NANOS, (int64_t)st->first_ts + st->realtime_offset_ns);
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
	stack_threads__free(&ps->prof);
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
	.thread = pprof_thread,
	.stack = pprof_stack,
	.call = pprof_call,
	.sample = pprof_sample,
	.finish = pprof_finish,
	.free = pprof_free,
};
