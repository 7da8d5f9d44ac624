/* SPDX-License-Identifier: MIT */
/* The table of output formats (struct sink_ops), chosen by file suffix. */
#ifndef TRACER_SINKS_H
#define TRACER_SINKS_H
#include <stdio.h>
#include "model/model.h"
#include "util/out_file.h"

/* The sink for an -o PATH, by suffix; NULL when no format has it.
 * ".trace" is not a sink (it is the recording, see recording.h). */
const struct sink_ops *sinks__for_path(const char *path);
/* Every format, for --help and messages: the I-th, NULL past the end */
const struct sink_ops *sinks__at(size_t i);

/* Open PATH for a sink (user/util/out_file.h: a temporary file renamed over PATH
 * when complete): the stream to write, NULL and errno on failure. *FILE
 * owns it: the sink ends it with sink__close_file, or out_file__discard
 * when freed before. */
FILE *sink__open_file(const char *path, struct out_file **file);
/* End the sink's file: *F (the stream of *FILE) and *FILE set to NULL.
 * ERR: the sink's error (0: complete). When ERR is 0 and the stream was
 * written and flushed (a full disk shows here), the file replaces PATH: 0;
 * else it is removed, which file and why is said on stderr and the error
 * returned as -errno: what `finish` returns. */
int sink__close_file(struct out_file **file, FILE **f, int err);

/* The end-of-session summary printed when there is no -o (path "-" is
 * stdout). Not chosen by suffix. */
extern const struct sink_ops sink_summary;
/* the summary's table (--sort, --top): by SORT (DEFAULT: total time of
 * calls, self samples), LIMIT rows (0: all; < 0: the default, 50) */
enum summary_sort { SUMMARY_SORT_DEFAULT, SUMMARY_SORT_SELF, SUMMARY_SORT_TOTAL,
		    SUMMARY_SORT_CALLS };
void summary__configure(struct sink *s, enum summary_sort sort, int limit);
/* "self", "total" or "calls" as a summary_sort; -1 for anything else */
int summary__parse_sort(const char *name);
extern const struct sink_ops sink_chrome;	/* .json */
extern const struct sink_ops sink_pftrace;	/* .pftrace */
extern const struct sink_ops sink_folded;	/* .folded */
extern const struct sink_ops sink_svg;		/* .svg */
extern const struct sink_ops sink_speedscope;	/* .speedscope.json */
extern const struct sink_ops sink_pprof;	/* .pprof */
extern const struct sink_ops sink_lcov;		/* .lcov */
extern const struct sink_ops sink_lcov_info;	/* .info */
extern const struct sink_ops sink_cobertura;	/* .xml */
extern const struct sink_ops sink_cov_report;	/* .cov.txt, and stdout (-o -) */
extern const struct sink_ops sink_cov_html;	/* .html */
#endif
