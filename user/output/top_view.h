/* SPDX-License-Identifier: MIT */
/*
 * `tracer top`'s live view: a sink (not chosen by a file suffix) that
 * counts the samples of a sampling session per function (output/hot_funcs.c)
 * and redraws the hottest ones on the terminal about once a second, in
 * the alternate screen, with plain ANSI sequences. Keys, read from stdin
 * (put in non-canonical mode without echo; Ctrl-C still signals): q ends
 * the session (as SIGTERM does: the session's own signal handling stops
 * it), s/t sort by self/total samples, c says that calls are not counted
 * when sampling. The terminal is restored when the sink finishes or is
 * freed, and at exit.
 */
#ifndef TRACER_TOP_VIEW_H
#define TRACER_TOP_VIEW_H
#include "model/model.h"

/* opened with any path (it draws on stdout, which must be a terminal) */
extern const struct sink_ops sink_top;
#endif
