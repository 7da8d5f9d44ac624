// SPDX-License-Identifier: MIT
/*
 * Collapsed stacks (.folded), the input of flamegraph.pl, inferno,
 * speedscope and most flame graph tools: one line per distinct call stack,
 *
 *	outer (file.py:1);inner (file.py:7) 1234
 *
 * frames outermost first, each `qualname (file:line)`, then the self time
 * of the innermost frame in that stack, in integer microseconds. Stacks are
 * shared by all threads and processes of the session, so a line sums every
 * thread that ran that stack.
 *
 * Streaming aggregation: the analyzer tells each distinct stack once (the
 * `stack` callback: parent and function); every completed call adds its self
 * time (end - start - child) to its stack's counter, in nanoseconds. Memory
 * is one small record per distinct stack and per function, never per call.
 * Everything is written at finish.
 *
 * Rounding: values are rounded as a running total, not one by one. With
 * stacks in id order, line k gets round(S_k) - round(S_{k-1}), where S_k is
 * the sum of the self times of stacks 1..k in microseconds (round half up).
 * Each value is then within 1 µs of that stack's own time, and the values
 * add up to exactly round(total self time) = the total traced thread time
 * (the sum of the durations of the outermost calls of every thread),
 * however many short stacks there are. A stack that ran keeps its line
 * even when its value is 0 (its time is carried into the next lines), so
 * every stack and every function that ran is in the file; stacks that
 * never completed a call have no line.
 *
 * CPU samples (--sample): a line per distinct sampled stack, its VALUE
 * the number of samples of that stack (no rounding needed).
 *
 * Names: ';' separates frames and a newline ends a line, so in names ';'
 * becomes ',' and every control character (newlines included) a space,
 * bytes that are not UTF-8 U+FFFD (text_escape__folded). Spaces are kept:
 * readers take the value after the last space.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/array.h"
#include "model/func_names.h"
#include "output/sinks.h"
#include "output/stack_profile.h"
#include "util/text_escape.h"


struct folded_sink {
	struct sink base;
	FILE *f;
	struct out_file *file;	/* F's, until the end */
	struct func_names names;
	struct stack_profile prof;
	char **labels;		/* labels[func]: frame text, made at finish */
	size_t n_labels;
	uint32_t *path;		/* scratch: the funcs of one stack */
	size_t cap_path;
};

static struct sink *folded_open(const char *path)
{
	struct folded_sink *fs = calloc(1, sizeof(*fs));

	if (!fs)
		return NULL;
	fs->base.ops = &sink_folded;
	fs->base.path = strdup(path);
	/* created now, so a path that cannot be written is said at once */
	fs->f = sink__open_file(path, &fs->file);
	if (!fs->base.path || !fs->f) {
		int e = errno;

		out_file__discard(&fs->file);
		free(fs->base.path);
		free(fs);
		errno = e;
		return NULL;
	}
	return &fs->base;
}

static int folded_func(struct sink *s, const struct func_info *f)
{
	return func_names__set(&((struct folded_sink *)s)->names, f);
}

static int folded_stack(struct sink *s, const struct stack_node *n)
{
	return stack_profile__stack(&((struct folded_sink *)s)->prof, n);
}

/* calls without a stack (the analyzer out of memory, said) stay out */
static int folded_call(struct sink *s, const struct call_rec *c)
{
	return stack_profile__call(&((struct folded_sink *)s)->prof, c);
}

/* "qualname (file:line)" (a function without a file: its name) with ';'
 * and control characters replaced */
static char *folded_label(const struct func_info *fi, uint32_t func)
{
	char *s, *label;
	int n;

	if (fi && !fi->file[0])	/* a placeholder: "[truncated]" */
		n = asprintf(&s, "%s", fi->qualname);
	else if (fi && fi->c_func)	/* "[C] name (module)" */
		n = asprintf(&s, "%s%s (%s)", func_info__mark(fi), fi->qualname, fi->file);
	else if (fi)
		n = asprintf(&s, "%s (%s:%u)", fi->qualname, fi->file, fi->line);
	else
		n = asprintf(&s, "<unknown function %u>", func);
	if (n < 0)
		return NULL;
	label = text_escape__folded(s);
	free(s);
	return label;
}

static const char *folded_label_of(struct folded_sink *fs, uint32_t func)
{
	size_t cap = fs->n_labels;

	if (func >= fs->n_labels) {
		if (array__grow((void **)&fs->labels, &cap, func, sizeof(*fs->labels)))
			return NULL;
		fs->n_labels = cap;
	}
	if (!fs->labels[func])
		fs->labels[func] = folded_label(func_names__get(&fs->names, func), func);
	return fs->labels[func];
}

/* one line: the frames of stack ID, outermost first, and VALUE */
static int folded_line(struct folded_sink *fs, uint32_t id, uint64_t value)
{
	size_t depth;

	if (array__grow((void **)&fs->path, &fs->cap_path, fs->prof.v[id].depth,
			sizeof(*fs->path)))
		return -ENOMEM;
	depth = stack_profile__path(&fs->prof, id, fs->path, fs->cap_path);
	while (depth--) {
		const char *label = folded_label_of(fs, fs->path[depth]);

		if (!label)
			return -ENOMEM;
		fputs_unlocked(label, fs->f);
		if (depth)
			putc_unlocked(';', fs->f);
	}
	fprintf(fs->f, " %llu\n", (unsigned long long)value);
	return 0;
}

static int folded_sample(struct sink *s, const struct sample_rec *r)
{
	return stack_profile__sample(&((struct folded_sink *)s)->prof, r);
}

static int folded_finish(struct sink *s, const struct session_stats *st)
{
	struct folded_sink *fs = (struct folded_sink *)s;
	uint64_t sum_ns = 0, written_us = 0;
	int err = fs->prof.err;

	for (uint32_t id = 1; id < fs->prof.n && !err; id++) {
		uint64_t v;

		if (st->samples) {
			if (fs->prof.v[id].samples)
				err = folded_line(fs, id, fs->prof.v[id].samples);
			continue;
		}
		if (!fs->prof.v[id].calls)
			continue;
		sum_ns += fs->prof.v[id].self_ns;
		/* running-total rounding (see the top comment) */
		v = (sum_ns + 500) / 1000 - written_us;
		written_us += v;
		err = folded_line(fs, id, v);
		if (!err && ferror(fs->f))
			err = errno ? -errno : -EIO;
	}
	return sink__close_file(&fs->file, &fs->f, err);
}

static void folded_free(struct sink *s)
{
	struct folded_sink *fs = (struct folded_sink *)s;

	if (!fs)
		return;
	out_file__discard(&fs->file);
	for (size_t i = 0; i < fs->n_labels; i++)
		free(fs->labels[i]);
	free(fs->labels);
	func_names__free(&fs->names);
	stack_profile__free(&fs->prof);
	free(fs->path);
	free(fs->base.path);
	free(fs);
}

const struct sink_ops sink_folded = {
	.name = "folded",
	.suffix = ".folded",
	.help = "collapsed stacks: self time in µs, or samples",
	.open = folded_open,
	.func = folded_func,
	.stack = folded_stack,
	.call = folded_call,
	.sample = folded_sample,
	.finish = folded_finish,
	.free = folded_free,
};
