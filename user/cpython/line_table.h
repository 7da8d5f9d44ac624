/* SPDX-License-Identifier: MIT */
/*
 * A code object's line table, decoded: which source line each instruction
 * offset (in bytes from the first instruction) belongs to. Three formats:
 * co_lnotab (3.8/3.9), co_linetable of PEP 626 (3.10) and the location
 * table (3.11+), decoded as CPython's own PyCode_Addr2Line reads them.
 */
#ifndef TRACER_LINE_TABLE_H
#define TRACER_LINE_TABLE_H
#include <stddef.h>
#include <stdint.h>

#define LINE_NONE (-1)	/* an instruction with no line (3.10+'s None) */

struct line_range {
	uint32_t start, end;	/* [start, end) bytes */
	int32_t line;		/* LINE_NONE when the range has none */
};

struct line_table {
	struct line_range *v;	/* ascending, not overlapping */
	size_t n, cap;
};

/* Decode LEN bytes of a table of CPython 3.MINOR whose co_firstlineno is
 * FIRSTLINENO into T (emptied first): 0, -EINVAL (malformed: T is left
 * empty), -ENOTSUP (unknown version) or -ENOMEM. */
int line_table__decode(struct line_table *t, unsigned minor, const uint8_t *buf, size_t len,
		       int32_t firstlineno);
/* the line of the instruction at byte OFFSET: LINE_NONE when it has none or
 * lies outside the table */
int32_t line_table__line(const struct line_table *t, uint32_t offset);
void line_table__free(struct line_table *t);
#endif
