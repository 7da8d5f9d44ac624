// SPDX-License-Identifier: MIT
/*
 * Line tables of CPython 3.8-3.14 (the bytes of co_lnotab / co_linetable),
 * decoded into ranges of instruction offsets, the way CPython's
 * PyCode_Addr2Line reads them (Objects/codeobject.c of each version; the
 * formats are described in Objects/lnotab_notes.txt (3.8-3.10) and
 * Objects/locations.md (3.11+)). Every byte is bounds-checked: the tables
 * come from another process's memory.
 *
 * 3.8/3.9 co_lnotab: pairs (address increment: unsigned byte, line
 *   increment: signed byte). The line of offset X is co_firstlineno plus
 *   the line increments of every pair whose cumulative address is <= X.
 * 3.10 co_linetable (PEP 626): pairs (length in bytes: unsigned byte, line
 *   delta: signed byte, -128 meaning "no line"); each pair is the next
 *   range; zero-length ranges still move the line.
 * 3.11+ location table: entries of a first byte 1CCCCLLL (code C, length
 *   L + 1 code units of 2 bytes) and code-dependent data: 15 no location;
 *   14 long form (line delta as a signed varint, then end line, columns);
 *   13 no columns (line delta signed varint); 10-12 one line, delta C - 10
 *   (two column bytes); 0-9 short form, same line (one column byte).
 *   Varints are little-endian 6-bit groups, bit 6 meaning "more"; a signed
 *   varint keeps its sign in bit 0.
 */
#include <errno.h>
#include <stdbool.h>
#include "util/array.h"
#include "cpython/line_table.h"

static int push(struct line_table *t, uint64_t start, uint64_t end, int32_t line)
{
	if (end <= start)
		return 0;	/* empty: not a range (CPython skips them too) */
	if (end > UINT32_MAX)
		return -EINVAL;
	if (array__grow((void **)&t->v, &t->cap, t->n, sizeof(*t->v)))
		return -ENOMEM;
	t->v[t->n++] = (struct line_range){ .start = start, .end = end, .line = line };
	return 0;
}

/* a line number that stays an int32 and is not LINE_NONE: else malformed */
static bool line_ok(int64_t line)
{
	return line >= 0 && line <= INT32_MAX;
}

static int decode_lnotab(struct line_table *t, const uint8_t *p, size_t len, int32_t first)
{
	int64_t line = first;
	uint64_t addr = 0;
	int err;

	if (len % 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 2) {
		if (p[i]) {
			if (!line_ok(line))
				return -EINVAL;
			err = push(t, addr, addr + p[i], line);
			if (err)
				return err;
			addr += p[i];
		}
		line += (int8_t)p[i + 1];
	}
	if (!line_ok(line))
		return -EINVAL;
	return push(t, addr, UINT32_MAX, line);
}

static int decode_linetable310(struct line_table *t, const uint8_t *p, size_t len,
			       int32_t first)
{
	int64_t line = first;
	uint64_t end = 0;
	int err;

	if (len % 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 2) {
		uint64_t start = end;
		int8_t ldelta = (int8_t)p[i + 1];

		end += p[i];
		if (ldelta != -128)
			line += ldelta;
		if (ldelta != -128 && !line_ok(line))
			return -EINVAL;
		err = push(t, start, end, ldelta == -128 ? LINE_NONE : (int32_t)line);
		if (err)
			return err;
	}
	return 0;
}

/* an unsigned varint at *I (advanced) of P[0..LEN): 0, or -EINVAL */
static int varint(const uint8_t *p, size_t len, size_t *i, uint64_t *out)
{
	unsigned shift = 0;
	uint64_t v = 0;
	uint8_t b;

	do {
		if (*i >= len || shift > 60)
			return -EINVAL;
		b = p[(*i)++];
		v |= (uint64_t)(b & 63) << shift;
		shift += 6;
	} while (b & 64);
	*out = v;
	return 0;
}

static int decode_locations(struct line_table *t, const uint8_t *p, size_t len,
			    int32_t first)
{
	int64_t line = first;
	uint64_t end = 0, u;
	size_t i = 0;
	int err;

	while (i < len) {
		uint8_t b = p[i];
		unsigned code = (b >> 3) & 15;
		uint64_t start = end;
		bool none = code == 15;

		if (!(b & 128))
			return -EINVAL;	/* not the first byte of an entry */
		end += ((b & 7) + 1) * 2;
		i++;
		if (code == 13 || code == 14) {
			/* LINE is an int32 here: a delta of 2^32 or more cannot
			 * give a line (and could overflow the int64) */
			if (varint(p, len, &i, &u) || u >> 1 > UINT32_MAX)
				return -EINVAL;
			line += u & 1 ? -(int64_t)(u >> 1) : (int64_t)(u >> 1);
		} else if (code >= 10 && code <= 12) {
			line += code - 10;
		}
		if (!none && !line_ok(line))
			return -EINVAL;
		/* the rest of the entry (end line, columns): up to the next
		 * first byte, as CPython skips it */
		while (i < len && !(p[i] & 128))
			i++;
		err = push(t, start, end, none ? LINE_NONE : (int32_t)line);
		if (err)
			return err;
	}
	return 0;
}

int line_table__decode(struct line_table *t, unsigned minor, const uint8_t *buf, size_t len,
		       int32_t firstlineno)
{
	int err;

	t->n = 0;
	if (!buf && len)
		return -EINVAL;
	if (minor == 8 || minor == 9)
		err = decode_lnotab(t, buf, len, firstlineno);
	else if (minor == 10)
		err = decode_linetable310(t, buf, len, firstlineno);
	else if (minor >= 11 && minor <= 14)	/* 3.14: the same location table */
		err = decode_locations(t, buf, len, firstlineno);
	else
		err = -ENOTSUP;
	if (err)
		t->n = 0;
	return err;
}

int32_t line_table__line(const struct line_table *t, uint32_t offset)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (offset < t->v[mid].start)
			hi = mid;
		else if (offset >= t->v[mid].end)
			lo = mid + 1;
		else
			return t->v[mid].line;
	}
	return LINE_NONE;
}

void line_table__free(struct line_table *t)
{
	free(t->v);
	t->v = NULL;
	t->n = t->cap = 0;
}
