/* SPDX-License-Identifier: MIT */
/*
 * The line tables of one process's sampled code objects (--sample): put
 * together from their TR_EV_LINETABLE chunks, decoded (user/cpython/line_table.c),
 * and asked for the line of a frame's instruction offset.
 */
#ifndef TRACER_SAMPLE_LINES_H
#define TRACER_SAMPLE_LINES_H
#include <stdint.h>
#include "tracer.h"

struct sample_lines;

/* for a process of CPython 3.MINOR; NULL when out of memory */
struct sample_lines *sample_lines__new(unsigned minor);
void sample_lines__free(struct sample_lines *sl);
/* a TR_EV_CODE of CODE (co_firstlineno FIRSTLINENO): a new identity, whose
 * table comes next; until it has all come, its lines are unknown. 0 or
 * -ENOMEM */
int sample_lines__code(struct sample_lines *sl, uint64_t code, uint32_t firstlineno);
/* a chunk (E of LEN bytes): 0, or -ENOMEM. *UNUSABLE is set when it makes
 * a table unusable (too long, unreadable or malformed: counted once). */
int sample_lines__chunk(struct sample_lines *sl, const struct tr_ev_linetable *e, size_t len,
			bool *unusable);
/* the line CODE executes at OFFSET (TR_SAMPLE_NO_OFFSET allowed): 0 when
 * unknown */
uint32_t sample_lines__line(const struct sample_lines *sl, uint64_t code, uint32_t offset);
#endif
