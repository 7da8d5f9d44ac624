// SPDX-License-Identifier: MIT
/*
 * A code object's line table: the input is the Python minor version (one
 * byte), co_firstlineno (4 bytes) and the table's bytes; the table is
 * decoded, then looked up at offsets inside and past it.
 */
#include "fuzz.h"
#include "cpython/line_table.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned minor = fuzz_take(&in, 1);
	int32_t first = (int32_t)fuzz_take(&in, 4);
	size_t len = in.left;
	uint8_t *buf = (uint8_t *)fuzz_rest(&in, 0);
	struct line_table t = { 0 };

	if (!line_table__decode(&t, minor, buf, len, first)) {
		for (size_t i = 0; i < t.n; i++) {
			/* ascending and not overlapping, as promised */
			if (t.v[i].start >= t.v[i].end || (i && t.v[i].start < t.v[i - 1].end))
				abort();
			line_table__line(&t, t.v[i].start);
		}
		for (uint32_t off = 0; off < 4 * len + 8; off += 2)
			line_table__line(&t, off);
		line_table__line(&t, UINT32_MAX);
	}
	line_table__free(&t);
	free(buf);
	return 0;
}
