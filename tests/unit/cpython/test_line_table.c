// SPDX-License-Identifier: MIT
/*
 * The line table decoder against the interpreters' own answers: for real
 * code objects of each version (tests/unit/line_table_vectors.h, made by
 * the interpreter with gen_line_table_vectors.py), the line of every
 * instruction offset must be the one dis.findlinestarts (3.8/3.9) or
 * co_lines() (3.10+) gives. Then malformed tables.
 */
#include <errno.h>
#include "unit.h"
#include "cpython/line_table.h"

struct vec {
	const char *name;
	int32_t firstlineno;
	const uint8_t *table;
	size_t len;
	const int32_t *lines;	/* per 2-byte code unit */
	size_t n_units;
};

#include "line_table_vectors.h"

#define NVEC(v) (sizeof(v) / sizeof((v)[0]))

static void check_version(unsigned minor, const struct vec *v, size_t n)
{
	struct line_table t = { 0 };
	size_t distinct = 0;

	for (size_t i = 0; i < n; i++) {
		int32_t prev = -2;

		CHECK_EQ(line_table__decode(&t, minor, v[i].table, v[i].len, v[i].firstlineno), 0);
		for (size_t k = 0; k < v[i].n_units; k++) {
			int32_t got = line_table__line(&t, 2 * k);

			if (got != v[i].lines[k]) {
				fprintf(stderr, "  3.%u %s offset %zu: got line %d, the interpreter "
					"says %d\n", minor, v[i].name, 2 * k, got, v[i].lines[k]);
				CHECK_EQ(got, v[i].lines[k]);
				break;
			}
			if (got != prev)
				distinct++;
			prev = got;
		}
	}
	/* the vectors do exercise several lines per function */
	CHECK(distinct > 2 * n);
	line_table__free(&t);
}

TEST(line_table_py38_lnotab) { check_version(8, py38, NVEC(py38)); }
TEST(line_table_py39_lnotab) { check_version(9, py39, NVEC(py39)); }
TEST(line_table_py310_linetable) { check_version(10, py310, NVEC(py310)); }
TEST(line_table_py311_locations) { check_version(11, py311, NVEC(py311)); }
TEST(line_table_py312_locations) { check_version(12, py312, NVEC(py312)); }
TEST(line_table_py313_locations) { check_version(13, py313, NVEC(py313)); }
TEST(line_table_py314_locations) { check_version(14, py314, NVEC(py314)); }

TEST(line_table_synthetic)
{
	struct line_table t = { 0 };
	/* 3.8: 6 bytes on line 10, then +2 lines (no bytes), 4 bytes on 12,
	 * then a negative increment: -1 -> 11 to the end */
	static const uint8_t lnotab[] = { 6, 0, 0, 2, 4, 0xff };
	/* 3.10: 4 bytes on 10+1, 2 bytes with no line, 2 bytes on 11-2 = 9 */
	static const uint8_t lt310[] = { 4, 1, 2, 0x80, 2, 0xfe };
	/* 3.11: a short form entry (code 0, 2 units) on the first line; a
	 * no-columns entry (code 13, 1 unit) with line delta -3 (svarint 7);
	 * a no-location entry (code 15, 1 unit); a one-line entry (code 11: +1,
	 * 1 unit, two column bytes); a long form entry (code 14) with a
	 * two-group varint delta +100 (200 = 8 + 64 * 3: 0x48 0x03) */
	static const uint8_t loc[] = {
		0x80 | (0 << 3) | 1, 0x05,
		0x80 | (13 << 3) | 0, 0x07,
		0x80 | (15 << 3) | 0,
		0x80 | (11 << 3) | 0, 0x01, 0x02,
		0x80 | (14 << 3) | 0, 0x48, 0x03, 0x00, 0x01, 0x02,
	};

	CHECK_EQ(line_table__decode(&t, 8, lnotab, sizeof(lnotab), 10), 0);
	CHECK_EQ(line_table__line(&t, 0), 10);
	CHECK_EQ(line_table__line(&t, 5), 10);
	CHECK_EQ(line_table__line(&t, 6), 12);
	CHECK_EQ(line_table__line(&t, 9), 12);
	CHECK_EQ(line_table__line(&t, 10), 11);
	CHECK_EQ(line_table__line(&t, 1000), 11);

	CHECK_EQ(line_table__decode(&t, 10, lt310, sizeof(lt310), 10), 0);
	CHECK_EQ(line_table__line(&t, 0), 11);
	CHECK_EQ(line_table__line(&t, 4), LINE_NONE);
	CHECK_EQ(line_table__line(&t, 6), 9);
	CHECK_EQ(line_table__line(&t, 8), LINE_NONE);	/* past the end */

	CHECK_EQ(line_table__decode(&t, 12, loc, sizeof(loc), 50), 0);
	CHECK_EQ(line_table__line(&t, 0), 50);
	CHECK_EQ(line_table__line(&t, 2), 50);
	CHECK_EQ(line_table__line(&t, 4), 47);
	CHECK_EQ(line_table__line(&t, 6), LINE_NONE);
	CHECK_EQ(line_table__line(&t, 8), 48);
	CHECK_EQ(line_table__line(&t, 10), 148);
	CHECK_EQ(line_table__line(&t, 12), LINE_NONE);
	line_table__free(&t);
}

TEST(line_table_malformed)
{
	struct line_table t = { 0 };
	static const uint8_t odd[] = { 4, 1, 2 };
	static const uint8_t no_start[] = { 0x05 };	/* bit 7 clear */
	static const uint8_t cut_varint[] = { 0x80 | (13 << 3), 0x41 };	/* "more" then end */
	static const uint8_t endless[] = { 0x80 | (14 << 3), 0x7f, 0x7f, 0x7f, 0x7f, 0x7f,
					   0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f };
	static const uint8_t below_zero[] = { 2, 0x80, 2, 0 };	/* 3.8: line 1 - 128 */
	static const uint8_t ok[] = { 2, 0 };

	CHECK_EQ(line_table__decode(&t, 8, odd, sizeof(odd), 1), -EINVAL);
	CHECK_EQ(line_table__decode(&t, 10, odd, sizeof(odd), 1), -EINVAL);
	CHECK_EQ(line_table__decode(&t, 11, no_start, sizeof(no_start), 1), -EINVAL);
	CHECK_EQ(line_table__decode(&t, 11, cut_varint, sizeof(cut_varint), 1), -EINVAL);
	CHECK_EQ(line_table__decode(&t, 13, endless, sizeof(endless), 1), -EINVAL);
	CHECK_EQ(line_table__decode(&t, 8, below_zero, sizeof(below_zero), 1), -EINVAL);
	CHECK_EQ(t.n, 0);
	CHECK_EQ(line_table__line(&t, 0), LINE_NONE);
	CHECK_EQ(line_table__decode(&t, 7, ok, sizeof(ok), 1), -ENOTSUP);
	CHECK_EQ(line_table__decode(&t, 15, ok, sizeof(ok), 1), -ENOTSUP);
	/* an empty table: 3.8 says co_firstlineno everywhere, 3.10+ nothing */
	CHECK_EQ(line_table__decode(&t, 8, NULL, 0, 7), 0);
	CHECK_EQ(line_table__line(&t, 4), 7);
	CHECK_EQ(line_table__decode(&t, 11, NULL, 0, 7), 0);
	CHECK_EQ(line_table__line(&t, 0), LINE_NONE);
	line_table__free(&t);
}
