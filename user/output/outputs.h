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
/* only coverage maps (and the summary) are written: no call needs to be
 * seen one by one */
bool outputs__only_coverage(const struct outputs *o);
/* finish everything: 0, or -errno when an output could not be completed
 * (said on stderr) */
/* --lines: CPU samples' frames are their functions' lines */
void outputs__set_lines(struct outputs *o, bool by_line);
/* --sort, --top: the summary's table (output/sinks.h summary__configure) */
void outputs__set_summary(struct outputs *o, int sort, int limit);
int outputs__end(struct outputs *o, const struct in_end *e);
void outputs__free(struct outputs *o);
#endif
