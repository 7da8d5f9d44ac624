/* SPDX-License-Identifier: MIT */
/* Coverage in a live session (user/cover_session.c). */
#ifndef TRACER_COVER_SESSION_H
#define TRACER_COVER_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include "cover_boot.h"
#include "model.h"

/* where a process's line events come from */
enum cover_lines {
	COVER_LINES_NONE = 0,	/* functions only */
	COVER_LINES_USDT,	/* the USDT `line` probe */
	COVER_LINES_BOOT,	/* the 3.12+ bootstrap, if it starts */
};

struct cover_session;

struct cover_session *cover_session__new(const struct cover_filter *f);
void cover_session__free(struct cover_session *c);
/* a traced process whose files are measured; INTERP runs its code map;
 * NOTE says how lines are measured or why not; CALLS_INSIDE: its calls are
 * counted by the bootstrap (no call probes) */
int cover_session__add_process(struct cover_session *c, int pid, const char *interp,
			       enum cover_lines lines, bool calls_inside, const char *note);
/* every event of the stream (identities name the files) */
int cover_session__event(struct cover_session *c, const void *ev, size_t len);
/* at the end: each process's code map, handed to EMIT (0 or -errno) */
typedef int (*cover_session_emit_fn)(void *ctx, const struct in_codemap *m);
int cover_session__finish(struct cover_session *c, cover_session_emit_fn emit, void *ctx);
#endif
