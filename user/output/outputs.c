// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "analysis/analyzer.h"
#include "util/mono_clock.h"
#include "util/out_file.h"
#include "util/text_escape.h"
#include "output/outputs.h"
#include "record/recording.h"
#include "output/sinks.h"
#include "output/coverage.h"

struct outputs {
	struct rec_writer *rec;
	const char *rec_path;
	bool rec_failed;
	uint32_t rec_unflushed;	/* events since the last look at the clock */
	uint64_t rec_flush_ns;	/* when the recording was last flushed */
	bool say_partial;	/* at the first process: where the files are */
	bool live;		/* a live session (not `tracer report`) */
	bool fail_under_set;
	double fail_under;
	struct analyzer *an;
	struct sink *sinks[OUTPUTS_MAX];
	int n_sinks;
	/* each sink's file as it was before the session (st_ino 0: none):
	 * a file at its path with another identity at the end was written
	 * by the session (outputs replace their file only when complete) */
	struct { dev_t dev; ino_t ino; } before[OUTPUTS_MAX];
	bool say_written;	/* a live session: one line per file written */
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n > m && !strcmp(s + n - m, suffix);
}

bool outputs__is_recording(const char *path)
{
	return has_suffix(path, ".trace");
}

static int open_sink(struct outputs *o, const struct sink_ops *ops, const char *path,
		     char *err, size_t errlen)
{
	struct sink *s;
	struct stat st;

	if (o->n_sinks == (int)(sizeof(o->sinks) / sizeof(o->sinks[0]))) {
		snprintf(err, errlen, "too many outputs");
		return -E2BIG;
	}
	if (!lstat(path, &st)) {
		o->before[o->n_sinks].dev = st.st_dev;
		o->before[o->n_sinks].ino = st.st_ino;
	}
	s = ops->open(path);
	if (!s) {
		int e = errno ? errno : EIO;
		snprintf(err, errlen, "cannot write %s: %s", path, strerror(e));
		return -e;
	}
	o->sinks[o->n_sinks++] = s;
	return 0;
}

int outputs__open(const char *const *paths, int n, bool allow_recording,
		  struct outputs **out, char *err, size_t errlen)
{
	struct outputs_cfg cfg = { .allow_recording = allow_recording };

	return outputs__open_cfg(paths, n, &cfg, out, err, errlen);
}

int outputs__open_cfg(const char *const *paths, int n, const struct outputs_cfg *cfg,
		      struct outputs **out, char *err, size_t errlen)
{
	struct outputs *o = calloc(1, sizeof(*o));
	bool allow_recording = cfg->allow_recording, to_stdout = false;
	int ret = 0;

	if (!o)
		return -ENOMEM;
	for (int i = 0; i < n && !ret; i++) {
		const struct sink_ops *ops;

		if (outputs__is_recording(paths[i])) {
			if (!allow_recording || o->rec) {
				snprintf(err, errlen, "%s: %s", paths[i], o->rec ?
					 "only one recording per session" :
					 "a recording cannot be written from a recording");
				ret = -EINVAL;
				break;
			}
			o->rec = rec_writer__open(paths[i]);
			o->rec_path = paths[i];
			if (!o->rec) {
				ret = -errno;
				snprintf(err, errlen, "cannot write %s: %s", paths[i], strerror(errno));
			}
			continue;
		}
		to_stdout |= !strcmp(paths[i], "-");
		ops = strcmp(paths[i], "-") ? sinks__for_path(paths[i]) : &sink_summary;
		if (!ops) {
			char list[256] = "";
			const struct sink_ops *k;
			for (size_t i = 0; (k = sinks__at(i)); i++) {
				strncat(list, k->suffix, sizeof(list) - strlen(list) - 1);
				strncat(list, " ", sizeof(list) - strlen(list) - 1);
			}
			snprintf(err, errlen, "%s: unknown output format (known: %s.trace)",
				 paths[i], list);
			ret = -EINVAL;
			break;
		}
		ret = open_sink(o, ops, paths[i], err, errlen);
	}
	/* the coverage report on stdout, after the summary */
	if (!ret && (cfg->coverage_report || (to_stdout && outputs__want_coverage(o))))
		ret = open_sink(o, &sink_cov_report, "-", err, errlen);
	if (!ret && n == 0 && !cfg->coverage_report)
		ret = open_sink(o, &sink_summary, "-", err, errlen);
	if (!ret && cfg->fail_under_set && !outputs__want_coverage(o)) {
		snprintf(err, errlen, "--fail-under needs coverage: a coverage output (-o "
			 "FILE.lcov, .info, .xml, .cov.txt or .html) or --coverage with -o -");
		ret = -EINVAL;
	}
	o->fail_under_set = cfg->fail_under_set;
	o->fail_under = cfg->fail_under;
	if (!ret && !(o->an = analyzer__new(o->sinks, o->n_sinks)))
		ret = -ENOMEM;
	/* files of a live session: said when tracing starts */
	for (int i = 0; i < n; i++)
		o->say_partial |= allow_recording && strcmp(paths[i], "-");
	o->live = allow_recording;
	o->say_written = allow_recording;
	if (ret) {
		outputs__free(o);
		return ret;
	}
	*out = o;
	return 0;
}

