// SPDX-License-Identifier: MIT
/*
 * Line tables of sampled code objects, per process. A code object's table
 * comes in TR_EV_LINETABLE chunks right after the TR_EV_CODE of its
 * identity (bpf/sample.bpf.h). Two CPUs may send the same identity at once,
 * their events interleaved: a TR_EV_CODE only marks the table to be
 * started over by the next first chunk, and the chunks are placed by their
 * offset, so duplicates land on the same bytes. A table is used once every
 * chunk is there; until then, or if it never comes whole, the code's lines
 * are unknown (0), never guessed from another table.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "util/hashmap.h"
#include "cpython/line_table.h"
#include "analysis/sample_lines.h"

enum { LINES_PENDING, LINES_READY, LINES_UNUSABLE };

struct code_lines {
	uint32_t firstlineno;
	int state;
	bool restart;		/* the next first chunk starts the table over */
	uint32_t total;		/* bytes of the table being put together */
	uint32_t have;		/* bit i: chunk i is there */
	uint8_t *buf;
	struct line_table t;
};

struct sample_lines {
	unsigned minor;
	struct hashmap *codes;	/* code object address -> struct code_lines */
};

struct sample_lines *sample_lines__new(unsigned minor)
{
	struct sample_lines *sl = calloc(1, sizeof(*sl));

	if (!sl || !(sl->codes = hashmap__new())) {
		free(sl);
		return NULL;
	}
	sl->minor = minor;
	return sl;
}

static void code_lines__free(void *p)
{
	struct code_lines *cl = p;

	free(cl->buf);
	line_table__free(&cl->t);
	free(cl);
}

void sample_lines__free(struct sample_lines *sl)
{
	if (!sl)
		return;
	hashmap__free(sl->codes, code_lines__free);
	free(sl);
}

int sample_lines__code(struct sample_lines *sl, uint64_t code, uint32_t firstlineno)
{
	struct code_lines *cl = hashmap__get(sl->codes, code);

	if (!cl) {
		cl = calloc(1, sizeof(*cl));
		if (!cl || hashmap__set(sl->codes, code, cl)) {
			free(cl);
			return -ENOMEM;
		}
	}
	cl->firstlineno = firstlineno;
	cl->state = LINES_PENDING;
	cl->restart = true;
	return 0;
}

/* chunks a table of TOTAL bytes comes in (at least one) */
static uint32_t chunks_of(uint32_t total)
{
	return total ? (total + TR_LINETABLE_CHUNK - 1) / TR_LINETABLE_CHUNK : 1;
}

int sample_lines__chunk(struct sample_lines *sl, const struct tr_ev_linetable *e, size_t len,
			bool *unusable)
{
	struct code_lines *cl = hashmap__get(sl->codes, e->code);
	uint32_t idx, want, n;
	int err;

	*unusable = false;
	if (!cl || cl->state != LINES_PENDING)
		return 0;	/* no identity yet, or a duplicate of a done table */
	if (e->hdr.flags & (TR_LINETABLE_TOO_LONG | TR_LINETABLE_UNREADABLE) ||
	    e->total > TR_LINETABLE_MAX) {
		cl->state = LINES_UNUSABLE;
		*unusable = true;
		return 0;
	}
	idx = e->offset / TR_LINETABLE_CHUNK;
	n = chunks_of(e->total);
	want = e->total - e->offset < TR_LINETABLE_CHUNK ? e->total - e->offset
							 : TR_LINETABLE_CHUNK;
	if (e->offset % TR_LINETABLE_CHUNK || idx >= n || e->len != want ||
	    len < TR_LINETABLE_HDR_SIZE + (size_t)e->len)
		return 0;	/* not a chunk of this table: ignored */
	if (cl->restart) {
		if (idx != 0)
			return 0;	/* the rest of an older sending */
		free(cl->buf);
		cl->buf = malloc(e->total ? e->total : 1);
		if (!cl->buf)
			return -ENOMEM;
		cl->total = e->total;
		cl->have = 0;
		cl->restart = false;
	} else if (!cl->buf || e->total != cl->total) {
		return 0;	/* not a chunk of the table begun */
	}
	memcpy(cl->buf + e->offset, e->data, e->len);
	cl->have |= 1u << idx;
	if (cl->have != (n == 32 ? ~0u : (1u << n) - 1))
		return 0;
	err = line_table__decode(&cl->t, sl->minor, cl->buf, cl->total, cl->firstlineno);
	free(cl->buf);
	cl->buf = NULL;
	if (err == -ENOMEM)
		return err;
	cl->state = err ? LINES_UNUSABLE : LINES_READY;
	*unusable = err != 0;
	return 0;
}

uint32_t sample_lines__line(const struct sample_lines *sl, uint64_t code, uint32_t offset)
{
	const struct code_lines *cl = sl ? hashmap__get(sl->codes, code) : NULL;
	int32_t line;

	if (!cl || cl->state != LINES_READY || offset == TR_SAMPLE_NO_OFFSET)
		return 0;
	/* CPython's f_lineno of a frame that has not started */
	if (offset == TR_SAMPLE_NOT_STARTED)
		return cl->firstlineno;
	line = line_table__line(&cl->t, offset);
	return line > 0 ? (uint32_t)line : 0;
}
