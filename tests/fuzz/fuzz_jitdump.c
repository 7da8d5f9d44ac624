// SPDX-License-Identifier: MIT
/*
 * A jitdump read as jitdump_file reads a growing one: the file appears
 * STEP bytes at a time, and each read hands the parser at most CHUNK bytes
 * from where it stopped (both from the input's first bytes), so records
 * cut by a read or by the end of what is written yet are exercised.
 */
#include "fuzz.h"
#include "os/jitdump.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	size_t step = fuzz_take(&in, 2) + 1, chunk = fuzz_take(&in, 2) + 1;
	uint8_t at_attach = fuzz_take(&in, 1);
	size_t len = in.left;
	uint8_t *file = (uint8_t *)fuzz_rest(&in, 0);
	uint64_t sum = 0;
	struct jitdump d = { 0 };
	struct jitdump_emit e = { .pid = 4242, .not_before = 1000, .now = UINT64_MAX / 2,
				  .at_attach = at_attach & 1, .fn = fuzz_jit_record, .ctx = &sum };

	/* LEN >= a load's head and longest name gives progress: as jitdump_file */
	if (at_attach & 2)
		chunk = JITDUMP_LOAD_FIXED + JITDUMP_NAME_MAX + 1;
	for (size_t avail = 0; !d.broken;) {
		uint64_t before;

		avail = avail + step < len ? avail + step : len;
		do {
			size_t left = avail - d.offset;

			before = d.offset;
			if (d.offset > avail)
				abort();
			if (jitdump__parse(&d, file + d.offset, left < chunk ? left : chunk, left, &e))
				break;
		} while (d.offset != before && d.offset < avail);
		if (avail == len)
			break;
	}
	if (d.offset > len)
		abort();
	free(file);
	return 0;
}