int outputs__open_view(const struct sink_ops *view, struct outputs **out, char *err,
		       size_t errlen)
{
	struct outputs *o = calloc(1, sizeof(*o));
	int ret;

	if (!o)
		return -ENOMEM;
	ret = open_sink(o, view, "-", err, errlen);
	if (!ret && !(o->an = analyzer__new(o->sinks, o->n_sinks)))
		ret = -ENOMEM;
	if (ret) {
		outputs__free(o);
		return ret;
	}
	*out = o;
	return 0;
}

/* the first write error of the recording: it stops there, and what reached
 * the disk (whole records) stays a readable recording, if anything did */
static void check_rec(struct outputs *o, int err)
{
	unsigned long long readable;

	if (!err || o->rec_failed)
		return;
	o->rec_failed = true;
	readable = rec_writer__readable(o->rec);
	if (readable)
		fprintf(stderr, "tracer: recording %s stopped: %s; the %llu bytes written "
			"before stay a readable recording (in %s until the session ends, "
			"then in %s)\n", o->rec_path, strerror(-err), readable,
			rec_writer__partial_name(o->rec), o->rec_path);
	else
		fprintf(stderr, "tracer: recording %s stopped: %s; nothing of it reached "
			"the disk\n", o->rec_path, strerror(-err));
}

/* the recording's records reach the file at least every second (and each
 * process at once): a kill -9 of the tracer loses at most that */
#define REC_FLUSH_NS 1000000000ull
#define REC_FLUSH_CHECK 4096	/* events between looks at the clock */

static void flush_rec(struct outputs *o, bool now)
{
	uint64_t t;

	if (!now && ++o->rec_unflushed < REC_FLUSH_CHECK)
		return;
	o->rec_unflushed = 0;
	t = mono_clock__ns();
	if (now || t - o->rec_flush_ns >= REC_FLUSH_NS) {
		o->rec_flush_ns = t;
		check_rec(o, rec_writer__flush(o->rec));
	}
}

void outputs__set_summary(struct outputs *o, int sort, int limit)
{
	for (int i = 0; i < o->n_sinks; i++)
		if (o->sinks[i]->ops == &sink_summary)
			summary__configure(o->sinks[i], sort, limit);
}

void outputs__set_lines(struct outputs *o, bool by_line)
{
	analyzer__set_lines(o->an, by_line);
}

void outputs__set_probe_cost(struct outputs *o, const struct probe_cost *pc)
{
	analyzer__set_probe_cost(o->an, pc);
}

void outputs__process(struct outputs *o, const struct in_process *p)
{
	/* after a kill -9, the outputs stay where they are written */
	if (o->say_partial)
		fprintf(stderr, "tracer: output files are written as NAME%sXXXXXX, renamed "
			"to NAME when complete\n", OUT_FILE_PARTIAL);
	o->say_partial = false;
	if (o->rec && !o->rec_failed) {
		check_rec(o, rec_writer__process(o->rec, p));
		if (!o->rec_failed)
			flush_rec(o, true);
	}
	analyzer__process(o->an, p);
}

void outputs__thread(struct outputs *o, const struct in_thread *t)
{
	if (o->rec && !o->rec_failed)
		check_rec(o, rec_writer__thread(o->rec, t));
	analyzer__thread(o->an, t);
}

void outputs__event(struct outputs *o, const void *ev, size_t len)
{
	if (o->rec && !o->rec_failed) {
		check_rec(o, rec_writer__event(o->rec, ev, len));
		if (!o->rec_failed)
			flush_rec(o, false);
	}
	analyzer__event(o->an, ev, len);
}

void outputs__codemap(struct outputs *o, const struct in_codemap *m)
{
	if (o->rec && !o->rec_failed)
		check_rec(o, rec_writer__codemap(o->rec, m));
	analyzer__codemap(o->an, m);
}

bool outputs__want_coverage(const struct outputs *o)
{
	for (int i = 0; i < o->n_sinks; i++)
		if (o->sinks[i]->ops->coverage)
			return true;
	return false;
}

bool outputs__want_source(const struct outputs *o)
{
	bool coverage = outputs__want_coverage(o);

	/* a recording keeps them for a `tracer report -o cov.html` later */
	if (o->rec && coverage)
		return true;
	for (int i = 0; i < o->n_sinks; i++)
		if (o->sinks[i]->ops->coverage_source)
			return true;
	return false;
}

