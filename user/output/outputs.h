/* SPDX-License-Identifier: MIT */
/*
 * The outputs of a session: the recording (.trace) if asked for, and the
 * analyzer with every other -o format (or the summary on stdout when there
 * is no -o). Live sessions and `tracer report` feed it the same records.
 */
#ifndef TRACER_OUTPUTS_H
#define TRACER_OUTPUTS_H
#include <stdbool.h>
#include <stddef.h>
#include "model/model.h"

/* the most -o a session or `tracer report` takes */
#define OUTPUTS_MAX 16

struct outputs;

/* Open every path (the format is chosen by suffix); with N == 0 the summary
 * goes to stdout. ALLOW_RECORDING: accept .trace paths. -errno and ERR on
 * failure (nothing is left open). */
int outputs__open(const char *const *paths, int n, bool allow_recording,
		  struct outputs **out, char *err, size_t errlen);

/* what a session or `tracer report` asks of its outputs besides the paths */
struct outputs_cfg {
	bool allow_recording;	/* a live session: .trace paths accepted */
	/* the coverage report (output/cov_report.c) on stdout: `tracer report
	 * --coverage`, or --coverage with -o -. It is printed anyway with -o -
	 * beside a coverage output; without any -o it replaces the summary */
	bool coverage_report;
	bool fail_under_set;	/* --fail-under=PCT given */
	double fail_under;	/* PCT: the coverage total must reach it */
};
/* outputs__open with CFG; --fail-under without any coverage output is
 * refused here (-EINVAL and ERR), before anything is traced */
int outputs__open_cfg(const char *const *paths, int n, const struct outputs_cfg *cfg,
		      struct outputs **out, char *err, size_t errlen);
/* parse --fail-under's PCT (a number from 0 to 100, "%" allowed after it):
 * 0, or -EINVAL */
int outputs__parse_fail_under(const char *arg, double *pct);
/* outputs__end's value when every output was written but the coverage
 * total is lower than --fail-under (said on stderr): the exit status */
#define OUTPUTS_BELOW_FAIL_UNDER 2
/* the exit status of outputs__end's value R: 0, OUTPUTS_BELOW_FAIL_UNDER,
 * or 1 (an output failed) */
static inline int outputs__status(int r)
{
	return r > 0 ? r : r < 0 ? 1 : 0;
}
/* Only VIEW (a live view such as `tracer top`'s, user/output/top_view.h):
 * no file, no summary. -errno and ERR on failure. */
int outputs__open_view(const struct sink_ops *view, struct outputs **out, char *err,
		       size_t errlen);
void outputs__process(struct outputs *o, const struct in_process *p);
void outputs__thread(struct outputs *o, const struct in_thread *t);
void outputs__event(struct outputs *o, const void *ev, size_t len);
/* a process's code map (coverage), before the end */
void outputs__codemap(struct outputs *o, const struct in_codemap *m);
/* does an output measure coverage (line events, code maps)? */
/* PATH names a recording (.trace), not an output format */
bool outputs__is_recording(const char *path);
bool outputs__want_coverage(const struct outputs *o);
/* do the code maps carry the measured files' text (an HTML coverage
 * report, or a recording of a coverage session)? */
bool outputs__want_source(const struct outputs *o);
/* only coverage maps (and the summary) are written: no call needs to be
 * seen one by one */
bool outputs__only_coverage(const struct outputs *o);
/* finish everything: 0, -errno when an output could not be completed
 * (said on stderr), or OUTPUTS_BELOW_FAIL_UNDER */
/* --lines: CPU samples' frames are their functions' lines */
void outputs__set_lines(struct outputs *o, bool by_line);
/* --subtract-probe-cost: the aggregate outputs' times lose the costs PC
 * from the next event on (user/analysis/probe_subtract.h) */
void outputs__set_probe_cost(struct outputs *o, const struct probe_cost *pc);
/* --sort, --top: the summary's table (output/sinks.h summary__configure) */
void outputs__set_summary(struct outputs *o, int sort, int limit);
int outputs__end(struct outputs *o, const struct in_end *e);
void outputs__free(struct outputs *o);
#endif
