/* SPDX-License-Identifier: MIT */
/* The table of output formats (struct sink_ops), chosen by file suffix. */
#ifndef TRACER_SINKS_H
#define TRACER_SINKS_H
#include <stdio.h>
#include "model/model.h"

/* The sink for an -o PATH, by suffix; NULL when no format has it.
 * ".trace" is not a sink (it is the recording, see recording.h). */
const struct sink_ops *sinks__for_path(const char *path);
/* Every format, for --help and messages: the I-th, NULL past the end */
const struct sink_ops *sinks__at(size_t i);

/* Flush and close *F (nothing when NULL) and set it to NULL. Returns ERR if
 * it is an error already, else the first error of the flush, the stream or
 * the close, as -errno (a full disk shows here): what `finish` returns. */
int sink__close_file(FILE **f, int err);

/* The end-of-session summary printed when there is no -o (path "-" is
 * stdout). Not chosen by suffix. */
extern const struct sink_ops sink_summary;
extern const struct sink_ops sink_chrome;	/* .json */
extern const struct sink_ops sink_pftrace;	/* .pftrace */
extern const struct sink_ops sink_folded;	/* .folded */
extern const struct sink_ops sink_svg;		/* .svg */
extern const struct sink_ops sink_speedscope;	/* .speedscope.json */
extern const struct sink_ops sink_pprof;	/* .pprof */
extern const struct sink_ops sink_lcov;		/* .lcov */
extern const struct sink_ops sink_lcov_info;	/* .info */
extern const struct sink_ops sink_cobertura;	/* .xml */
#endif
