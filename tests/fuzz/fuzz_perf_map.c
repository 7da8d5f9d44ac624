// SPDX-License-Identifier: MIT
/* A perf map (/tmp/perf-PID.map) parsed into TR_EV_JIT records. */
#include "fuzz.h"
#include "os/perf_map.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	char *text = fuzz_rest(&in, 0);
	uint64_t n = 0, bad = 0, sum = 0, start, sz;
	const char *name;
	size_t name_len;
	const char *nl = memchr(text, '\n', size);

	perf_map__parse(text, size, 42, 1000, fuzz_jit_record, &sum, &n, &bad);
	perf_map__parse(text, size, 42, 1000, NULL, NULL, NULL, NULL);
	if (!perf_map__parse_line(text, nl ? (size_t)(nl - text) : size, &start, &sz, &name,
				  &name_len) && (name < text || name + name_len > text + size))
		abort();
	free(text);
	return 0;
}
