/* SPDX-License-Identifier: MIT */
/* Coverage in a live session (user/capture/cover_session.c). */
#ifndef TRACER_COVER_SESSION_H
#define TRACER_COVER_SESSION_H
#include <stdbool.h>
#include <stddef.h>
#include "capture/cover_boot.h"
#include "model/model.h"
#include "capture/target.h"

/* where a process's line events come from */
enum cover_lines {
	COVER_LINES_NONE = 0,	/* functions only */
	COVER_LINES_USDT,	/* the USDT `line` probe */
	COVER_LINES_BOOT,	/* the 3.12+ bootstrap, if it starts */
};

struct cover_session;

struct cover_session *cover_session__new(const struct cover_filter *f);
void cover_session__free(struct cover_session *c);
/* Are T's lines measured by the USDT `line` probe (t->cfg.usdt_lines)?
 * What cover_session__plan decides, for -a to set in a file's template
 * before any process is planned. */
bool cover_session__usdt_lines(const struct target *t);
/* Plan T's coverage and measure its files: how its lines are measured
 * (T's usdt_lines, cover_channel and calls_inside set on the way; BOOT: the
 * 3.12+ bootstrap of a launch, or NULL), a warning in T when only its
 * functions are, said on stderr with SAY otherwise. 0 or -ENOMEM. */
int cover_session__plan(struct cover_session *c, struct target *t, const struct cover_boot *boot,
			bool say);
/* every event of the stream (identities name the files) */
int cover_session__event(struct cover_session *c, const void *ev, size_t len);
struct outputs;
/* at the end: each process's code map, to OUT (0, or the first -errno of a
 * code map that could not be made: said on stderr, the others made) */
int cover_session__finish(struct cover_session *c, struct outputs *out);
#endif