bool outputs__only_coverage(const struct outputs *o)
{
	if (o->rec)
		return false;
	for (int i = 0; i < o->n_sinks; i++)
		if (!o->sinks[i]->ops->coverage && o->sinks[i]->ops != &sink_summary)
			return false;
	return outputs__want_coverage(o);
}

int outputs__parse_fail_under(const char *arg, double *pct)
{
	char *end;

	errno = 0;
	*pct = strtod(arg, &end);
	if (end != arg && *end == '%')
		end++;
	if (errno || end == arg || *end || !(*pct >= 0 && *pct <= 100))
		return -EINVAL;
	return 0;
}

/* --fail-under: the total of the coverage outputs (all the same) against
 * the wanted percent; 0, or OUTPUTS_BELOW_FAIL_UNDER said on stderr */
static int check_fail_under(const struct outputs *o)
{
	uint64_t hit, all;
	double pct;

	for (int i = 0; i < o->n_sinks; i++) {
		if (!coverage__total(o->sinks[i], &pct, &hit, &all))
			continue;
		if (pct >= o->fail_under)
			return 0;
		fprintf(stderr, "tracer: coverage failure: total of %.2f%% (%llu of %llu lines) "
			"is less than --fail-under=%g\n", pct, (unsigned long long)hit,
			(unsigned long long)all, o->fail_under);
		return OUTPUTS_BELOW_FAIL_UNDER;
	}
	fprintf(stderr, "tracer: --fail-under: no coverage total (no coverage output was "
		"written)\n");
	return -ENODATA;
}

/* "tracer: wrote PATH (SIZE; N calls|samples, M lost)" for each file the
 * session wrote */
static void say_written(const struct outputs *o)
{
	const struct session_stats *st = analyzer__stats(o->an);
	struct stat now;

	for (int i = 0; i < o->n_sinks; i++) {
		const char *path = o->sinks[i]->path;

		if (!path || o->sinks[i]->ops == &sink_summary || lstat(path, &now) ||
		    (now.st_dev == o->before[i].dev && now.st_ino == o->before[i].ino))
			continue;
		fputs("tracer: wrote ", stderr);
		text_escape__term(stderr, path);
		fprintf(stderr, " (%.1f KiB; %llu %s, %llu lost)\n", now.st_size / 1024.0,
			(unsigned long long)(st->samples ? st->samples : st->calls),
			st->samples ? "samples" : "calls", (unsigned long long)st->lost_total);
	}
}

static void say_recording(const char *path, const struct in_end *e)
{
	struct stat now;

	if (lstat(path, &now))
		return;
	fputs("tracer: wrote ", stderr);
	text_escape__term(stderr, path);
	fprintf(stderr, " (%.1f KiB; %llu events)\n", now.st_size / 1024.0,
		(unsigned long long)e->ringbuf_events);
}

int outputs__end(struct outputs *o, const struct in_end *e)
{
	struct in_end end = *e;
	unsigned long long readable;
	int ret = 0, r;

	/* the wall-clock time of a live session's events, for the outputs
	 * that say it (pprof's time_nanos) and the recording */
	if (o->live && !end.realtime_offset_ns) {
		struct timespec rt, mono;

		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		end.realtime_offset_ns = ((int64_t)rt.tv_sec - mono.tv_sec) * 1000000000 +
					 ((int64_t)rt.tv_nsec - mono.tv_nsec);
	}
	if (o->rec) {
		if (o->rec_failed)
			end.flags |= IN_END_RECORDING_TRUNCATED;
		check_rec(o, rec_writer__end(o->rec, &end));
		if (!o->rec_failed)
			check_rec(o, rec_writer__flush(o->rec));
		readable = rec_writer__readable(o->rec);
		/* in place, cut short or not; removed when nothing is readable */
		r = rec_writer__close(o->rec);
		o->rec = NULL;
		if (o->rec_failed && readable)
			fprintf(stderr, "tracer: %s is the recording up to the write error "
				"(%llu bytes): `tracer report %s` reads it\n", o->rec_path,
				readable, o->rec_path);
		if (o->rec_failed || r)
			ret = r ? r : -EIO;
		else if (o->say_written)
			say_recording(o->rec_path, e);
	}
	r = analyzer__end(o->an, &end);
	if (r) {
		fprintf(stderr, "tracer: writing the outputs failed: %s\n", strerror(-r));
		ret = r;
	}
	if (o->say_written)
		say_written(o);
	if (!ret && o->fail_under_set)
		ret = check_fail_under(o);
	return ret;
}

void outputs__free(struct outputs *o)
{
	if (!o)
		return;
	rec_writer__discard(o->rec);	/* a failed session: removed */
	analyzer__free(o->an);
	for (int i = 0; i < o->n_sinks; i++)
		o->sinks[i]->ops->free(o->sinks[i]);
	free(o);
}
